"""Every URL the project serves × every role (and anonymous), against real responses.

The expected answer comes from the one policy (`salesdesk.access.can`), never from a table of
role names here. A URL that has no entry in MATRIX makes `test_every_url_has_an_entry` fail.
"""

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from customers import document_services
from customers import services as archive
from customers.models import Dealer
from salesdesk import outbox
from salesdesk.access import can
from salesdesk.models import OutboxMessage, StaffProfile
from salesdesk.services import access_request_create, staff_profile_ensure
from tests.conftest import PDF

PUBLIC = "public"


def allowed(action, target=None, code=200):
    """Expect `code` where the policy allows `action` on `target`, 403 where it refuses."""

    def expect(user, objs):
        resolved = target(objs) if callable(target) else target
        return code if can(user, action, resolved) else 403

    return expect


def own_access_request(user, objs):
    if can(user, "access.review"):
        return 200
    if can(user, "access.request"):
        return 200 if objs["access_request"].requester_id == user.pk else 404
    return 403


def access_list(user, objs):
    return 200 if can(user, "access.review") or can(user, "access.request") else 403


def dealer_edit(user, objs):
    return 200 if "edit" in archive.dealer_allowed_steps(user, objs["draft"]) else 403


def admin_index(user, objs):
    return 302  # Django's admin sends everyone who is not staff to its own login page


# url name -> (kwargs from the objects, expected answer for a logged-in user)
MATRIX = {
    "dashboard": (None, allowed("dashboard")),
    "healthz": (None, PUBLIC),
    "login": (None, PUBLIC),
    "logout": (None, PUBLIC),
    "set_language": (None, PUBLIC),
    "access_list": (None, access_list),
    "access_create": (None, allowed("access.request")),
    "access_detail": (lambda o: {"pk": o["access_request"].pk}, own_access_request),
    "audit_list": (None, allowed("audit.view")),
    "outbox_list": (None, allowed("outbox.view")),
    "outbox_retry": (lambda o: {"pk": o["message"].pk}, allowed("outbox.manage", code=302)),
    "outbox_cancel": (lambda o: {"pk": o["message"].pk}, allowed("outbox.manage", code=302)),
    "staff_list": (None, allowed("archive.query", "staff")),
    "staff_export": (None, allowed("archive.export")),
    "staff_edit": (lambda o: {"pk": o["profile"].pk}, allowed("staff.edit")),
    "reveal": (
        lambda o: {"model": "customers.customer", "pk": o["customer"].pk, "field": "phone"},
        allowed("pii.unmask", code=302),
    ),
    "customers:region_list": (None, allowed("region.query")),
    "customers:region_create": (None, allowed("archive.edit")),
    "customers:region_edit": (lambda o: {"pk": o["region"].pk}, allowed("archive.edit")),
    "customers:dealer_list": (None, allowed("archive.query", "dealers")),
    "customers:dealer_export": (None, allowed("archive.export")),
    "customers:dealer_create": (None, allowed("dealer.intake")),
    "customers:dealer_detail": (lambda o: {"pk": o["authorized"].pk}, allowed("archive.query", lambda o: o["authorized"])),
    "customers:dealer_edit": (lambda o: {"pk": o["draft"].pk}, dealer_edit),
    "customers:dealer_submit": (lambda o: {"pk": o["draft"].pk}, allowed("dealer.intake", lambda o: o["draft"])),
    "customers:dealer_approve": (lambda o: {"pk": o["submitted"].pk}, allowed("dealer.review", lambda o: o["submitted"])),
    "customers:dealer_return": (lambda o: {"pk": o["submitted"].pk}, allowed("dealer.review", lambda o: o["submitted"])),
    "customers:dealer_file": (lambda o: {"pk": o["approved"].pk}, allowed("dealer.file", lambda o: o["approved"])),
    "customers:dealer_authorize": (lambda o: {"pk": o["filed"].pk}, allowed("dealer.authorize", lambda o: o["filed"])),
    "customers:dealer_grade": (lambda o: {"pk": o["authorized"].pk}, allowed("dealer.authorize", lambda o: o["authorized"])),
    "customers:dealer_card": (lambda o: {"pk": o["authorized"].pk}, allowed("archive.query", lambda o: o["authorized"])),
    "customers:dealer_agreement": (lambda o: {"pk": o["authorized"].pk}, allowed("archive.query", lambda o: o["authorized"])),
    "customers:customer_list": (None, allowed("archive.query", "customers")),
    "customers:customer_export": (None, allowed("archive.export")),
    "customers:customer_create": (None, allowed("archive.edit")),
    "customers:customer_detail": (lambda o: {"pk": o["customer"].pk}, allowed("archive.query", lambda o: o["customer"])),
    "customers:customer_edit": (lambda o: {"pk": o["customer"].pk}, allowed("archive.edit")),
    "customers:purchase_add": (lambda o: {"pk": o["customer"].pk}, allowed("archive.edit")),
    "customers:purchase_remove": (lambda o: {"pk": o["purchase"].pk}, allowed("archive.edit", code=302)),
    "customers:document_list": (None, allowed("documents.query")),
    "customers:document_create": (None, allowed("documents.edit")),
    "customers:document_detail": (lambda o: {"pk": o["document"].pk}, allowed("documents.query", lambda o: o["document"])),
    "customers:document_version_create": (lambda o: {"pk": o["document"].pk}, allowed("documents.edit", lambda o: o["document"])),
    "customers:document_download": (
        lambda o: {"pk": o["document"].pk, "number": 1}, allowed("documents.query", lambda o: o["document"])
    ),
    "import_list": (None, allowed("archive.import")),
    "import_detail": (lambda o: {"pk": o["import_job"].pk}, allowed("archive.import")),
    "import_confirm": (lambda o: {"pk": o["import_job"].pk}, allowed("archive.import", code=302)),
    "import_errors": (lambda o: {"pk": o["import_job"].pk}, allowed("archive.import")),
    "import_template": (lambda o: {"kind": "customers"}, allowed("archive.import")),
    "admin:index": (None, admin_index),
}
PUBLIC_ANSWERS = {"healthz": 200, "login": 200, "logout": 405, "set_language": 302}
LOGGED_IN_PUBLIC_ANSWERS = {"login": 302}


def served_url_names(patterns=None, namespace=""):
    names = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.namespace == "admin":
                names.add("admin:index")  # Django's admin is one entry: it guards itself
                continue
            names |= served_url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_url_has_an_entry():
    missing = served_url_names() - set(MATRIX)
    assert not missing, f"URLs without an entry in the permission matrix: {sorted(missing)}"
    assert not set(MATRIX) - served_url_names(), "entries for URLs that no longer exist"


@pytest.fixture
def objs(people, make_dealer, make_customer, region, member_with_grant):
    S = Dealer.Status
    customer = make_customer()
    purchase = archive.purchase_add(
        customer=customer, by=people["clerk"],
        data={"date": timezone.localdate(), "product_model": "LR-904", "quantity": 1, "unit_price": 1000,
              "amount": None, "purchase_method": "direct", "payment_method": "cash", "dealer": None},
    )
    message, _created = outbox.enqueue(channel="sms", key="matrix-1", recipient="13900000000", body="测试")
    OutboxMessage.objects.filter(pk=message.pk).update(state=OutboxMessage.State.FAILED)
    return {
        "region": region,
        "draft": make_dealer(S.DRAFT),
        "submitted": make_dealer(S.SUBMITTED),
        "approved": make_dealer(S.APPROVED),
        "filed": make_dealer(S.FILED),
        "authorized": make_dealer(S.AUTHORIZED),
        "customer": customer,
        "purchase": purchase,
        "document": document_services.document_create(
            by=people["clerk"], file=ContentFile(PDF, name="部门制度.pdf"),
            data={"title": "售后服务规范", "category": "rule", "document_date": timezone.localdate(), "author": "部门经理"},
        ),
        "message": message,
        "profile": staff_profile_ensure(user=people["clerk"]),
        "access_request": access_request_create(by=people["member"], scope="all", reason="查阅客户资料", days=3),
        "users": {**people, "member_with_grant": member_with_grant},
        "import_job": import_job(people["clerk"]),
    }


def import_job(clerk):
    """A checked import whose file has one bad row, so it has an error workbook to download."""
    from django.core.files.base import ContentFile

    from salesdesk import import_jobs

    upload = ContentFile("姓名,电话,区域编码\n张三,13900000001,NOPE\n".encode(), name="customers.csv")
    job = import_jobs.import_upload(by=clerk, kind="customers", upload=upload, duplicates="skip")
    return import_jobs.import_check(job=job)


def _url(name, objs):
    kwargs_of, _expect = MATRIX[name]
    return reverse(name, kwargs=kwargs_of(objs) if kwargs_of else None)


@pytest.mark.django_db
def test_every_role_gets_what_the_policy_says(client, objs):
    mismatches = []
    for role, user in objs["users"].items():
        client.force_login(user)
        for name, (_kwargs, expect) in MATRIX.items():
            if expect == PUBLIC:
                expected = LOGGED_IN_PUBLIC_ANSWERS.get(name, PUBLIC_ANSWERS[name])
            else:
                user = type(user).objects.get(pk=user.pk)  # fresh: no cached roles or grants
                expected = expect(user, objs)
            answer = client.get(_url(name, objs)).status_code
            if answer != expected:
                mismatches.append(f"{role:18} {name:32} expected {expected}, got {answer}")
        client.logout()
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.django_db
def test_anonymous_is_sent_to_log_in_everywhere_but_public_pages(client, objs):
    mismatches = []
    for name, (_kwargs, expect) in MATRIX.items():
        response = client.get(_url(name, objs))
        expected = PUBLIC_ANSWERS[name] if expect == PUBLIC else 302
        if response.status_code != expected:
            mismatches.append(f"{name}: expected {expected}, got {response.status_code}")
        elif expected == 302 and expect != PUBLIC and not name.startswith("admin:"):
            assert response["Location"].startswith(reverse("login")), name
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.django_db
def test_the_matrix_covers_every_answer_a_role_can_get(objs):
    """Guard against a matrix where the policy allows nothing: each role may open some page
    and is refused others, exactly as DOMAIN §1 says."""
    users = objs["users"]
    assert can(users["clerk"], "archive.edit") and not can(users["manager"], "archive.edit")
    assert can(users["leader"], "archive.export") and not can(users["member"], "archive.export")
    assert not can(users["member_with_grant"], "archive.export")
    assert can(users["member_with_grant"], "archive.query", "customers")
    assert not can(users["member"], "archive.query", "customers")
    assert StaffProfile.objects.filter(user=users["clerk"]).exists()
