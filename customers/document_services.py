"""Business actions on the department documents (文件制度管理): one function per action, in a
transaction, audited. A document is filed with its first version; each new version is added
beside the old ones, never over them.
"""

import os
import zipfile

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from customers.models import Document, DocumentVersion
from salesdesk import audit
from salesdesk.access import require
from salesdesk.errors import DomainError

PDF = "application/pdf"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JPEG = "image/jpeg"
PNG = "image/png"

# What a file starts with -> {extension: content type} the name may carry with that content.
MAGIC = {
    b"%PDF-": {".pdf": PDF},
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": {".doc": DOC, ".xls": XLS},  # the old Office container (OLE2)
    b"PK\x03\x04": {".docx": DOCX, ".xlsx": XLSX},  # a zip: which one is told by its parts, below
    b"\xff\xd8\xff": {".jpg": JPEG, ".jpeg": JPEG},
    b"\x89PNG\r\n\x1a\n": {".png": PNG},
}
# The part a Word or Excel zip must hold.
OOXML_PART = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml"}

DOCUMENT_FIELDS = ["title", "category", "document_date", "author", "keywords", "notes"]


def _wrong_type():
    return DomainError(_("Upload the document as a PDF, Word (.doc, .docx), Excel (.xls, .xlsx), JPEG or PNG file."))


def inspect_upload(upload):
    """The content type of a file a clerk may file, judged by its content and its name.

    Refuses (DomainError) an empty or oversized file, a file of another kind, and a file whose name
    does not match its content (a program renamed report.pdf, a spreadsheet renamed .docx)."""
    if not upload:
        raise DomainError(_("Choose the file to upload."))
    if upload.size == 0:
        raise DomainError(_("The file is empty."))
    if upload.size > settings.SALESDESK_UPLOAD_MAX_BYTES:
        raise DomainError(
            _("The file is %(size).1f MB; the limit is %(limit).0f MB.")
            % {"size": upload.size / 1e6, "limit": settings.SALESDESK_UPLOAD_MAX_BYTES / 1e6}
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    extension = os.path.splitext(upload.name or "")[1].lower()
    for magic, types in MAGIC.items():
        if not head.startswith(magic):
            continue
        if extension not in types:
            raise DomainError(_("The file's name does not match its content; upload the original file."))
        if extension in OOXML_PART:
            try:
                names = set(zipfile.ZipFile(upload).namelist())  # reads the directory only, unpacks nothing
            except (zipfile.BadZipFile, OSError, ValueError):
                raise _wrong_type()
            finally:
                upload.seek(0)
            if OOXML_PART[extension] not in names:
                raise DomainError(_("The file's name does not match its content; upload the original file."))
        return types[extension]
    raise _wrong_type()


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
    content_type = inspect_upload(file)
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
    content_type = inspect_upload(file)
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
