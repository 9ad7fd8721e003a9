"""What an uploaded file is, judged by its content as well as by its name.

`inspect_upload(upload, allowed=..., wrong_type=...)` answers the content type of a file a clerk
brings, or raises `DomainError` with a message the clerk can act on: an empty or oversized file
(settings.SALESDESK_UPLOAD_MAX_BYTES), a kind the caller does not take, a name that does not match
the content (a program renamed report.pdf, a spreadsheet renamed .docx, a plain zip named .docx).
Each caller names the content types it takes and says in its own words what to upload instead; a
form turns the DomainError into a ValidationError next to its file field.
"""

import os
import zipfile

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesdesk.errors import DomainError

PDF = "application/pdf"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JPEG = "image/jpeg"
PNG = "image/png"

SCANS = frozenset({PDF, JPEG, PNG})  # what a scanner or a phone camera makes of a signed paper

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
KNOWN = frozenset(content_type for types in MAGIC.values() for content_type in types.values())

NAME_MISMATCH = gettext_lazy("The file's name does not match its content; upload the original file.")


def inspect_upload(upload, *, allowed, wrong_type, mismatch=NAME_MISMATCH):
    """The content type of `upload`, one of `allowed` (content types: PDF, DOCX, JPEG, ...).

    `wrong_type` is the message for a file of a kind the caller does not take (it says what to
    upload instead); `mismatch` the one for a file whose name does not match its content."""
    allowed = frozenset(allowed)
    if not allowed or allowed - KNOWN:
        raise ValueError(f"inspect_upload() knows {sorted(KNOWN)}, not {sorted(allowed - KNOWN)}")
    if not upload:
        raise DomainError(_("Choose the file to upload."))
    if upload.size == 0:
        raise DomainError(_("The file is empty."))
    if upload.size > settings.SALESDESK_UPLOAD_MAX_BYTES:
        raise DomainError(
            _("The file is %(size).1f MB; the limit is %(limit).0f MB.")
            % {"size": upload.size / 1e6, "limit": settings.SALESDESK_UPLOAD_MAX_BYTES / 1e6}
        )
    types = _types_by_content(upload)
    if not allowed & set(types.values()):  # unknown content, or a kind this caller does not take
        raise DomainError(str(wrong_type))
    extension = os.path.splitext(upload.name or "")[1].lower()
    if extension not in types:
        raise DomainError(str(mismatch))
    if types[extension] not in allowed:  # e.g. a real workbook where only Word files are taken
        raise DomainError(str(wrong_type))
    if extension in OOXML_PART:
        _check_ooxml_part(upload, OOXML_PART[extension], wrong_type=wrong_type, mismatch=mismatch)
    return types[extension]


def _types_by_content(upload):
    """{extension: content type} that the first bytes of `upload` allow; {} for an unknown kind."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    for magic, types in MAGIC.items():
        if head.startswith(magic):
            return types
    return {}


def _check_ooxml_part(upload, part, *, wrong_type, mismatch):
    """A .docx or .xlsx is a zip holding its main part: not any zip, nor the other one of the two."""
    try:
        names = set(zipfile.ZipFile(upload).namelist())  # reads the directory only, unpacks nothing
    except (zipfile.BadZipFile, OSError, ValueError):
        raise DomainError(str(wrong_type))
    finally:
        upload.seek(0)
    if part not in names:
        raise DomainError(str(mismatch))
