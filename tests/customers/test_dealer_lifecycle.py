"""A dealer's life (DOMAIN §1, filing procedures 1 and 2), step by step, through the services.

draft → submitted (developer) → approved / returned (manager signs) → filed with its Annex 2
number (clerk) → authorized with grade and Annex 3 card number (clerk) → grade changes.
Every step the state or the role forbids is refused, costs no number and writes no audit entry.
"""

import datetime
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction

from customers import services as archive
from customers.models import Dealer, GradeChange
from salesdesk.errors import DomainError
from salesdesk.models import AuditEntry, Role
from tests.conftest import PDF, intake_data
from tests.helpers import translated

S = Dealer.Status
SIGNED_ON = datetime.date(2026, 3, 1)


def actions_of(dealer):
    """The dealer's audit trail, oldest first: [(action, actor username), ...]."""
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Dealer), object_id=str(dealer.pk)
    ).order_by("pk")
    return [(entry.action, entry.actor.username if entry.actor else None) for entry in entries]


def last_entry(dealer):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Dealer), object_id=str(dealer.pk)
    ).order_by("-pk").first()


def agreement():
    return ContentFile(PDF, name="agreement.pdf")


def authorize(dealer, by, grade="B"):
    return archive.dealer_authorize(
        dealer=dealer, by=by, grade=grade, agreement=agreement(), agreement_signed_on=SIGNED_ON
    )


def said(msgid, **params):
    """A pattern for the service's message in the active language (the UI is translated)."""
    return re.escape(translated(msgid, **params))


def not_possible(status):
    return said("This dealer is “%(status)s”; that step is not possible now.", status=Dealer.Status(status).label)


@pytest.fixture
def developer2(make_user):
    return make_user("developer2", Role.DEVELOPER)


# The path a dealer takes ---------------------------------------------------------------------


def test_developer_creates_an_intake_as_a_draft(developer, region):
    dealer = archive.dealer_intake_create(by=developer, data=intake_data(region))

    dealer.refresh_from_db()
    assert dealer.status == S.DRAFT
    assert dealer.submitted_by == developer
    assert dealer.submitted_at is None
    assert dealer.resource_number is None and dealer.card_number is None
    assert actions_of(dealer) == [("customers.dealer.intake_created", "developer")]
    changes = last_entry(dealer).changes
    assert changes["company"] == [None, "保定丰收农机销售有限公司"]
    assert changes["status"] == [None, "draft"]
    assert changes["region"] == [None, "保定市 (HBBD)"]
    assert changes["contact_phone"] == [None, "139****0001"]  # the trail never holds a full phone number


def test_developer_submits_own_intake(developer, make_dealer):
    dealer = make_dealer(S.DRAFT)

    dealer = archive.dealer_intake_submit(dealer=dealer, by=developer)

    dealer.refresh_from_db()
    assert dealer.status == S.SUBMITTED
    assert dealer.submitted_at is not None
    entry = last_entry(dealer)
    assert entry.action == "customers.dealer.submitted"
    assert entry.actor == developer
    assert entry.changes["status"] == ["draft", "submitted"]
    assert entry.changes["submitted_at"] == [None, str(dealer.submitted_at)]


def test_clerk_may_submit_any_intake(clerk, make_dealer):
    dealer = archive.dealer_intake_submit(dealer=make_dealer(S.DRAFT), by=clerk)

    assert Dealer.objects.get(pk=dealer.pk).status == S.SUBMITTED
    assert last_entry(dealer).actor == clerk


def test_manager_approves_and_signs_a_submitted_intake(manager, make_dealer):
    dealer = make_dealer(S.SUBMITTED)

    archive.dealer_intake_approve(dealer=dealer, by=manager, comment="资料齐全")

    dealer.refresh_from_db()
    assert dealer.status == S.APPROVED
    assert dealer.reviewed_by == manager
    assert dealer.reviewed_at is not None
    assert dealer.review_comment == "资料齐全"
    entry = last_entry(dealer)
    assert entry.action == "customers.dealer.approved"
    assert entry.actor == manager
    assert entry.changes == {
        "status": ["submitted", "approved"],
        "reviewed_by": [None, "manager"],
        "reviewed_at": [None, str(dealer.reviewed_at)],
        "review_comment": ["", "资料齐全"],
    }


def test_manager_returns_an_intake_with_a_reason(manager, make_dealer):
    dealer = make_dealer(S.SUBMITTED)

    archive.dealer_intake_return(dealer=dealer, by=manager, reason="  缺少营业执照复印件  ")

    dealer.refresh_from_db()
    assert dealer.status == S.RETURNED
    assert dealer.return_reason == "缺少营业执照复印件"
    entry = last_entry(dealer)
    assert entry.action == "customers.dealer.returned"
    assert entry.actor == manager
    assert entry.changes == {"status": ["submitted", "returned"], "return_reason": ["", "缺少营业执照复印件"]}


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_returning_without_a_reason_is_refused(manager, make_dealer, reason):
    dealer = make_dealer(S.SUBMITTED)
    before = AuditEntry.objects.count()

    with pytest.raises(DomainError, match=said("Say why the intake is returned, so the developer can fix it.")):
        archive.dealer_intake_return(dealer=dealer, by=manager, reason=reason)

    assert Dealer.objects.get(pk=dealer.pk).status == S.SUBMITTED
    assert AuditEntry.objects.count() == before


def test_returned_intake_is_fixed_resubmitted_and_approved(developer, manager, make_dealer):
    dealer = make_dealer(S.RETURNED)

    dealer = archive.dealer_update(
        dealer=dealer, by=developer, data={"notes": "已补营业执照"}, expected_version=dealer.version
    )
    archive.dealer_intake_submit(dealer=dealer, by=developer)
    dealer.refresh_from_db()
    assert dealer.status == S.SUBMITTED

    archive.dealer_intake_approve(dealer=dealer, by=manager)
    dealer.refresh_from_db()
    assert dealer.status == S.APPROVED
    assert dealer.return_reason == ""  # the approval clears the old reason
    assert [action for action, _ in actions_of(dealer)] == [
        "customers.dealer.intake_created",
        "customers.dealer.submitted",
        "customers.dealer.returned",
        "customers.dealer.updated",
        "customers.dealer.submitted",
        "customers.dealer.approved",
    ]


def test_clerk_files_an_approved_intake_under_the_first_number_of_its_region(clerk, make_dealer):
    dealer = make_dealer(S.APPROVED)

    archive.dealer_file(dealer=dealer, by=clerk)

    dealer.refresh_from_db()
    assert dealer.status == S.FILED
    assert dealer.resource_number == "ZY-HBBD-0001"
    assert dealer.filed_by == clerk
    assert dealer.filed_at is not None
    entry = last_entry(dealer)
    assert entry.action == "customers.dealer.filed"
    assert entry.actor == clerk
    assert entry.changes == {
        "status": ["approved", "filed"],
        "resource_number": [None, "ZY-HBBD-0001"],
        "filed_by": [None, "clerk"],
        "filed_at": [None, str(dealer.filed_at)],
    }


def test_next_dealer_of_the_region_gets_the_next_number(clerk, make_dealer):
    first = archive.dealer_file(dealer=make_dealer(S.APPROVED), by=clerk)
    second = archive.dealer_file(dealer=make_dealer(S.APPROVED), by=clerk)

    assert first.resource_number == "ZY-HBBD-0001"
    assert second.resource_number == "ZY-HBBD-0002"


def test_another_region_has_its_own_series(clerk, make_dealer, other_region):
    archive.dealer_file(dealer=make_dealer(S.APPROVED), by=clerk)
    archive.dealer_file(dealer=make_dealer(S.APPROVED), by=clerk)

    elsewhere = archive.dealer_file(dealer=make_dealer(S.APPROVED, in_region=other_region), by=clerk)
    third_here = archive.dealer_file(dealer=make_dealer(S.APPROVED), by=clerk)

    assert elsewhere.resource_number == "ZY-SD-0001"
    assert third_here.resource_number == "ZY-HBBD-0003"


def test_clerk_authorizes_a_filed_dealer_with_grade_card_and_agreement(clerk, developer, manager, make_dealer):
    dealer = make_dealer(S.FILED)

    archive.dealer_authorize(
        dealer=dealer, by=clerk, grade="B", agreement=agreement(), agreement_signed_on=SIGNED_ON,
        developer=developer, regional_lead=manager,
    )

    dealer.refresh_from_db()
    assert dealer.status == S.AUTHORIZED
    assert dealer.grade == "B"
    assert dealer.card_number == "SQ-B-HBBD-0001"
    assert dealer.resource_number == "ZY-HBBD-0001"  # the resource number stays
    assert dealer.number == "SQ-B-HBBD-0001"
    assert dealer.authorized_at is not None
    assert dealer.agreement_signed_on == SIGNED_ON
    assert dealer.developer == developer and dealer.regional_lead == manager
    assert dealer.agreement.name.startswith("agreements/")
    with dealer.agreement.open("rb") as stored:
        assert stored.read() == PDF
    history = list(dealer.grade_changes.all())
    assert len(history) == 1
    assert (history[0].from_grade, history[0].to_grade) == ("", "B")
    assert (history[0].from_card_number, history[0].to_card_number) == ("", "SQ-B-HBBD-0001")
    assert history[0].by == clerk
    entry = last_entry(dealer)
    assert entry.action == "customers.dealer.authorized"
    assert entry.actor == clerk
    assert entry.changes["status"] == ["filed", "authorized"]
    assert entry.changes["grade"] == ["", "B"]
    assert entry.changes["card_number"] == [None, "SQ-B-HBBD-0001"]
    assert entry.changes["agreement"] == ["", dealer.agreement.name]
    assert entry.changes["agreement_signed_on"] == [None, "2026-03-01"]


def test_card_numbers_run_per_grade_and_region(clerk, make_dealer, other_region):
    b1 = authorize(make_dealer(S.FILED), clerk, grade="B")
    b2 = authorize(make_dealer(S.FILED), clerk, grade="B")
    a1 = authorize(make_dealer(S.FILED), clerk, grade="A")
    b_sd = authorize(make_dealer(S.FILED, in_region=other_region), clerk, grade="B")

    assert [b1.card_number, b2.card_number, a1.card_number, b_sd.card_number] == [
        "SQ-B-HBBD-0001", "SQ-B-HBBD-0002", "SQ-A-HBBD-0001", "SQ-B-SD-0001",
    ]


def test_grade_change_gives_a_new_card_number_and_keeps_history(clerk, make_dealer):
    dealer = make_dealer(S.AUTHORIZED, grade="B")
    assert dealer.card_number == "SQ-B-HBBD-0001"

    archive.dealer_change_grade(dealer=dealer, by=clerk, grade="A", reason="  年销售额超过500万  ")

    dealer.refresh_from_db()
    assert dealer.status == S.AUTHORIZED
    assert dealer.grade == "A"
    assert dealer.card_number == "SQ-A-HBBD-0001"
    change = dealer.grade_changes.order_by("-pk").first()
    assert (change.from_grade, change.to_grade) == ("B", "A")
    assert (change.from_card_number, change.to_card_number) == ("SQ-B-HBBD-0001", "SQ-A-HBBD-0001")
    assert change.reason == "年销售额超过500万"
    assert change.by == clerk
    assert GradeChange.objects.filter(dealer=dealer).count() == 2
    entry = last_entry(dealer)
    assert entry.action == "customers.dealer.grade_changed"
    assert entry.actor == clerk
    assert entry.changes == {"grade": ["B", "A"], "card_number": ["SQ-B-HBBD-0001", "SQ-A-HBBD-0001"]}


def test_grade_series_continues_after_a_change(clerk, make_dealer):
    """The B series does not reuse a number given up by a regraded dealer: card numbers are unique."""
    first = make_dealer(S.AUTHORIZED, grade="B")
    archive.dealer_change_grade(dealer=first, by=clerk, grade="A", reason="升级")

    second = make_dealer(S.AUTHORIZED, grade="B")

    assert second.card_number == "SQ-B-HBBD-0002"


def test_changing_to_the_same_grade_is_refused(clerk, make_dealer):
    dealer = make_dealer(S.AUTHORIZED, grade="B")
    entries = AuditEntry.objects.count()

    with pytest.raises(DomainError, match=said("The dealer already has this grade.")):
        archive.dealer_change_grade(dealer=dealer, by=clerk, grade="B", reason="复核")

    dealer.refresh_from_db()
    assert (dealer.grade, dealer.card_number) == ("B", "SQ-B-HBBD-0001")
    assert dealer.grade_changes.count() == 1
    assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize("reason", ["", "  ", None])
def test_changing_grade_without_a_reason_is_refused(clerk, make_dealer, reason):
    dealer = make_dealer(S.AUTHORIZED, grade="B")

    with pytest.raises(DomainError, match=said("Say why the grade changes.")):
        archive.dealer_change_grade(dealer=dealer, by=clerk, grade="C", reason=reason)

    dealer.refresh_from_db()
    assert (dealer.grade, dealer.card_number) == ("B", "SQ-B-HBBD-0001")
    assert dealer.grade_changes.count() == 1


def test_refused_grade_change_costs_no_number(clerk, make_dealer):
    dealer = make_dealer(S.AUTHORIZED, grade="B")
    with pytest.raises(DomainError):
        archive.dealer_change_grade(dealer=dealer, by=clerk, grade="C", reason="")

    archive.dealer_change_grade(dealer=dealer, by=clerk, grade="C", reason="降级")

    assert Dealer.objects.get(pk=dealer.pk).card_number == "SQ-C-HBBD-0001"


@pytest.mark.parametrize("grade", ["E", "", "a"])
def test_unknown_grade_is_refused(clerk, make_dealer, grade):
    filed = make_dealer(S.FILED)
    with pytest.raises(DomainError, match=said("Choose a grade from A to D.")):
        authorize(filed, clerk, grade=grade)
    assert Dealer.objects.get(pk=filed.pk).status == S.FILED


def test_authorizing_without_the_agreement_scan_is_refused(clerk, make_dealer):
    dealer = make_dealer(S.FILED)

    with pytest.raises(DomainError, match=said("Attach the scan of the signed cooperation agreement.")):
        archive.dealer_authorize(dealer=dealer, by=clerk, grade="B", agreement=None, agreement_signed_on=SIGNED_ON)

    assert Dealer.objects.get(pk=dealer.pk).status == S.FILED


def test_whole_life_writes_one_audit_entry_per_step(developer, manager, clerk, region):
    dealer = archive.dealer_intake_create(by=developer, data=intake_data(region))
    archive.dealer_intake_submit(dealer=dealer, by=developer)
    archive.dealer_intake_return(dealer=dealer, by=manager, reason="补充门店面积")
    archive.dealer_intake_submit(dealer=dealer, by=developer)
    archive.dealer_intake_approve(dealer=dealer, by=manager)
    archive.dealer_file(dealer=dealer, by=clerk)
    authorize(dealer, clerk, grade="C")
    archive.dealer_change_grade(dealer=dealer, by=clerk, grade="B", reason="业绩提升")

    assert actions_of(dealer) == [
        ("customers.dealer.intake_created", "developer"),
        ("customers.dealer.submitted", "developer"),
        ("customers.dealer.returned", "manager"),
        ("customers.dealer.submitted", "developer"),
        ("customers.dealer.approved", "manager"),
        ("customers.dealer.filed", "clerk"),
        ("customers.dealer.authorized", "clerk"),
        ("customers.dealer.grade_changed", "clerk"),
    ]
    dealer.refresh_from_db()
    assert (dealer.resource_number, dealer.card_number, dealer.version) == ("ZY-HBBD-0001", "SQ-B-HBBD-0001", 8)


# Steps the role forbids ----------------------------------------------------------------------


def test_developer_cannot_submit_someone_elses_intake(developer, developer2, region):
    theirs = archive.dealer_intake_create(by=developer2, data=intake_data(region, "别人的农机公司"))

    with pytest.raises(PermissionDenied):
        archive.dealer_intake_submit(dealer=theirs, by=developer)

    assert Dealer.objects.get(pk=theirs.pk).status == S.DRAFT
    assert actions_of(theirs) == [("customers.dealer.intake_created", "developer2")]


def test_developer_cannot_edit_someone_elses_intake(developer, developer2, region):
    theirs = archive.dealer_intake_create(by=developer2, data=intake_data(region, "别人的农机公司"))

    with pytest.raises(DomainError):
        archive.dealer_update(dealer=theirs, by=developer, data={"notes": "改一下"}, expected_version=theirs.version)

    assert Dealer.objects.get(pk=theirs.pk).notes == ""


STEPS = {
    "create": lambda user, dealers, region: archive.dealer_intake_create(by=user, data=intake_data(region, "新公司")),
    "submit": lambda user, dealers, region: archive.dealer_intake_submit(dealer=dealers["draft"], by=user),
    "approve": lambda user, dealers, region: archive.dealer_intake_approve(dealer=dealers["submitted"], by=user),
    "return": lambda user, dealers, region: archive.dealer_intake_return(dealer=dealers["submitted"], by=user, reason="不全"),
    "file": lambda user, dealers, region: archive.dealer_file(dealer=dealers["approved"], by=user),
    "authorize": lambda user, dealers, region: authorize(dealers["filed"], user),
    "change_grade": lambda user, dealers, region: archive.dealer_change_grade(
        dealer=dealers["authorized"], by=user, grade="A", reason="升级"
    ),
}


@pytest.fixture
def dealers(make_dealer):
    """One dealer in each state a step starts from, by state."""
    return {status: make_dealer(status) for status in (S.DRAFT, S.SUBMITTED, S.APPROVED, S.FILED, S.AUTHORIZED)}


def dossiers():
    """What a refused step leaves as it was: every dealer's state, grade, signature and numbers, and the audit trail."""
    fields = ("pk", "status", "version", "grade", "reviewed_by", "resource_number", "card_number")
    return list(Dealer.objects.order_by("pk").values_list(*fields)), AuditEntry.objects.count()


@pytest.mark.parametrize("role, steps", [
    ("developer", ["approve"]),
    ("developer", ["return"]),
    ("clerk", ["approve"]),
    ("clerk", ["return"]),
    ("manager", ["file"]),
    ("manager", ["authorize", "change_grade"]),
    ("developer", ["file", "authorize", "change_grade"]),
], ids=["developer approves", "developer returns", "clerk approves", "clerk returns", "manager files",
        "manager authorizes or regrades", "developer files, authorizes or regrades"])
def test_a_role_cannot_take_the_steps_of_another(people, dealers, region, role, steps):
    before = dossiers()

    for step in steps:
        with pytest.raises(PermissionDenied):
            STEPS[step](people[role], dealers, region)

    assert dossiers() == before


@pytest.mark.parametrize("role", ["leader", "member", "repair"])
@pytest.mark.parametrize("step", list(STEPS))
def test_leader_member_and_repair_cannot_take_any_step(people, dealers, region, role, step):
    before = dossiers()

    with pytest.raises(PermissionDenied):
        STEPS[step](people[role], dealers, region)

    assert dossiers() == before


@pytest.mark.parametrize("role", ["leader", "manager", "member", "repair"])
def test_only_intake_roles_and_clerk_edit_a_draft(people, make_dealer, role):
    dealer = make_dealer(S.DRAFT)

    with pytest.raises(DomainError, match=said("You may not change this dealer's dossier.")):
        archive.dealer_update(dealer=dealer, by=people[role], data={"notes": "x"}, expected_version=dealer.version)

    assert Dealer.objects.get(pk=dealer.pk).notes == ""


# Steps the state forbids ---------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.DRAFT, S.SUBMITTED, S.RETURNED])
def test_clerk_cannot_file_an_unapproved_intake(clerk, make_dealer, status):
    dealer = make_dealer(status)

    with pytest.raises(DomainError, match=said("Only an intake the manager has approved can be filed.")):
        archive.dealer_file(dealer=dealer, by=clerk)

    dealer.refresh_from_db()
    assert dealer.status == status
    assert dealer.resource_number is None


def test_filing_twice_is_refused_and_keeps_the_first_number(clerk, make_dealer):
    dealer = archive.dealer_file(dealer=make_dealer(S.APPROVED), by=clerk)

    with pytest.raises(DomainError, match=said("This dealer is already filed.")):
        archive.dealer_file(dealer=dealer, by=clerk)

    dealer.refresh_from_db()
    assert dealer.resource_number == "ZY-HBBD-0001"
    assert [a for a, _ in actions_of(dealer)].count("customers.dealer.filed") == 1
    # the refusal drew no number: the next dealer gets 0002
    assert archive.dealer_file(dealer=make_dealer(S.APPROVED), by=clerk).resource_number == "ZY-HBBD-0002"


def test_filing_an_authorized_dealer_is_refused(clerk, make_dealer):
    dealer = make_dealer(S.AUTHORIZED)
    with pytest.raises(DomainError, match=said("This dealer is already filed.")):
        archive.dealer_file(dealer=dealer, by=clerk)
    assert Dealer.objects.get(pk=dealer.pk).status == S.AUTHORIZED


@pytest.mark.parametrize("status", [S.DRAFT, S.SUBMITTED, S.RETURNED, S.APPROVED, S.AUTHORIZED])
def test_authorizing_a_dealer_that_is_not_filed_is_refused(clerk, make_dealer, status):
    dealer = make_dealer(status)
    card_before = dealer.card_number

    with pytest.raises(DomainError, match=said("Only a filed dealer resource can be authorized.")):
        authorize(dealer, clerk, grade="A")

    dealer.refresh_from_db()
    assert dealer.status == status
    assert dealer.card_number == card_before


@pytest.mark.parametrize("status", [S.DRAFT, S.SUBMITTED, S.APPROVED, S.FILED])
def test_changing_grade_of_a_dealer_that_is_not_authorized_is_refused(clerk, make_dealer, status):
    dealer = make_dealer(status)
    with pytest.raises(DomainError, match=said("Only an authorized dealer has a grade.")):
        archive.dealer_change_grade(dealer=dealer, by=clerk, grade="A", reason="升级")
    assert Dealer.objects.get(pk=dealer.pk).grade == ""


@pytest.mark.parametrize("status", [S.DRAFT, S.RETURNED, S.APPROVED, S.FILED, S.AUTHORIZED])
def test_manager_can_only_approve_a_submitted_intake(manager, make_dealer, status):
    dealer = make_dealer(status)
    with pytest.raises(DomainError, match=not_possible(status)):
        archive.dealer_intake_approve(dealer=dealer, by=manager)
    assert Dealer.objects.get(pk=dealer.pk).status == status


@pytest.mark.parametrize("status", [S.DRAFT, S.RETURNED, S.APPROVED, S.FILED])
def test_manager_can_only_return_a_submitted_intake(manager, make_dealer, status):
    dealer = make_dealer(status)
    with pytest.raises(DomainError, match=not_possible(status)):
        archive.dealer_intake_return(dealer=dealer, by=manager, reason="不全")
    assert Dealer.objects.get(pk=dealer.pk).status == status


@pytest.mark.parametrize("status", [S.SUBMITTED, S.APPROVED, S.FILED, S.AUTHORIZED])
def test_only_a_draft_or_returned_intake_can_be_submitted(developer, make_dealer, status):
    dealer = make_dealer(status)
    with pytest.raises(DomainError, match=not_possible(status)):
        archive.dealer_intake_submit(dealer=dealer, by=developer)
    assert Dealer.objects.get(pk=dealer.pk).status == status


@pytest.mark.parametrize("by", ["developer", "clerk"])
def test_a_submitted_intake_cannot_be_edited(people, make_dealer, by):
    dealer = make_dealer(S.SUBMITTED)

    with pytest.raises(DomainError, match=said("This intake is with the manager for review and cannot be changed now.")):
        archive.dealer_update(
            dealer=dealer, by=people[by], data={"company": "改名农机"}, expected_version=dealer.version
        )

    dealer.refresh_from_db()
    assert dealer.company != "改名农机"
    assert "customers.dealer.updated" not in [a for a, _ in actions_of(dealer)]


def test_a_developer_cannot_edit_own_intake_once_approved(developer, make_dealer):
    dealer = make_dealer(S.APPROVED)
    with pytest.raises(DomainError):
        archive.dealer_update(dealer=dealer, by=developer, data={"notes": "补充"}, expected_version=dealer.version)
    assert Dealer.objects.get(pk=dealer.pk).notes == ""


def test_a_filing_rolled_back_gives_its_number_back(clerk, make_dealer):
    dealer = make_dealer(S.APPROVED)

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        with transaction.atomic():
            archive.dealer_file(dealer=dealer, by=clerk)
            raise Abort

    assert Dealer.objects.get(pk=dealer.pk).status == S.APPROVED
    assert archive.dealer_file(dealer=dealer, by=clerk).resource_number == "ZY-HBBD-0001"


# The same steps through the pages ------------------------------------------------------------


def test_developer_posting_approve_gets_403(login, developer, make_dealer):
    dealer = make_dealer(S.SUBMITTED)

    response = login(developer).post(f"/archives/dealers/{dealer.pk}/approve/", {"comment": ""})

    assert response.status_code == 403
    assert Dealer.objects.get(pk=dealer.pk).status == S.SUBMITTED


def test_manager_approves_through_the_page(login, manager, make_dealer):
    dealer = make_dealer(S.SUBMITTED)

    response = login(manager).post(f"/archives/dealers/{dealer.pk}/approve/", {"comment": "同意"})

    assert response.status_code == 302
    assert response.url == f"/archives/dealers/{dealer.pk}/"
    dealer.refresh_from_db()
    assert (dealer.status, dealer.reviewed_by, dealer.review_comment) == (S.APPROVED, manager, "同意")


def test_return_page_refuses_an_empty_reason(login, manager, make_dealer):
    dealer = make_dealer(S.SUBMITTED)

    response = login(manager).post(f"/archives/dealers/{dealer.pk}/return/", {"reason": ""})

    assert response.status_code == 400
    assert Dealer.objects.get(pk=dealer.pk).status == S.SUBMITTED


def test_clerk_files_through_the_page_and_is_told_the_number(login, clerk, make_dealer):
    dealer = make_dealer(S.APPROVED)

    response = login(clerk).post(f"/archives/dealers/{dealer.pk}/file/", follow=True)

    assert response.status_code == 200
    assert Dealer.objects.get(pk=dealer.pk).resource_number == "ZY-HBBD-0001"
    assert "ZY-HBBD-0001" in [str(m) for m in response.context["messages"]][0]


def test_filing_a_draft_through_the_page_is_a_400_not_a_500(login, clerk, make_dealer):
    dealer = make_dealer(S.DRAFT)

    response = login(clerk).post(f"/archives/dealers/{dealer.pk}/file/")

    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert Dealer.objects.get(pk=dealer.pk).status == S.DRAFT


def test_manager_posting_file_gets_403(login, manager, make_dealer):
    dealer = make_dealer(S.APPROVED)
    response = login(manager).post(f"/archives/dealers/{dealer.pk}/file/")
    assert response.status_code == 403
    assert Dealer.objects.get(pk=dealer.pk).status == S.APPROVED


# The steps a person may take now -------------------------------------------------------------

NOTHING = set()
ALLOWED_STEPS = {
    # state: {who: the exact steps they may take}
    S.DRAFT: {"developer": {"edit", "submit"}, "developer2": NOTHING, "manager": NOTHING, "clerk": {"edit", "submit"}},
    S.SUBMITTED: {"developer": NOTHING, "developer2": NOTHING, "manager": {"approve", "return"}, "clerk": NOTHING},
    S.RETURNED: {"developer": {"edit", "submit"}, "developer2": NOTHING, "manager": NOTHING, "clerk": {"edit", "submit"}},
    S.APPROVED: {"developer": NOTHING, "developer2": NOTHING, "manager": NOTHING, "clerk": {"edit", "file"}},
    S.FILED: {"developer": NOTHING, "developer2": NOTHING, "manager": NOTHING, "clerk": {"edit", "authorize"}},
    S.AUTHORIZED: {"developer": NOTHING, "developer2": NOTHING, "manager": NOTHING, "clerk": {"edit", "grade"}},
}


@pytest.mark.parametrize("who", ["developer", "developer2", "manager", "clerk"])
@pytest.mark.parametrize("status", list(ALLOWED_STEPS))
def test_allowed_steps_follow_the_state_and_the_policy(request, make_dealer, developer2, status, who):
    """`developer` submitted every intake `make_dealer` makes; `developer2` is another market developer."""
    dealer = make_dealer(status)

    assert archive.dealer_allowed_steps(request.getfixturevalue(who), dealer) == ALLOWED_STEPS[status][who]


@pytest.mark.parametrize("role", ["leader", "member", "repair"])
@pytest.mark.parametrize("status", list(ALLOWED_STEPS))
def test_leader_member_and_repair_may_take_no_step(people, make_dealer, status, role):
    assert archive.dealer_allowed_steps(people[role], make_dealer(status)) == NOTHING


def test_the_detail_page_offers_exactly_the_allowed_steps(login, clerk, make_dealer):
    dealer = make_dealer(S.FILED)

    context = login(clerk).get(f"/archives/dealers/{dealer.pk}/").context

    offered = {name for name in ("can_edit", "can_submit", "can_review", "can_file", "can_authorize", "can_grade") if context[name]}
    assert offered == {"can_edit", "can_authorize"}


# The agreement scan --------------------------------------------------------------------------


def downloads_of(dealer):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Dealer), object_id=str(dealer.pk),
        action="customers.dealer.agreement_downloaded",
    )


def test_opening_the_agreement_returns_the_scan_and_logs_it_once(leader, make_dealer):
    dealer = make_dealer(S.AUTHORIZED)
    entries = AuditEntry.objects.count()

    with archive.dealer_agreement_open(dealer=dealer, by=leader) as scan:
        assert scan.read() == PDF

    assert AuditEntry.objects.count() == entries + 1
    assert [entry.actor for entry in downloads_of(dealer)] == [leader]


def test_agreement_download_through_the_page_writes_one_audit_entry(login, clerk, make_dealer):
    dealer = make_dealer(S.AUTHORIZED)
    entries = AuditEntry.objects.count()

    response = login(clerk).get(f"/archives/dealers/{dealer.pk}/agreement/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert AuditEntry.objects.count() == entries + 1
    assert [entry.actor for entry in downloads_of(dealer)] == [clerk]


def test_member_without_a_grant_cannot_download_the_agreement(login, member, make_dealer):
    dealer = make_dealer(S.AUTHORIZED)
    entries = AuditEntry.objects.count()

    assert login(member).get(f"/archives/dealers/{dealer.pk}/agreement/").status_code == 403
    assert login(member).get("/archives/dealers/999999/agreement/").status_code == 404
    with pytest.raises(PermissionDenied):
        archive.dealer_agreement_open(dealer=dealer, by=member)

    assert AuditEntry.objects.count() == entries


def test_a_dealer_without_an_agreement_has_no_scan_to_download(login, clerk, make_dealer):
    dealer = make_dealer(S.FILED)
    entries = AuditEntry.objects.count()

    assert login(clerk).get(f"/archives/dealers/{dealer.pk}/agreement/").status_code == 404
    assert login(clerk).get("/archives/dealers/999999/agreement/").status_code == 404
    with pytest.raises(DomainError):
        archive.dealer_agreement_open(dealer=dealer, by=clerk)

    assert AuditEntry.objects.count() == entries
