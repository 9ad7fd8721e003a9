"""Business actions on the department documents (文件制度管理): one function per action, in a
transaction, audited. A document is filed with its first version; each new version is added
beside the old ones, never over them.
"""

import os

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Document, DocumentVersion
from salesdesk import audit, uploads
from salesdesk.access import require
from salesdesk.errors import DomainError

# What a clerk may file: the office formats and scans, judged by salesdesk.uploads.
DOCUMENT_TYPES = frozenset({uploads.PDF, uploads.DOC, uploads.DOCX, uploads.XLS, uploads.XLSX, uploads.JPEG, uploads.PNG})
WRONG_TYPE = gettext_lazy("Upload the document as a PDF, Word (.doc, .docx), Excel (.xls, .xlsx), JPEG or PNG file.")

DOCUMENT_FIELDS = ["title", "category", "document_date", "author", "keywords", "notes"]


def inspect_document_file(upload):
    """The content type of a file a clerk may file, judged by its content and its name.

    Refuses (DomainError) an empty or oversized file, a file of another kind, and a file whose name
    does not match its content (a program renamed report.pdf, a spreadsheet renamed .docx)."""
    return uploads.inspect_upload(upload, allowed=DOCUMENT_TYPES, wrong_type=WRONG_TYPE)


def _original_name(upload):
    name = os.path.basename((upload.name or "").replace("\\", "/")).strip()
    stem, extension = os.path.splitext(name)
    return stem[: 200 - len(extension)] + extension


def _add_version(document, number, upload, content_type, by, change_note):
    version = DocumentVersion(
        document=document, number=number, original_name=_original_name(upload), size=upload.size,
        content_type=content_type, change_note=change_note, uploaded_by=by,
    )
    version.file.save(version.original_name, upload, save=False)  # stored as documents/<id>/v<number>.<ext>
    version.save()
    return version


def _checked_data(data):
    data = {name: data.get(name) for name in DOCUMENT_FIELDS}
    for name in ("title", "author", "keywords", "notes"):
        data[name] = (data[name] or "").strip()
    if not data["title"]:
        raise DomainError(_("Give the document a title."))
    if not data["author"]:
        raise DomainError(_("Say who wrote or issued the document."))
    if data["category"] not in Document.Category.values:
        raise DomainError(_("Choose the document's category."))
    if not data["document_date"]:
        raise DomainError(_("Give the document's date."))
    return data


@transaction.atomic
def document_create(*, by, data, file):
    """The clerk files a new document with its first version."""
    require(by, "documents.edit")
    data = _checked_data(data)
    content_type = inspect_document_file(file)
    document = Document.objects.create(**data, current_version=1, created_by=by)
    version = _add_version(document, 1, file, content_type, by, change_note="")
    audit.record(
        document, "customers.document.uploaded", by=by,
        changes=audit.diff({}, audit.snapshot(document, DOCUMENT_FIELDS + ["current_version"])),
        data={"version": 1, "file": version.original_name},
    )
    return document


@transaction.atomic
def document_add_version(*, document, by, file, change_note):
    """A new version of the document; the earlier ones stay as they were, downloadable."""
    require(by, "documents.edit", document)
    change_note = (change_note or "").strip()
    if not change_note:
        raise DomainError(_("Say what changed in this version."))
    content_type = inspect_document_file(file)
    document = Document.objects.select_for_update().get(pk=document.pk)  # two uploads at once get 2 and 3
    number = document.current_version + 1
    version = _add_version(document, number, file, content_type, by, change_note)
    document.current_version = number
    document.save(update_fields=["current_version"])
    audit.record(
        document, "customers.document.version_added", by=by,
        changes={"current_version": [number - 1, number]},
        data={"version": number, "file": version.original_name, "change_note": change_note},
    )
    return version


@transaction.atomic
def document_download(*, document, number, by):
    """Version `number` of the document, its file open for reading, for whoever may query the
    documents; every download is logged. A missing version raises DocumentVersion.DoesNotExist."""
    require(by, "documents.query", document)
    version = document.versions.get(number=number)
    version.file.open("rb")  # before the entry: a file gone from the storage logs no download
    audit.record(document, "customers.document.downloaded", by=by, data={"version": version.number})
    return version
