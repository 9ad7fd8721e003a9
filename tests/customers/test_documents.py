"""Department documents (文件制度管理): filed by category, every version kept and downloadable,
uploads judged by their content, read by whom the policy lets query, every download logged."""

import datetime
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from customers import document_services as documents
from customers.models import Document, DocumentVersion
from salesdesk.errors import DomainError
from salesdesk.models import AccessRequest, AuditEntry
from tests.conftest import PDF
from tests.helpers import grant, ooxml, says

LIST = "/archives/documents/"
NEW = "/archives/documents/new/"
PDF_V2 = PDF.replace(b"%%EOF", b"% revised after the March meeting\n%%EOF")
DOWNLOADED = "customers.document.downloaded"


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
DOCX, XLSX = ooxml("word/document.xml"), ooxml("xl/workbook.xml")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200


def document_post(upload, **fields):
    return {
        "title": "2026年售后服务考核办法", "category": "rule", "document_date": "2026-03-05", "author": "李经理",
        "keywords": "售后 考核 办法", "notes": "", "file": upload, **fields,
    }


def file_document(clerk, title="部门例会纪要", category=Document.Category.MINUTES, *, content=PDF, name="纪要.pdf", **data):
    return documents.document_create(
        by=clerk, file=ContentFile(content, name=name),
        data={"title": title, "category": category, "document_date": datetime.date(2026, 3, 5), "author": "王秘书", **data},
    )


def body(response):
    return b"".join(response.streaming_content)  # the test client closes the file when it is read to the end


@pytest.fixture
def document(clerk):
    return file_document(clerk)


@pytest.fixture
def member_with_documents_grant(member, manager):
    grant(member, manager, scope=AccessRequest.Scope.CATEGORY, category="documents")
    return member


# Filing and versions -------------------------------------------------------------------------


def test_clerk_files_a_document_and_a_new_version_keeps_the_old_one(login, clerk):
    client = login(clerk)

    response = client.post(NEW, document_post(SimpleUploadedFile("考核办法.pdf", PDF)))

    document = Document.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/archives/documents/{document.pk}/"
    assert document.current_version == 1
    assert (document.title, document.category, document.author) == ("2026年售后服务考核办法", "rule", "李经理")
    assert document.document_date == datetime.date(2026, 3, 5)
    assert document.created_by == clerk

    response = client.post(
        f"/archives/documents/{document.pk}/versions/new/",
        {"file": SimpleUploadedFile("考核办法（修订）.pdf", PDF_V2), "change_note": "按三月例会意见修订"},
    )

    assert response.status_code == 302
    document.refresh_from_db()
    assert document.current_version == 2
    first, second = DocumentVersion.objects.filter(document=document).order_by("number")
    assert (first.number, first.original_name, first.size, first.content_type) == (1, "考核办法.pdf", len(PDF), "application/pdf")
    assert (second.number, second.original_name, second.change_note) == (2, "考核办法（修订）.pdf", "按三月例会意见修订")
    assert second.uploaded_by == clerk
    assert first.file.name != second.file.name
    assert body(client.get(f"/archives/documents/{document.pk}/versions/1/")) == PDF
    assert body(client.get(f"/archives/documents/{document.pk}/versions/2/")) == PDF_V2


def test_the_detail_page_lists_every_version(login, clerk, document):
    documents.document_add_version(document=document, by=clerk, file=ContentFile(PDF_V2, name="纪要-修订.pdf"), change_note="补充决议")

    page = login(clerk).get(f"/archives/documents/{document.pk}/")

    content = page.content.decode()
    assert page.status_code == 200
    assert "纪要.pdf" in content and "纪要-修订.pdf" in content and "补充决议" in content
    assert f"/archives/documents/{document.pk}/versions/1/" in content
    assert f"/archives/documents/{document.pk}/versions/2/" in content


def test_a_download_names_the_original_file_and_its_type(login, clerk, document):
    response = login(clerk).get(f"/archives/documents/{document.pk}/versions/1/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "%E7%BA%AA%E8%A6%81.pdf" in response["Content-Disposition"]  # 纪要.pdf, RFC 5987-encoded
    body(response)


def test_filing_and_a_new_version_are_in_the_audit_trail(clerk, document):
    documents.document_add_version(document=document, by=clerk, file=ContentFile(PDF_V2, name="v2.pdf"), change_note="修订")

    uploaded = AuditEntry.objects.get(action="customers.document.uploaded")
    added = AuditEntry.objects.get(action="customers.document.version_added")
    assert (uploaded.actor, uploaded.object_id, uploaded.data) == (clerk, str(document.pk), {"version": 1, "file": "纪要.pdf"})
    assert uploaded.changes["title"] == [None, "部门例会纪要"]
    assert added.changes == {"current_version": [1, 2]}
    assert added.data == {"version": 2, "file": "v2.pdf", "change_note": "修订"}


def test_a_new_version_without_a_change_note_is_refused(clerk, document):
    with pytest.raises(DomainError):
        documents.document_add_version(document=document, by=clerk, file=ContentFile(PDF_V2, name="v2.pdf"), change_note="  ")

    document.refresh_from_db()
    assert document.current_version == 1
    assert document.versions.count() == 1


def test_two_versions_of_a_document_cannot_share_a_number(clerk, document):
    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentVersion.objects.create(
            document=document, number=1, file="documents/x.pdf", original_name="x.pdf", size=1,
            content_type="application/pdf", uploaded_by=clerk,
        )


@pytest.mark.parametrize(
    "name, content, content_type",
    [
        ("决定.pdf", PDF, "application/pdf"),
        ("制度.doc", OLE2, "application/msword"),
        ("制度.DOCX", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("考核表.xls", OLE2, "application/vnd.ms-excel"),
        ("考核表.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("会议照片.jpg", JPEG, "image/jpeg"),
        ("会议照片.jpeg", JPEG, "image/jpeg"),
        ("签字页.png", PNG, "image/png"),
    ],
)
def test_the_office_formats_and_scans_are_accepted(clerk, name, content, content_type):
    document = file_document(clerk, content=content, name=name)

    version = document.versions.get()
    assert version.content_type == content_type
    assert version.original_name == name
    with version.file.open("rb") as stored:
        assert stored.read() == content


# Refused uploads -----------------------------------------------------------------------------


def test_a_renamed_program_is_refused_and_nothing_is_saved(login, clerk, settings):
    response = login(clerk).post(NEW, document_post(SimpleUploadedFile("report.pdf", PROGRAM)))

    assert response.status_code == 400
    assert "file" in response.context["form"].errors
    assert says(response, "Upload the document as a PDF, Word (.doc, .docx), Excel (.xls, .xlsx), JPEG or PNG file.")
    assert not Document.objects.exists()
    assert not DocumentVersion.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="customers.document.").exists()
    assert not (settings.MEDIA_ROOT / "documents").exists()


@pytest.mark.parametrize(
    "name, content",
    [("report.pdf", PNG), ("制度.docx", XLSX), ("考核表.xlsx", DOCX), ("纪要.docx", OLE2), ("照片.png", JPEG), ("report", PDF)],
)
def test_a_file_whose_name_does_not_match_its_content_is_refused(login, clerk, name, content):
    response = login(clerk).post(NEW, document_post(SimpleUploadedFile(name, content)))

    assert response.status_code == 400
    assert says(response, "The file's name does not match its content; upload the original file.")
    assert not Document.objects.exists()


def test_a_plain_zip_named_docx_is_refused(clerk):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a Word document")

    with pytest.raises(DomainError):
        file_document(clerk, content=buffer.getvalue(), name="制度.docx")
    assert not Document.objects.exists()


def test_a_file_over_the_size_limit_is_refused(login, clerk, settings):
    settings.SALESDESK_UPLOAD_MAX_BYTES = 1_000_000
    big = SimpleUploadedFile("考核办法.pdf", PDF + b"\n" * (1_500_000 - len(PDF)))

    response = login(clerk).post(NEW, document_post(big))

    assert response.status_code == 400
    assert says(response, "The file is %(size).1f MB; the limit is %(limit).0f MB.", size=1.5, limit=1)
    assert not Document.objects.exists()
    assert not DocumentVersion.objects.exists()


def test_an_oversized_new_version_is_refused_and_the_document_stays_as_it_was(login, clerk, document, settings):
    settings.SALESDESK_UPLOAD_MAX_BYTES = 1_000
    response = login(clerk).post(
        f"/archives/documents/{document.pk}/versions/new/",
        {"file": SimpleUploadedFile("纪要.pdf", PDF + b"\n" * 2_000), "change_note": "补充"},
    )

    assert response.status_code == 400
    assert says(response, "The file is %(size).1f MB; the limit is %(limit).0f MB.", size=0.0, limit=0)
    document.refresh_from_db()
    assert document.current_version == 1
    assert document.versions.count() == 1


def test_an_empty_file_is_refused(clerk):
    with pytest.raises(DomainError):
        file_document(clerk, content=b"", name="空.pdf")


def test_a_document_without_title_author_or_date_is_refused(login, clerk):
    response = login(clerk).post(NEW, document_post(SimpleUploadedFile("a.pdf", PDF), title="", author="", document_date=""))

    assert response.status_code == 400
    assert {"title", "author", "document_date"} <= set(response.context["form"].errors)
    assert not Document.objects.exists()


# The list ------------------------------------------------------------------------------------


@pytest.fixture
def shelf(clerk):
    return {
        "decision": file_document(clerk, "关于调整售后服务网点的决定", Document.Category.DECISION, keywords="网点 调整", author="张总"),
        "rule": file_document(clerk, "售后服务规范", Document.Category.RULE, keywords="售后 规范 时限"),
        "minutes": file_document(clerk, "三月部门例会纪要", Document.Category.MINUTES, keywords="例会"),
        "old": file_document(clerk, "2024年度考核记录", Document.Category.ASSESSMENT, document_date=datetime.date(2024, 12, 30)),
    }


def titles(response):
    return [document.title for document in response.context["page"]]


def test_the_list_filters_by_category(login, clerk, shelf):
    response = login(clerk).get(LIST, {"category": "rule"})

    assert response.status_code == 200
    assert titles(response) == ["售后服务规范"]


def test_the_list_searches_title_keywords_and_author(login, clerk, shelf):
    client = login(clerk)

    assert titles(client.get(LIST, {"q": "时限"})) == ["售后服务规范"]  # a keyword
    assert titles(client.get(LIST, {"q": "例会"})) == ["三月部门例会纪要"]
    assert titles(client.get(LIST, {"q": "张总"})) == ["关于调整售后服务网点的决定"]  # the author
    assert set(titles(client.get(LIST, {"q": "售后"}))) == {"售后服务规范", "关于调整售后服务网点的决定"}


def test_the_list_filters_by_year(login, clerk, shelf):
    response = login(clerk).get(LIST, {"year": "2024"})

    assert titles(response) == ["2024年度考核记录"]
    assert '<option value="2024"' in response.content.decode()


def test_the_list_shows_the_newest_documents_first(login, clerk, shelf):
    assert titles(login(clerk).get(LIST))[-1] == "2024年度考核记录"


def test_the_list_query_count_does_not_grow_with_the_page_size(login, clerk):
    for n in range(60):
        Document.objects.create(
            title=f"日常工作资料{n}", category="work_paper", document_date=datetime.date(2026, 1, 1), author="王", created_by=clerk
        )
    client = login(clerk)
    client.get(LIST)  # warm the caches (content types, choice lists)
    counts = []
    for size in (20, 50):
        with CaptureQueriesContext(connection) as queries:
            assert len(titles(client.get(LIST, {"per_page": size}))) == size
        counts.append(len(queries))
    # the session, the user and their roles (read on every request, never cached: issue 10), the
    # years of the filter; the count, the page's ids, its rows
    assert counts == [7, 7]


# Who may do what -----------------------------------------------------------------------------


def test_a_member_without_a_grant_cannot_list_read_or_download(login, member, document):
    client = login(member)

    assert client.get(LIST).status_code == 403
    assert client.get(f"/archives/documents/{document.pk}/").status_code == 403
    assert client.get(f"/archives/documents/{document.pk}/versions/1/").status_code == 403
    assert not AuditEntry.objects.filter(action=DOWNLOADED).exists()


def test_a_grant_for_another_archive_does_not_open_the_documents(login, member, manager, document):
    grant(member, manager, scope=AccessRequest.Scope.CATEGORY, category="customers")
    client = login(member)

    assert client.get(LIST).status_code == 403
    assert client.get(f"/archives/documents/{document.pk}/versions/1/").status_code == 403


def test_a_member_with_a_documents_grant_can_list_and_download_but_not_upload(login, member_with_documents_grant, document):
    client = login(member_with_documents_grant)

    assert titles(client.get(LIST)) == ["部门例会纪要"]
    assert client.get(f"/archives/documents/{document.pk}/").status_code == 200
    assert body(client.get(f"/archives/documents/{document.pk}/versions/1/")) == PDF
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, document_post(SimpleUploadedFile("a.pdf", PDF))).status_code == 403
    assert client.post(
        f"/archives/documents/{document.pk}/versions/new/", {"file": SimpleUploadedFile("b.pdf", PDF_V2), "change_note": "x"}
    ).status_code == 403
    assert Document.objects.count() == 1
    assert document.versions.count() == 1


@pytest.mark.parametrize("role", ["leader", "manager"])
def test_leadership_and_the_manager_read_but_do_not_upload(people, login, document, role):
    client = login(people[role])

    assert client.get(LIST).status_code == 200
    assert client.get(f"/archives/documents/{document.pk}/").status_code == 200
    assert body(client.get(f"/archives/documents/{document.pk}/versions/1/")) == PDF
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, document_post(SimpleUploadedFile("a.pdf", PDF))).status_code == 403
    assert client.get(f"/archives/documents/{document.pk}/versions/new/").status_code == 403
    assert Document.objects.count() == 1


@pytest.mark.parametrize("role", ["developer", "repair"])
def test_other_roles_without_a_grant_get_403(people, login, document, role):
    assert login(people[role]).get(LIST).status_code == 403


def test_the_upload_service_refuses_anyone_but_the_clerk(manager):
    with pytest.raises(PermissionDenied):
        file_document(manager)
    assert not Document.objects.exists()


def test_the_detail_page_offers_a_new_version_only_to_the_clerk(login, clerk, manager, document):
    new_version = f"/archives/documents/{document.pk}/versions/new/"

    assert new_version in login(clerk).get(f"/archives/documents/{document.pk}/").content.decode()
    assert new_version not in login(manager).get(f"/archives/documents/{document.pk}/").content.decode()


# Downloads are logged ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["clerk", "manager", "leader", "member_with_documents_grant"])
def test_every_download_writes_an_audit_entry_with_its_version(request, login, clerk, document, role):
    user = request.getfixturevalue(role)
    documents.document_add_version(document=document, by=clerk, file=ContentFile(PDF_V2, name="v2.pdf"), change_note="修订")
    client = login(user)

    for number in (1, 2, 1):
        body(client.get(f"/archives/documents/{document.pk}/versions/{number}/"))

    entries = AuditEntry.objects.filter(action=DOWNLOADED).order_by("pk")
    assert [entry.data for entry in entries] == [{"version": 1}, {"version": 2}, {"version": 1}]
    assert {(entry.actor_id, entry.content_type.model, entry.object_id) for entry in entries} == {(user.pk, "document", str(document.pk))}


def test_a_refused_download_writes_no_download_entry(login, developer, document):
    assert login(developer).get(f"/archives/documents/{document.pk}/versions/1/").status_code == 403
    assert not AuditEntry.objects.filter(action=DOWNLOADED).exists()


# Missing records -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/archives/documents/999999/", "/archives/documents/999999/versions/1/", "/archives/documents/999999/versions/new/"]
)
def test_a_missing_document_is_404(login, clerk, url):
    assert login(clerk).get(url).status_code == 404


def test_a_missing_version_is_404(login, clerk, document):
    assert login(clerk).get(f"/archives/documents/{document.pk}/versions/2/").status_code == 404
    assert not AuditEntry.objects.filter(action=DOWNLOADED).exists()
