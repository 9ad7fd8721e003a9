from django import forms
from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from salesdesk import import_jobs, registry
from salesdesk.errors import DomainError
from salesdesk.forms import StyledFormMixin, style_fields
from salesdesk.imports import importer_for
from salesdesk.models import ImportJob
from salesdesk.pagination import Window
from salesdesk.viewmixins import ObjectPolicyMixin, PolicyMixin

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"), choices=registry.import_kind_choices)
    file = forms.FileField(label=gettext_lazy("File (.xlsx or .csv)"))
    duplicates = forms.ChoiceField(
        label=gettext_lazy("Records already on file"), choices=ImportJob.Duplicates.choices,
        initial=ImportJob.Duplicates.SKIP, widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_groups = []  # [(kind, label, [bound fields])]: the defaults each kind offers
        groups = [(kind, importer.label, add_default_fields(self.fields, importer, prefix=f"default_{kind}_"))
                  for kind, importer in registry.importers().items()]
        style_fields(self.fields)
        self.default_groups = [(kind, label, [self[name] for name in names]) for kind, label, names in groups if names]

    def defaults(self):
        """{field: code} of the defaults given for the kind chosen."""
        kind = self.cleaned_data["kind"]
        return {name: self.cleaned_data.get(f"default_{kind}_{name}") for name, _header, _choices
                in registry.importers()[kind].default_fields()}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.SALESDESK_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size).1f MB; the limit is %(limit).0f MB. Split it into smaller files.")
                % {"size": upload.size / 1e6, "limit": settings.SALESDESK_IMPORT_MAX_BYTES / 1e6}
            )
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))
        return upload


def add_default_fields(fields, importer, *, prefix="default_", initial=None):
    """A drop-down for each default the importer offers (used where the file has no such column
    or the cell is empty); the names of the fields added."""
    names = []
    for name, header, choices in importer.default_fields():
        fields[prefix + name] = forms.ChoiceField(
            label=header, required=False, initial=(initial or {}).get(name, ""),
            choices=[("", _("No default")), *choices],
        )
        names.append(prefix + name)
    return names


class ColumnsForm(forms.Form):
    """The mapping step: the field each column of the file goes to ("" leaves it out), and the
    defaults. Each column's drop-down is `column_<position>`."""

    def __init__(self, *args, job, importer, **kwargs):
        super().__init__(*args, **kwargs)
        mapping = job.mapping
        choices = [("", _("— leave this column out —")),
                   *((column.name, f"{column.header} *" if column.required else column.header) for column in importer.fields())]
        proposed = mapping.get("proposed") or [["", ""]] * len(mapping.get("headers", []))
        self.columns = []  # [(position, header, samples, how it was matched, bound field)]
        for position, header in enumerate(mapping.get("headers", [])):
            name = f"column_{position}"
            self.fields[name] = forms.ChoiceField(label=header, choices=choices, required=False,
                                                  initial=mapping.get("fields", [""] * (position + 1))[position])
        add_default_fields(self.fields, importer, initial=mapping.get("defaults"))
        style_fields(self.fields)
        for position, header in enumerate(mapping.get("headers", [])):
            samples = mapping.get("samples", [])
            self.columns.append((position, header, samples[position] if position < len(samples) else [],
                                 proposed[position][1] if position < len(proposed) else "", self[f"column_{position}"]))
        self.defaults_fields = [self[name] for name in self.fields if name.startswith("default_")]

    def chosen(self):
        """(the field of each column, the defaults)."""
        fields = [self.cleaned_data.get(f"column_{position}") or "" for position, *_rest in self.columns]
        defaults = {name.removeprefix("default_"): value for name, value in self.cleaned_data.items()
                    if name.startswith("default_") and value}
        return fields, defaults


def columns_form(job, data=None):
    return ColumnsForm(data, job=job, importer=importer_for(job.kind, by=None))


class ImportListView(PolicyMixin, View):
    permission = ("archive.import", None)
    template_name = "salesdesk/import_list.html"

    def get(self, request):
        return self.show(ImportForm())

    def show(self, form, status=200):
        jobs = Window(ImportJob.objects.select_related("created_by").defer("report"), self.request)
        return render(self.request, self.template_name, {"form": form, "page": jobs, "kinds": registry.import_kind_choices()}, status=status)

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.show(form, status=400)
        job = import_jobs.import_upload(by=request.user, upload=form.cleaned_data["file"], kind=form.cleaned_data["kind"],
                                        duplicates=form.cleaned_data["duplicates"], defaults=form.defaults())
        if not import_jobs.in_background(job):
            import_jobs.import_read_columns(job=job)
        return redirect("import_detail", pk=job.pk)


class ImportDetailView(ObjectPolicyMixin, View):
    """The job as it stands: waiting for the worker, the mapping step, the preview, the result."""

    permission = ("archive.import", None)
    model = ImportJob

    def get(self, request, pk):
        form = columns_form(self.object) if self.object.state == ImportJob.State.MAPPING else None
        return self.show(form)

    def show(self, form, status=200, remap=False):
        job = self.object
        template = "salesdesk/_import_status.html" if self.request.headers.get("HX-Request") else "salesdesk/import_detail.html"
        matched = list(zip(job.mapping.get("headers", []), job.mapping.get("labels", [])))
        return render(self.request, template, {
            "job": job, "preview": job.report.get("preview", []), "notes": job.report.get("notes", []), "form": form,
            "remap": remap, "matched": matched,
        }, status=status)


class ImportColumnsView(ImportDetailView):
    """The mapping step: the clerk matches the file's columns to fields (after upload, or again
    after the check), then the check runs."""

    def get(self, request, pk):
        if self.object.state not in (ImportJob.State.MAPPING, ImportJob.State.CHECKED):
            return redirect("import_detail", pk=pk)
        return self.show(columns_form(self.object), remap=self.object.state == ImportJob.State.CHECKED)

    def post(self, request, pk):
        form = columns_form(self.object, request.POST)
        if form.is_valid():
            fields, defaults = form.chosen()
            try:
                job = import_jobs.import_map(job=self.object, by=request.user, fields=fields, defaults=defaults)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                if not import_jobs.in_background(job):
                    import_jobs.import_check(job=job)
                return redirect("import_detail", pk=pk)
        return self.show(form, status=400, remap=self.object.state == ImportJob.State.CHECKED)


class ImportConfirmView(ObjectPolicyMixin, View):
    permission = ("archive.import", None)
    model = ImportJob

    def get(self, request, pk):
        return redirect("import_detail", pk=pk)

    def post(self, request, pk):
        try:
            job = import_jobs.import_confirm(job=self.object, by=request.user)
        except DomainError as exc:
            from django.contrib import messages

            messages.error(request, exc.message)
            return redirect("import_detail", pk=pk)
        if not import_jobs.in_background(job):
            import_jobs.import_apply(job=job)
        return redirect("import_detail", pk=pk)


class ImportErrorsView(ObjectPolicyMixin, View):
    permission = ("archive.import", None)
    model = ImportJob

    def get(self, request, pk):
        if not self.object.error_file:
            raise Http404
        return FileResponse(import_jobs.import_errors_open(job=self.object, by=request.user), content_type=XLSX,
                            filename=f"{self.object.original_name.rsplit('.', 1)[0]}-错误.xlsx", as_attachment=True)


class ImportTemplateView(PolicyMixin, View):
    permission = ("archive.import", None)

    def get(self, request, kind):
        if kind not in registry.importers():
            raise Http404
        response = HttpResponse(import_jobs.template_workbook(kind), content_type=XLSX)
        name = f"{registry.importers()[kind].label}-模板.xlsx"
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(name)}"
        return response
