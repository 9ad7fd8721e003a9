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
from salesdesk.forms import StyledFormMixin
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
                                        duplicates=form.cleaned_data["duplicates"])
        if not import_jobs.in_background(job):
            import_jobs.import_check(job=job)
        return redirect("import_detail", pk=job.pk)


class ImportDetailView(ObjectPolicyMixin, View):
    permission = ("archive.import", None)
    model = ImportJob

    def get(self, request, pk):
        template = "salesdesk/_import_status.html" if request.headers.get("HX-Request") else "salesdesk/import_detail.html"
        return render(request, template, {"job": self.object, "preview": self.object.report.get("preview", [])})


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
