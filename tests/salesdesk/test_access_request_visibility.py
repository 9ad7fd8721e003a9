"""Who sees which access request: `AccessRequest.objects.visible_to(user)`, asked of the one policy.

A reviewer (the department manager) sees every request, a requester sees their own, nobody else
sees any; the pages list and open exactly those.
"""

import pytest

from salesdesk import services
from salesdesk.models import AccessRequest, Role


def request_access(requester):
    return services.access_request_create(by=requester, scope=AccessRequest.Scope.ALL, reason="月度客户回访统计", days=7)


@pytest.fixture
def requests(make_user, member, developer):
    """One request each of a member, a market developer and a second member."""
    other_member = make_user("member2", Role.MEMBER)
    return {"member": request_access(member), "developer": request_access(developer), "member2": request_access(other_member)}


def test_reviewer_sees_every_request(manager, requests):
    assert set(AccessRequest.objects.visible_to(manager)) == set(requests.values())


def test_requester_sees_only_their_own_requests(member, developer, requests):
    assert list(AccessRequest.objects.visible_to(member)) == [requests["member"]]
    assert list(AccessRequest.objects.visible_to(developer)) == [requests["developer"]]


def test_requester_without_requests_sees_none(repair, requests):
    assert not AccessRequest.objects.visible_to(repair).exists()


@pytest.mark.parametrize("role", ["clerk", "leader"])
def test_neither_reviewer_nor_requester_sees_none(people, requests, role):
    assert not AccessRequest.objects.visible_to(people[role]).exists()


def test_visible_to_chains_with_other_filters(manager, requests):
    assert list(AccessRequest.objects.pending().visible_to(manager).filter(requester__username="developer")) == [
        requests["developer"]
    ]


def test_the_list_page_shows_a_requester_their_own_requests(login, member, requests):
    rows = list(login(member).get("/access/").context["page"])

    assert rows == [requests["member"]]


def test_the_list_page_shows_the_reviewer_every_request(login, manager, requests):
    rows = list(login(manager).get("/access/").context["page"])

    assert set(rows) == set(requests.values())


def test_a_requester_opens_their_own_request(login, member, requests):
    assert login(member).get(f"/access/{requests['member'].pk}/").status_code == 200


def test_somebody_elses_request_does_not_exist_for_a_requester(login, member, requests):
    assert login(member).get(f"/access/{requests['member2'].pk}/").status_code == 404
    assert login(member).get(f"/access/{requests['developer'].pk}/").status_code == 404


def test_a_clerk_may_not_open_access_requests(login, clerk, requests):
    assert login(clerk).get(f"/access/{requests['member'].pk}/").status_code == 403
    assert login(clerk).get("/access/").status_code == 403
