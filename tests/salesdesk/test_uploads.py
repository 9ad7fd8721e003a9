"""The one upload check: a file is what its content says, named as its content, of a kind the
caller takes, and not too large; every refusal in words the clerk reads (translated)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.translation import gettext

from salesdesk import uploads
from salesdesk.errors import DomainError
from salesdesk.uploads import DOC, DOCX, JPEG, PDF, PNG, XLS, XLSX, inspect_upload
from tests.helpers import ooxml

# A caller's own words for a kind it does not take (plain text here: no msgid of the tests).
WRONG_TYPE = "Upload a PDF, Word, Excel, JPEG or PNG file."
OFFICE_AND_SCANS = {PDF, DOC, DOCX, XLS, XLSX, JPEG, PNG}
MISMATCH = "The file's name does not match its content; upload the original file."
TOO_LARGE = "The file is %(size).1f MB; the limit is %(limit).0f MB."


PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
OLE2_BYTES = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
DOCX_BYTES, XLSX_BYTES = ooxml("word/document.xml"), ooxml("xl/workbook.xml")
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200


def upload(name, content):
    return SimpleUploadedFile(name, content)


def refusal(message, **params):
    """The message as the clerk reads it, in the active language."""
    text = gettext(message)
    return text % params if params else text


def refused(file, *, allowed=OFFICE_AND_SCANS, **messages):
    with pytest.raises(DomainError) as refused:
        inspect_upload(file, allowed=allowed, wrong_type=WRONG_TYPE, **messages)
    return refused.value.message


@pytest.mark.parametrize(
    "name, content, content_type",
    [
        ("会议纪要.pdf", PDF_BYTES, PDF),
        ("扫描件.JPG", JPEG_BYTES, JPEG),
        ("photo.jpeg", JPEG_BYTES, JPEG),
        ("签字页.png", PNG_BYTES, PNG),
        ("考核办法.docx", DOCX_BYTES, DOCX),
        ("台账.xlsx", XLSX_BYTES, XLSX),
        ("旧文件.doc", OLE2_BYTES, DOC),
        ("旧台账.xls", OLE2_BYTES, XLS),
    ],
)
def test_a_real_file_of_an_allowed_kind_is_accepted_with_its_content_type(name, content, content_type):
    file = upload(name, content)

    assert inspect_upload(file, allowed=OFFICE_AND_SCANS, wrong_type=WRONG_TYPE) == content_type
    assert file.read() == content  # left at the start, ready to be stored


def test_a_program_renamed_pdf_is_refused_as_a_kind_not_taken():
    assert refused(upload("report.pdf", PROGRAM)) == WRONG_TYPE


def test_a_docx_without_its_word_part_is_refused_as_misnamed():
    assert refused(upload("考核办法.docx", ooxml("other/part.xml"))) == refusal(MISMATCH)


def test_a_workbook_renamed_docx_is_refused_as_misnamed():
    assert refused(upload("考核办法.docx", XLSX_BYTES)) == refusal(MISMATCH)


def test_a_damaged_zip_named_docx_is_refused_as_a_kind_not_taken():
    assert refused(upload("考核办法.docx", b"PK\x03\x04" + b"\x00" * 100)) == WRONG_TYPE


def test_a_png_named_pdf_is_refused_with_the_callers_own_mismatch_message():
    message = "The file's name does not match its content; upload the original scan."

    assert refused(upload("agreement.pdf", PNG_BYTES), mismatch=message) == message


def test_an_oversized_file_is_refused_with_its_size_and_the_limit(settings):
    settings.SALESDESK_UPLOAD_MAX_BYTES = 1_000_000
    big = upload("report.pdf", PDF_BYTES + b"\n" * (1_500_000 - len(PDF_BYTES)))

    assert refused(big) == refusal(TOO_LARGE, size=1.5, limit=1)


def test_a_file_of_exactly_the_limit_is_accepted(settings):
    settings.SALESDESK_UPLOAD_MAX_BYTES = 1_000_000
    file = upload("report.pdf", PDF_BYTES + b"\n" * (1_000_000 - len(PDF_BYTES)))

    assert inspect_upload(file, allowed={PDF}, wrong_type=WRONG_TYPE) == PDF


@pytest.mark.parametrize(
    "name, content",
    [
        ("考核办法.docx", DOCX_BYTES),  # a real Word file, where only scans are taken
        ("old-scan.pdf", OLE2_BYTES),  # an old Office file named .pdf: a kind not taken, not a wrong name
        ("台账.xlsx", XLSX_BYTES),
    ],
)
def test_a_kind_the_caller_does_not_take_is_refused(name, content):
    assert refused(upload(name, content), allowed=uploads.SCANS) == WRONG_TYPE


def test_a_workbook_is_refused_where_only_word_files_are_taken():
    assert refused(upload("台账.xlsx", XLSX_BYTES), allowed={DOCX}) == WRONG_TYPE


def test_an_empty_file_and_no_file_are_refused():
    assert refused(upload("report.pdf", b"")) == refusal("The file is empty.")
    assert refused(None) == refusal("Choose the file to upload.")


def test_a_caller_naming_an_unknown_content_type_is_a_programming_error():
    with pytest.raises(ValueError):
        inspect_upload(upload("report.pdf", PDF_BYTES), allowed={"application/x-msdownload"}, wrong_type=WRONG_TYPE)


@pytest.mark.parametrize(
    "msgid", [MISMATCH, TOO_LARGE, "The file is empty.", "Choose the file to upload."]
)
def test_the_core_messages_are_translated_to_chinese(msgid):
    with translation.override("zh-hans"):
        assert gettext(msgid) != msgid
