"""Export of a filtered list as xlsx or csv; an app subclasses `ExportView` for each of its lists.

    /staff/export/?format=xlsx&q=张

The rows are exactly those of the list page with the same query: the list view's own queryset,
the policy's row filter (`visible`) and the list's FilterSet, in the list's order. Only roles the
policy lets export (`archive.export`) get a file; each export leaves one audit entry with the
number of rows, the format and the filters.
"""

import re
import tempfile

from django.http import FileResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from salesdesk import exports, services
from salesdesk.access import can, visible
from salesdesk.models import StaffProfile
from salesdesk.pii import mask, normalize_id_card
from salesdesk.viewmixins import PolicyMixin

NOT_FILTERS = {"format", "page", "per_page", "sort"}


def listed(request, list_view):
    """The rows `list_view` (a FilteredListView) shows for this request, in its order, unpaginated."""
    view = list_view()
    view.setup(request)
    return view.filtered()[1]


def _without_pii(value):
    """A search for an ID-card or phone number is kept masked in the audit trail."""
    id_card = normalize_id_card(value)
    if re.fullmatch(r"\d{17}[\dX]", id_card):
        return mask("id_card", id_card)
    digits = value.replace("-", "").replace(" ", "")
    if digits.isdigit() and len(digits) >= 7:
        return mask("phone", digits)
    return value


def audited_filters(query):
    """The filters of the request as the audit entry keeps them: {name: value or [values]}."""
    filters = {}
    for name, values in query.lists():
        values = [_without_pii(value) for value in values if value.strip()]
        if name not in NOT_FILTERS and values:
            filters[name] = values[0] if len(values) == 1 else values
    return filters


class ExportView(PolicyMixin, View):
    permission = ("archive.export", None)
    export = None  # a salesdesk.exports.Export
    list_view = None  # the list page whose filtered rows are exported

    def rows(self):
        return listed(self.request, self.list_view)

    def get(self, request):
        fmt = request.GET.get("format", "xlsx")
        if fmt not in exports.FORMATS:
            return HttpResponseBadRequest(_("Choose the format xlsx or csv."))
        unmask = can(request.user, "pii.unmask")
        queryset = self.rows()
        if fmt == "csv":
            # Streamed as it is read: the entry counts the rows when the export starts.
            self.record(queryset.count(), fmt, unmask)
            response = StreamingHttpResponse(
                exports.csv_chunks(self.export, queryset, unmask=unmask), content_type=exports.FORMATS[fmt]
            )
        else:
            file = tempfile.TemporaryFile(suffix=".xlsx")  # removed when the response closes it
            self.record(exports.write_xlsx(self.export, queryset, file, unmask=unmask), fmt, unmask)
            file.seek(0)
            response = FileResponse(file, content_type=exports.FORMATS[fmt])
        response["Content-Disposition"] = self.export.content_disposition(fmt, timezone.localdate())
        response["Cache-Control"] = "private, no-store"
        return response

    def record(self, count, fmt, unmask):
        services.export_recorded(
            export=self.export, by=self.request.user, count=count, fmt=fmt,
            filters=audited_filters(self.request.GET), unmasked=unmask,
        )


class StaffExportView(ExportView):
    export = exports.STAFF

    def rows(self):
        return visible(self.request.user, StaffProfile.objects.search(self.request.GET.get("q")), "staff")
