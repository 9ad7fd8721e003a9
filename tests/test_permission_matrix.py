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
from salesdesk.models import OutboxMessage, Role, StaffProfile
from salesdesk.services import access_request_create, staff_profile_ensure
from tests.conftest import PASSWORD, PDF

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


def any_user(user, objs):
    return 200  # one's own account (password change): every logged-in person, whatever their roles


def admin_index(user, objs):
    return 302  # Django's admin sends everyone who is not staff to its own login page


# url name -> (kwargs from the objects, expected answer for a logged-in user)
MATRIX = {
    "dashboard": (None, allowed("dashboard")),
    "search": (None, allowed("dashboard")),  # everyone may search; each kind of record asks the policy itself
    "healthz": (None, PUBLIC),
    "login": (None, PUBLIC),
    "logout": (None, PUBLIC),
    "password_change": (None, any_user),
    "password_change_done": (None, any_user),
    "set_language": (None, PUBLIC),
    "access_list": (None, access_list),
    "access_create": (None, allowed("access.request")),
    "access_detail": (lambda o: {"pk": o["access_request"].pk}, own_access_request),
    "lockout_list": (None, allowed("access.unlock")),
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
    "import_columns": (lambda o: {"pk": o["import_job"].pk}, allowed("archive.import")),
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
def objs(people, make_dealer, make_customer, region, member_with_grant, make_user):
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
        # developer2: another developer, who meets the first one's intakes by their ids
        "users": {**people, "member_with_grant": member_with_grant, "developer2": make_user("developer2", Role.DEVELOPER)},
        "import_job": import_job(people["clerk"]),
    }


def import_job(clerk):
    """A checked import whose file has one bad row, so it has an error workbook to download."""
    from django.core.files.base import ContentFile

    from salesdesk import import_jobs
    from tests.helpers import checked

    upload = ContentFile("姓名,电话,区域编码\n张三,13900000001,NOPE\n".encode(), name="customers.csv")
    return checked(import_jobs.import_upload(by=clerk, kind="customers", upload=upload, duplicates="skip"), clerk)


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


# The POST pass ---------------------------------------------------------------------------------
#
# Every URL that takes a POST, with a body that would succeed, sent by every role (and another
# developer, and anonymous) against the same records: each POST runs in a savepoint rolled back
# after it. The answer expected comes from the policy again: the success code where it allows the
# action (302, the page after a saved form; 200 for a reveal; 400 where the body names something the
# service refuses), 403 where it refuses it, 404 where the record is somebody else's. A refused POST
# changes nothing, and every other URL answers a POST with 405 (or its refusal).


def dealer_form(dealer, **fields):
    data = {"company": dealer.company, "region": dealer.region_id, "contact": dealer.contact, "contact_phone": dealer.contact_phone,
            "address": dealer.address, "legal_rep_birthday_calendar": "solar", "principal_birthday_calendar": "solar",
            "contact_birthday_calendar": "solar", "version": dealer.version, **fields}
    return data


def customer_form(customer=None, region=None, **fields):
    return {"name": customer.name if customer else "赵大山", "phone": customer.phone if customer else "13812345678",
            "region": customer.region_id if customer else region.pk, "customer_birthday_calendar": "solar",
            **({"version": customer.version} if customer else {}), **fields}


def pdf(name="scan.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def decide_access_request(user, objs):
    if can(user, "access.review"):
        return 302
    if can(user, "access.request"):
        return 403 if objs["access_request"].requester_id == user.pk else 404  # one's own may not be decided
    return 403


def dealer_edit_post(user, objs):
    return 302 if "edit" in archive.dealer_allowed_steps(user, objs["draft"]) else 403


def everyone(code):
    return lambda user, objs: code


def csv_upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("customers.csv", "姓名,电话,区域编码\n张三,13900000002,HBBD\n".encode(), content_type="text/csv")


# url name -> (the body, from the objects; the expected answer for a logged-in user)
POSTS = {
    "login": (lambda o: {"username": "clerk", "password": PASSWORD}, everyone(302)),  # a logged-in user is sent on
    "logout": (lambda o: {}, everyone(302)),
    "set_language": (lambda o: {"language": "zh-hans", "next": "/"}, everyone(302)),
    "password_change": (
        lambda o: {"old_password": PASSWORD, "new_password1": "Yq7-salesdesk-neu", "new_password2": "Yq7-salesdesk-neu"},
        everyone(302),
    ),
    "access_create": (lambda o: {"scope": "all", "reason": "月度回访统计", "days": "3"}, allowed("access.request", code=302)),
    "access_detail": (lambda o: {"decision": "approve", "comment": "同意"}, decide_access_request),
    "lockout_list": (lambda o: {"kind": "username", "value": "nobody"}, allowed("access.unlock", code=400)),  # not locked out
    "outbox_retry": (lambda o: {}, allowed("outbox.manage", code=302)),
    "outbox_cancel": (lambda o: {}, allowed("outbox.manage", code=302)),
    "staff_edit": (
        lambda o: {"name": "职员", "mobile": "13911112222", "version": o["profile"].version}, allowed("staff.edit", code=302),
    ),
    "reveal": (lambda o: {}, allowed("pii.unmask", code=200)),
    "import_list": (lambda o: {"kind": "customers", "file": csv_upload(), "duplicates": "skip"}, allowed("archive.import", code=302)),
    "import_columns": (lambda o: {"column_0": "name", "column_1": "phone", "column_2": "region"}, allowed("archive.import", code=302)),
    "import_confirm": (lambda o: {}, allowed("archive.import", code=302)),
    "customers:region_create": (
        lambda o: {"name": "石家庄市", "code": "HBSJZ", "parent": o["region"].parent_id, "aftersales_by": "dealer"},
        allowed("archive.edit", code=302),
    ),
    "customers:region_edit": (
        lambda o: {"name": "保定市", "code": "HBBD", "parent": o["region"].parent_id, "aftersales_by": "company"},
        allowed("archive.edit", code=302),
    ),
    "customers:dealer_create": (
        lambda o: {**dealer_form(o["draft"], company="新开农机有限公司"), "version": ""}, allowed("dealer.intake", code=302),
    ),
    "customers:dealer_edit": (lambda o: dealer_form(o["draft"], notes="补充"), dealer_edit_post),
    "customers:dealer_submit": (lambda o: {}, allowed("dealer.intake", lambda o: o["draft"], code=302)),
    "customers:dealer_approve": (lambda o: {"comment": "资料齐全"}, allowed("dealer.review", lambda o: o["submitted"], code=302)),
    "customers:dealer_return": (lambda o: {"reason": "缺营业执照"}, allowed("dealer.review", lambda o: o["submitted"], code=302)),
    "customers:dealer_file": (lambda o: {}, allowed("dealer.file", lambda o: o["approved"], code=302)),
    "customers:dealer_authorize": (
        lambda o: {"grade": "A", "agreement": pdf(), "agreement_signed_on": "2026-03-01"},
        allowed("dealer.authorize", lambda o: o["filed"], code=302),
    ),
    "customers:dealer_grade": (
        lambda o: {"grade": "A", "reason": "年销售额上升"}, allowed("dealer.authorize", lambda o: o["authorized"], code=302),
    ),
    "customers:customer_create": (lambda o: customer_form(region=o["region"]), allowed("archive.edit", code=302)),
    "customers:customer_edit": (lambda o: customer_form(o["customer"], notes="回访"), allowed("archive.edit", code=302)),
    "customers:purchase_add": (
        lambda o: {"date": "2026-03-05", "product_model": "LR-904", "quantity": "1", "unit_price": "1000", "amount": "",
                   "purchase_method": "direct", "payment_method": "cash", "dealer": ""},
        allowed("archive.edit", code=302),
    ),
    "customers:purchase_remove": (lambda o: {}, allowed("archive.edit", code=302)),
    "customers:document_create": (
        lambda o: {"title": "会议纪要", "category": "minutes", "document_date": "2026-03-05", "author": "部门经理", "file": pdf("纪要.pdf")},
        allowed("documents.edit", code=302),
    ),
    "customers:document_version_create": (
        lambda o: {"file": pdf("制度v2.pdf"), "change_note": "三月修订"}, allowed("documents.edit", lambda o: o["document"], code=302),
    ),
}
# Anonymous: the public pages answer; every other POST is sent to log in first.
ANONYMOUS_POSTS = {"login": 200, "logout": 302, "set_language": 302, "healthz": 200}
# What a URL without a POST of its own answers one, where the policy lets the person open it.
NO_POST_OF_ITS_OWN = {"healthz": 200, "admin:index": 302}


def takes_post(name):
    """Whether the view behind url `name` has a POST of its own (a class-based view with `post`)."""
    from django.urls import resolve

    view = resolve(_url(name, OBJECTS_FOR_RESOLVING)).func
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        return name in POSTS  # a function view: set_language takes a POST, healthz answers any method
    return hasattr(view_class, "post")


class _Resolving(dict):
    """Objects with any primary key: enough to build each URL and resolve its view."""

    def __missing__(self, key):
        return type("AnyRecord", (), {"pk": 1})()


OBJECTS_FOR_RESOLVING = _Resolving()


def test_every_url_that_takes_a_post_has_a_post_entry():
    with_post = {name for name in MATRIX if name != "admin:index" and takes_post(name)}
    assert not with_post - set(POSTS), f"URLs that take a POST without an entry in POSTS: {sorted(with_post - set(POSTS))}"
    stale = {name for name in POSTS if name not in served_url_names() or (name in MATRIX and name not in with_post)}
    assert not stale, f"entries in POSTS for URLs that take no POST: {sorted(stale)}"


def post_in_savepoint(client, url, body):
    """POST and undo whatever it wrote, so the next role meets the same records; the answer and
    whether it wrote to the audit trail."""
    from django.db import transaction

    from salesdesk.models import AuditEntry

    with transaction.atomic():
        before = AuditEntry.objects.count()
        response = client.post(url, body)
        wrote = AuditEntry.objects.count() != before
        transaction.set_rollback(True)
    return response, wrote


@pytest.mark.django_db
def test_every_role_posts_what_the_policy_says(client, objs):
    mismatches = []
    for role, user in objs["users"].items():
        for name in MATRIX:
            client.force_login(user)
            fresh = type(user).objects.get(pk=user.pk)  # no cached roles or grants
            if name in POSTS:
                body_of, expect = POSTS[name]
                body, expected = body_of(objs), expect(fresh, objs)
            else:
                body = {}
                get_answer = MATRIX[name][1](fresh, objs) if MATRIX[name][1] != PUBLIC else 200
                expected = get_answer if get_answer in (403, 404) else NO_POST_OF_ITS_OWN.get(name, 405)
            response, wrote = post_in_savepoint(client, _url(name, objs), body)
            if response.status_code != expected:
                mismatches.append(f"{role:18} POST {name:36} expected {expected}, got {response.status_code}")
            elif response.status_code in (403, 404, 405) and wrote:
                mismatches.append(f"{role:18} POST {name:36} was refused ({response.status_code}) but wrote to the audit trail")
        client.logout()
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.django_db
def test_an_empty_post_is_refused_as_the_policy_says_or_answered_never_a_500(client, objs):
    """A form sent empty (or a step with nothing to say): refused where the policy refuses, else a
    page with the form's errors (400, or 200 where Django's own view re-renders), or the step taken."""
    mismatches = []
    for role, user in objs["users"].items():
        for name in POSTS:
            if name not in MATRIX:
                continue
            client.force_login(user)
            fresh = type(user).objects.get(pk=user.pk)
            refused = POSTS[name][1](fresh, objs) in (403, 404)
            response, _wrote = post_in_savepoint(client, _url(name, objs), {})
            answer = response.status_code
            if (refused and answer != POSTS[name][1](fresh, objs)) or (not refused and answer not in (200, 302, 400)):
                mismatches.append(f"{role:18} POST {name:36} with an empty body: got {answer}")
        client.logout()
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.django_db
def test_anonymous_posts_are_sent_to_log_in_everywhere_but_public_pages(client, objs):
    mismatches = []
    for name in MATRIX:
        body = POSTS[name][0](objs) if name in POSTS else {}
        if name == "login":
            body = {"username": "clerk", "password": "wrong"}
        response, wrote = post_in_savepoint(client, _url(name, objs), body)
        expected = ANONYMOUS_POSTS.get(name, 302)
        if response.status_code != expected:
            mismatches.append(f"POST {name}: expected {expected}, got {response.status_code}")
        elif expected == 302 and name not in ANONYMOUS_POSTS and not name.startswith("admin:"):
            if not response["Location"].startswith(reverse("login")):
                mismatches.append(f"POST {name}: sent to {response['Location']}, not to log in")
        if wrote:
            mismatches.append(f"POST {name}: an anonymous request wrote to the audit trail")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.django_db
def test_a_post_without_the_csrf_token_is_refused_everywhere(objs):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(objs["users"]["clerk"])
    answers = {name: post_in_savepoint(client, _url(name, objs), POSTS[name][0](objs))[0].status_code
               for name in POSTS if name in MATRIX}

    assert {name: code for name, code in answers.items() if code != 403} == {}
