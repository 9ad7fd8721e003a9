"""Pages of the department documents archive (文件制度管理)."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from customers import document_services as services
from customers.document_forms import DocumentFilter, DocumentForm, DocumentVersionForm
from customers.models import Document, DocumentVersion
from salesdesk.models import AuditEntry
from salesdesk.access import can
from salesdesk.viewmixins import FilteredListView, ObjectPolicyMixin, PolicyMixin, run_service


class DocumentListView(FilteredListView):
    permission = ("documents.query", None)
    template_name = "customers/document_list.html"
    filterset_class = DocumentFilter
    category = "documents"
    queryset = Document.objects.for_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = can(self.request.user, "documents.edit")
        return context


class DocumentDetailView(ObjectPolicyMixin, TemplateView):
    permission = ("documents.query", None)
    queryset = Document.objects.select_related("created_by")
    template_name = "customers/document_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        document = self.object
        context.update(
            document=document,
            versions=document.versions.select_related("uploaded_by"),
            history=AuditEntry.objects.for_object(document)[:20],
            can_edit=can(self.request.user, "documents.edit", document),
        )
        return context


class DocumentCreateView(PolicyMixin, View):
    permission = ("documents.edit", None)
    template_name = "customers/document_form.html"

    def get(self, request):
        return render(request, self.template_name, {"form": DocumentForm()})

    def post(self, request):
        form = DocumentForm(request.POST, request.FILES)
        if form.is_valid():
            document = run_service(
                request, form,
                lambda: services.document_create(by=request.user, data=form.document_data(), file=form.cleaned_data["file"]),
                _("The document is filed."),
            )
            if document:
                return redirect("customers:document_detail", pk=document.pk)
        return render(request, self.template_name, {"form": form}, status=400)


class DocumentVersionCreateView(ObjectPolicyMixin, View):
    permission = ("documents.edit", None)
    model = Document
    template_name = "customers/document_form.html"

    def get(self, request, pk):
        return render(request, self.template_name, {"form": DocumentVersionForm(), "document": self.object})

    def post(self, request, pk):
        form = DocumentVersionForm(request.POST, request.FILES)
        if form.is_valid():
            version = run_service(
                request, form,
                lambda: services.document_add_version(
                    document=self.object, by=request.user, file=form.cleaned_data["file"],
                    change_note=form.cleaned_data["change_note"],
                ),
            )
            if version:
                messages.success(request, _("Version %(number)s is filed; the earlier versions are kept.") % {"number": version.number})
                return redirect("customers:document_detail", pk=pk)
        return render(request, self.template_name, {"form": form, "document": self.object}, status=400)


class DocumentDownloadView(ObjectPolicyMixin, View):
    """Any version of a document, for whoever may query the documents; every download is logged."""

    permission = ("documents.query", None)
    model = Document

    def get(self, request, pk, number):
        try:
            version = services.document_download(document=self.object, number=number, by=request.user)
        except DocumentVersion.DoesNotExist:
            raise Http404
        return FileResponse(version.file, as_attachment=True, filename=version.original_name, content_type=version.content_type)
