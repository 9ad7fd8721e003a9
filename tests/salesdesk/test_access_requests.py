"""Department members query the archives only with an approved, time-limited access request."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from customers.models import Dealer
from salesdesk import services
from salesdesk.errors import DomainError
from salesdesk.models import AccessRequest, AuditEntry, Role
from tests.helpers import grant, says, translated

Scope, Status = AccessRequest.Scope, AccessRequest.Status


def request_access(member, days=7, scope=Scope.ALL, **fields):
    return services.access_request_create(by=member, scope=scope, reason="月度客户回访统计", days=days, **fields)


@pytest.fixture
def archives(make_customer, make_dealer, region, other_region):
    """A customer and a dealer in 保定 (under 河北), and the same in 山东."""
    return {
        "bd_customer": make_customer(name="保定客户"),
        "sd_customer": make_customer(name="山东客户", in_region=other_region),
        "bd_dealer": make_dealer(Dealer.Status.FILED, company="保定经销商"),
        "sd_dealer": make_dealer(Dealer.Status.FILED, in_region=other_region, company="山东经销商"),
    }


# Without a grant -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/archives/customers/", "/archives/dealers/"])
def test_member_without_a_grant_gets_403_on_the_archives(login, member, url):
    assert login(member).get(url).status_code == 403


def test_member_without_a_grant_cannot_open_a_customer(login, member, archives):
    assert login(member).get(f"/archives/customers/{archives['bd_customer'].pk}/").status_code == 403


def test_a_pending_request_grants_nothing(login, member):
    request_access(member)
    assert login(member).get("/archives/customers/").status_code == 403


# Asking --------------------------------------------------------------------------------------


def test_member_requests_access_through_the_form(login, member):
    response = login(member).post("/access/new/", {"scope": "all", "reason": "整理回访名单", "days": "7"})

    assert response.status_code == 302
    assert response.url == "/access/"
    request = AccessRequest.objects.get()
    assert (request.requester, request.scope, request.category, request.region, request.days, request.status) == (
        member, Scope.ALL, "", None, 7, Status.PENDING,
    )
    entry = AuditEntry.objects.get(action="salesdesk.access_request.created")
    assert entry.actor == member
    assert entry.object_id == str(request.pk)
    assert entry.changes["status"] == [None, "pending"]
    assert entry.changes["days"] == [None, 7]
    assert entry.changes["scope"] == [None, "all"]


def test_member_requests_one_category(login, member):
    response = login(member).post(
        "/access/new/", {"scope": "category", "category": "customers", "reason": "核对客户", "days": "3"}
    )
    assert response.status_code == 302
    assert AccessRequest.objects.values_list("scope", "category", "days").get() == ("category", "customers", 3)


def test_member_requests_one_region(login, member, region):
    response = login(member).post(
        "/access/new/", {"scope": "region", "region": str(region.pk), "category": "dealers", "reason": "保定走访", "days": "5"}
    )
    assert response.status_code == 302
    request = AccessRequest.objects.get()
    assert (request.scope, request.region, request.category) == ("region", region, "")  # the category is dropped


@pytest.mark.parametrize("days", ["31", "90", "0", "-1"])
def test_a_period_outside_1_to_30_days_is_refused_by_the_form(login, member, days):
    response = login(member).post("/access/new/", {"scope": "all", "reason": "长期查询", "days": days})

    assert response.status_code == 400
    assert "days" in response.context["form"].errors
    assert AccessRequest.objects.count() == 0
    assert not AuditEntry.objects.filter(action="salesdesk.access_request.created").exists()


def test_thirty_days_is_allowed(login, member):
    response = login(member).post("/access/new/", {"scope": "all", "reason": "季度统计", "days": "30"})
    assert response.status_code == 302
    assert AccessRequest.objects.get().days == 30


def test_category_scope_needs_a_category(login, member):
    response = login(member).post("/access/new/", {"scope": "category", "reason": "x", "days": "7"})

    assert response.status_code == 400
    assert "category" in response.context["form"].errors
    assert AccessRequest.objects.count() == 0


def test_region_scope_needs_a_region(login, member):
    response = login(member).post("/access/new/", {"scope": "region", "reason": "x", "days": "7"})

    assert response.status_code == 400
    assert "region" in response.context["form"].errors
    assert AccessRequest.objects.count() == 0


@pytest.mark.parametrize("role", ["leader", "manager", "clerk"])
def test_roles_that_already_query_do_not_request(people, login, role):
    assert login(people[role]).post("/access/new/", {"scope": "all", "reason": "x", "days": "7"}).status_code == 403
    with pytest.raises(PermissionDenied):
        request_access(people[role])


def test_no_more_than_five_pending_requests(member):
    for _ in range(5):
        request_access(member)
    with pytest.raises(DomainError):
        request_access(member)
    assert AccessRequest.objects.filter(requester=member).count() == 5


# Deciding ------------------------------------------------------------------------------------


def test_manager_approves_through_the_page(login, member, manager):
    request = request_access(member, days=7)

    response = login(manager).post(f"/access/{request.pk}/", {"decision": "approve", "comment": "同意，限查询"})

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.APPROVED
    assert request.decided_by == manager
    assert request.decision_comment == "同意，限查询"
    assert request.valid_until - request.valid_from == timedelta(days=7)
    assert request.valid_from == request.decided_at
    entry = AuditEntry.objects.get(action="salesdesk.access_request.approved")
    assert entry.actor == manager
    assert entry.object_id == str(request.pk)
    assert entry.changes["status"] == ["pending", "approved"]
    assert entry.changes["decided_by"] == [None, "manager"]
    assert entry.changes["valid_until"] == [None, str(request.valid_until)]


def test_rejection_needs_a_comment(login, member, manager):
    request = request_access(member)

    response = login(manager).post(f"/access/{request.pk}/", {"decision": "reject", "comment": "  "})

    assert response.status_code == 400
    assert says(response, "Say why the request is rejected.")
    request.refresh_from_db()
    assert request.status == Status.PENDING
    assert not AuditEntry.objects.filter(action="salesdesk.access_request.rejected").exists()


def test_rejection_with_a_comment_is_recorded_and_grants_nothing(login, member, manager):
    request = request_access(member)

    response = login(manager).post(f"/access/{request.pk}/", {"decision": "reject", "comment": "理由不充分"})

    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.decision_comment) == (Status.REJECTED, manager, "理由不充分")
    assert request.valid_until is None
    entry = AuditEntry.objects.get(action="salesdesk.access_request.rejected")
    assert entry.actor == manager
    assert entry.changes["status"] == ["pending", "rejected"]
    assert login(member).get("/archives/customers/").status_code == 403


def test_rejection_service_refuses_an_empty_comment(member, manager):
    request = request_access(member)
    with pytest.raises(DomainError):
        services.access_request_reject(request=request, by=manager, comment="")
    assert AccessRequest.objects.get(pk=request.pk).status == Status.PENDING


@pytest.fixture
def manager_and_member(make_user):
    """Someone who holds both roles: they may request, and they review requests."""
    user = make_user("wearer_of_two_hats", Role.MANAGER)
    user.groups.add(*user.groups.model.objects.filter(name=Role.MEMBER))
    return user


def test_nobody_decides_their_own_request(login, manager_and_member):
    request = request_access(manager_and_member)

    with pytest.raises(DomainError):
        services.access_request_approve(request=request, by=manager_and_member)
    response = login(manager_and_member).post(f"/access/{request.pk}/", {"decision": "approve", "comment": ""})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        translated("Nobody can decide on their own request.", response.headers["Content-Language"])
    ]
    request.refresh_from_db()
    assert request.status == Status.PENDING
    assert request.decided_by is None


@pytest.mark.parametrize("role", ["clerk", "leader", "member", "developer"])
def test_only_the_manager_decides(people, login, role):
    request = request_access(people["repair"])

    with pytest.raises(PermissionDenied):
        services.access_request_approve(request=request, by=people[role])
    response = login(people[role]).post(f"/access/{request.pk}/", {"decision": "approve", "comment": ""})

    assert response.status_code in (403, 404)
    assert AccessRequest.objects.get(pk=request.pk).status == Status.PENDING


def test_a_decided_request_cannot_be_decided_again(member, manager, make_user):
    request = grant(member, manager)
    other_manager = make_user("manager2", Role.MANAGER)

    with pytest.raises(DomainError):
        services.access_request_reject(request=request, by=other_manager, comment="撤回")

    assert AccessRequest.objects.get(pk=request.pk).status == Status.APPROVED


def test_two_managers_deciding_at_once_the_second_is_refused(member, manager, make_user):
    """Both managers opened the request while it was pending; the first decision stands."""
    other_manager = make_user("manager2", Role.MANAGER)
    request = request_access(member)
    seen_by_first = AccessRequest.objects.get(pk=request.pk)
    seen_by_second = AccessRequest.objects.get(pk=request.pk)

    services.access_request_approve(request=seen_by_first, by=manager, comment="同意")
    with pytest.raises(DomainError):
        services.access_request_reject(request=seen_by_second, by=other_manager, comment="不同意")

    request.refresh_from_db()
    assert (request.status, request.decided_by) == (Status.APPROVED, manager)
    assert AuditEntry.objects.filter(action__startswith="salesdesk.access_request.", object_id=str(request.pk)).exclude(
        action="salesdesk.access_request.created"
    ).count() == 1


def test_a_member_sees_only_own_requests(login, member, repair):
    theirs = request_access(repair)
    assert login(member).get(f"/access/{theirs.pk}/").status_code == 404


# With a grant --------------------------------------------------------------------------------


def test_approved_member_can_query_the_lists(login, member, manager, archives):
    grant(member, manager)
    client = login(member)

    customers = client.get("/archives/customers/")
    dealers = client.get("/archives/dealers/")

    assert customers.status_code == 200 and dealers.status_code == 200
    assert "保定客户" in customers.content.decode() and "山东客户" in customers.content.decode()
    assert "保定经销商" in dealers.content.decode() and "山东经销商" in dealers.content.decode()
    assert client.get(f"/archives/customers/{archives['sd_customer'].pk}/").status_code == 200
    assert client.get(f"/archives/dealers/{archives['sd_dealer'].pk}/").status_code == 200


def test_approved_member_still_cannot_enter_or_modify(login, member, manager, archives):
    grant(member, manager)
    client = login(member)
    customer, dealer = archives["bd_customer"], archives["bd_dealer"]

    assert client.get("/archives/customers/new/").status_code == 403
    assert client.get(f"/archives/customers/{customer.pk}/edit/").status_code == 403
    assert client.post(f"/archives/customers/{customer.pk}/edit/", {"name": "改名"}).status_code == 403
    assert client.get("/archives/dealers/new/").status_code == 403
    assert client.get(f"/archives/dealers/{dealer.pk}/edit/").status_code == 403
    assert client.get(f"/archives/customers/{customer.pk}/purchases/new/").status_code == 403
    assert client.get("/archives/regions/new/").status_code == 403


def test_approved_member_cannot_reveal_personal_data(login, member, manager, archives):
    grant(member, manager)
    customer = archives["bd_customer"]

    response = login(member).post(f"/reveal/customers.customer/{customer.pk}/phone/")

    assert response.status_code == 403
    assert customer.phone not in response.content.decode()
    assert not AuditEntry.objects.filter(action="salesdesk.pii.viewed").exists()


def test_approved_member_sees_phones_masked(login, member, manager, archives):
    grant(member, manager)
    customer = archives["bd_customer"]

    page = login(member).get("/archives/customers/").content.decode()

    assert customer.phone not in page
    assert customer.phone[:3] + "****" + customer.phone[-4:] in page


def test_category_grant_opens_only_that_category(login, member, manager, archives):
    grant(member, manager, scope=Scope.CATEGORY, category="customers")
    client = login(member)

    assert client.get("/archives/customers/").status_code == 200
    assert client.get(f"/archives/customers/{archives['sd_customer'].pk}/").status_code == 200
    assert client.get("/archives/dealers/").status_code == 403
    assert client.get(f"/archives/dealers/{archives['bd_dealer'].pk}/").status_code == 403


def test_region_grant_shows_only_that_region_and_its_sub_regions(login, member, manager, region, archives):
    province = region.parent  # 河北省; the customer is in its sub-region 保定市
    grant(member, manager, scope=Scope.REGION, region=province)
    client = login(member)

    customers = client.get("/archives/customers/")
    dealers = client.get("/archives/dealers/")

    assert customers.status_code == 200
    assert "保定客户" in customers.content.decode()
    assert "山东客户" not in customers.content.decode()
    assert "保定经销商" in dealers.content.decode()
    assert "山东经销商" not in dealers.content.decode()
    assert client.get(f"/archives/customers/{archives['bd_customer'].pk}/").status_code == 200
    assert client.get(f"/archives/customers/{archives['sd_customer'].pk}/").status_code == 403
    assert client.get(f"/archives/dealers/{archives['sd_dealer'].pk}/").status_code == 403


def test_region_grant_does_not_open_the_parent_region(login, member, manager, region, make_customer):
    """A grant on 保定市 does not show a customer filed directly under 河北省."""
    in_province = make_customer(name="省直客户", in_region=region.parent)
    grant(member, manager, scope=Scope.REGION, region=region)
    client = login(member)

    assert "省直客户" not in client.get("/archives/customers/").content.decode()
    assert client.get(f"/archives/customers/{in_province.pk}/").status_code == 403


def test_region_grant_does_not_open_the_staff_archive(login, member, manager, region):
    grant(member, manager, scope=Scope.REGION, region=region)
    assert login(member).get("/staff/").status_code == 403


# Expiry needs no job -------------------------------------------------------------------------


def test_the_grant_expires_by_itself(client, member, manager, archives):
    approved = grant(member, manager, days=7)
    client.force_login(member)
    assert client.get("/archives/customers/").status_code == 200

    with time_machine.travel(approved.valid_until - timedelta(minutes=1), tick=False):
        client.force_login(member)  # the session of a week ago has timed out
        assert client.get("/archives/customers/").status_code == 200

    with time_machine.travel(approved.valid_until + timedelta(minutes=1), tick=False):
        client.force_login(member)
        assert client.get("/archives/customers/").status_code == 403
        assert client.get("/archives/dealers/").status_code == 403
        assert client.get(f"/archives/customers/{archives['bd_customer'].pk}/").status_code == 403

    approved.refresh_from_db()
    assert approved.status == Status.APPROVED  # nothing changed the row: time alone ended it


def test_an_expired_grant_is_not_active(member, manager):
    approved = grant(member, manager, days=1)

    with time_machine.travel(approved.valid_until, tick=False):
        assert not AccessRequest.objects.active().filter(pk=approved.pk).exists()
        assert not approved.is_active()
