"""Four eyes on intakes (DOMAIN §1, filing procedure 1): the manager who signs an intake is never the
person who submitted it or researched it (its market developer), as nobody decides their own access
request. A user who is both developer and manager submits; another manager reviews."""

import pytest
from django.contrib.auth.models import Group

from customers import services as archive
from customers.models import Dealer
from salesdesk.errors import DomainError
from salesdesk.models import AuditEntry, Role
from tests.conftest import intake_data
from tests.helpers import says, translated

S = Dealer.Status
OWN_INTAKE = "You submitted or researched this intake, so another manager must review it."


@pytest.fixture
def developer_manager(make_user):
    """Both market developer and department manager."""
    user = make_user("dev_manager", Role.DEVELOPER)
    user.groups.add(Group.objects.get(name=Role.MANAGER))
    return user


@pytest.fixture
def own_submitted(developer_manager, region):
    dealer = archive.dealer_intake_create(by=developer_manager, data=intake_data(region))
    return archive.dealer_intake_submit(dealer=dealer, by=developer_manager)


@pytest.fixture
def researched_submitted(clerk, developer_manager, region):
    """Entered and submitted by the clerk, from the developer-manager's market research."""
    dealer = archive.dealer_intake_create(by=clerk, data=intake_data(region, developer=developer_manager))
    return archive.dealer_intake_submit(dealer=dealer, by=clerk)


def reviews(dealer):
    return AuditEntry.objects.filter(action__in=["customers.dealer.approved", "customers.dealer.returned"], object_id=str(dealer.pk))


# The services -----------------------------------------------------------------------------------


def test_nobody_approves_an_intake_they_submitted(developer_manager, own_submitted):
    with pytest.raises(DomainError, match=translated(OWN_INTAKE)):
        archive.dealer_intake_approve(dealer=own_submitted, by=developer_manager)

    own_submitted.refresh_from_db()
    assert own_submitted.status == S.SUBMITTED and own_submitted.reviewed_by is None
    assert not reviews(own_submitted).exists()


def test_nobody_returns_an_intake_they_submitted(developer_manager, own_submitted):
    with pytest.raises(DomainError, match=translated(OWN_INTAKE)):
        archive.dealer_intake_return(dealer=own_submitted, by=developer_manager, reason="资料不全")

    own_submitted.refresh_from_db()
    assert own_submitted.status == S.SUBMITTED and own_submitted.return_reason == ""


@pytest.mark.parametrize("review", ["approve", "return"])
def test_nobody_reviews_an_intake_they_researched(developer_manager, researched_submitted, review):
    with pytest.raises(DomainError, match=translated(OWN_INTAKE)):
        if review == "approve":
            archive.dealer_intake_approve(dealer=researched_submitted, by=developer_manager)
        else:
            archive.dealer_intake_return(dealer=researched_submitted, by=developer_manager, reason="资料不全")

    assert not reviews(researched_submitted).exists()


def test_another_manager_approves_it(manager, own_submitted):
    dealer = archive.dealer_intake_approve(dealer=own_submitted, by=manager, comment="资料齐全")

    assert dealer.status == S.APPROVED and dealer.reviewed_by == manager


def test_the_developer_manager_still_reviews_somebody_elses_intake(developer_manager, make_dealer):
    dealer = archive.dealer_intake_approve(dealer=make_dealer(S.SUBMITTED), by=developer_manager)

    assert dealer.status == S.APPROVED and dealer.reviewed_by == developer_manager


def test_the_allowed_steps_leave_out_reviewing_ones_own(developer_manager, manager, own_submitted):
    assert not {"approve", "return"} & archive.dealer_allowed_steps(developer_manager, own_submitted)
    assert {"approve", "return"} <= archive.dealer_allowed_steps(manager, own_submitted)


def test_the_developer_manager_submits_and_edits_their_own_intake(developer_manager, region):
    dealer = archive.dealer_intake_create(by=developer_manager, data=intake_data(region))

    assert {"edit", "submit"} <= archive.dealer_allowed_steps(developer_manager, dealer)


# The pages --------------------------------------------------------------------------------------


def test_the_dealer_page_offers_no_review_of_ones_own_intake(login, developer_manager, own_submitted):
    page = login(developer_manager).get(f"/archives/dealers/{own_submitted.pk}/")

    assert page.status_code == 200
    assert f"/archives/dealers/{own_submitted.pk}/approve/" not in page.content.decode()
    assert f"/archives/dealers/{own_submitted.pk}/return/" not in page.content.decode()


def test_the_dealer_page_offers_the_review_to_another_manager(login, manager, own_submitted):
    content = login(manager).get(f"/archives/dealers/{own_submitted.pk}/").content.decode()

    assert f"/archives/dealers/{own_submitted.pk}/approve/" in content


@pytest.mark.parametrize("step, body", [("approve", {"comment": ""}), ("return", {"reason": "资料不全"})])
def test_posting_a_review_of_ones_own_intake_is_refused_with_the_message(login, developer_manager, own_submitted, step, body):
    response = login(developer_manager).post(f"/archives/dealers/{own_submitted.pk}/{step}/", body)

    assert response.status_code == 400
    assert says(response, OWN_INTAKE)
    own_submitted.refresh_from_db()
    assert own_submitted.status == S.SUBMITTED
    assert not reviews(own_submitted).exists()


@pytest.mark.parametrize("step", ["approve", "return"])
def test_opening_the_review_of_ones_own_intake_goes_back_with_the_message(login, developer_manager, own_submitted, step):
    client = login(developer_manager)

    response = client.get(f"/archives/dealers/{own_submitted.pk}/{step}/")

    assert response.status_code == 302
    assert response.url == f"/archives/dealers/{own_submitted.pk}/"
    assert says(client.get(response.url), OWN_INTAKE)
