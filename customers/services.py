"""Business actions on the archives: one function per action, in a transaction, audited.

Dealer life (DOMAIN §1): draft → submitted (developer) → approved / returned (manager signs) →
filed with its Annex 2 number (clerk) → authorized with grade and Annex 3 card number (clerk).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Birthday, Customer, Dealer, GradeChange, Purchase
from salesdesk import audit
from salesdesk.access import can, require
from salesdesk.errors import DomainError
from salesdesk.locking import update_versioned
from salesdesk.numbering import next_number
from salesdesk.pii import normalize_id_card, validate_id_card

S = Dealer.Status
EDITABLE_BY_INTAKE = {S.DRAFT, S.RETURNED}
EDITABLE_BY_CLERK = {S.DRAFT, S.RETURNED, S.APPROVED, S.FILED, S.AUTHORIZED}


# Birthdays ----------------------------------------------------------------------------------


def _save_birthdays(owner, birthdays):
    """`birthdays`: {person: dict(calendar, year, month, day, is_leap_month) or None}."""
    owner_field = "dealer" if isinstance(owner, Dealer) else "customer"
    changes = {}
    for person, value in birthdays.items():
        existing = Birthday.objects.filter(**{owner_field: owner, "person": person}).first()
        before = str(existing) if existing else None
        if value is None:
            if existing:
                existing.delete()
        elif existing:
            for field, item in value.items():
                setattr(existing, field, item)
            existing.save()
        else:
            existing = Birthday.objects.create(**{owner_field: owner, "person": person}, **value)
        after = str(existing) if value is not None else None
        if before != after:
            changes[f"birthday_{person}"] = [before, after]
    return changes


# Dealers ------------------------------------------------------------------------------------


def _dealer_saved(dealer, refresh_message):
    try:
        with transaction.atomic():
            dealer.save()
    except IntegrityError as exc:
        if "company" in str(exc) or "dealer_company_unique_in_region" in str(exc):
            raise DomainError(_("A dealer with this company name is already on file in this region."))
        raise DomainError(refresh_message) from exc


@transaction.atomic
def dealer_intake_create(*, by, data, birthdays=None):
    """A market developer (or the clerk) records a dealer from market research (Annex 1)."""
    require(by, "dealer.intake")
    if Dealer.objects.filter(region=data["region"], company=data["company"]).exists():
        raise DomainError(_("A dealer with this company name is already on file in this region."))
    # who researched it and the region's lead, unless said
    dealer = Dealer(**{"developer": by, "regional_lead": data["region"].lead, **data}, submitted_by=by, status=S.DRAFT)
    _dealer_saved(dealer, _("The intake could not be saved."))
    changes = audit.diff({}, audit.snapshot(dealer))
    changes.update(_save_birthdays(dealer, birthdays or {}))
    audit.record(dealer, "customers.dealer.intake_created", by=by, changes=changes)
    return dealer


# The steps of a dealer's life: (step, the policy's action that takes it, the states it is taken from).
STEPS = (
    ("edit", "dealer.intake", EDITABLE_BY_INTAKE),  # the intake's author (or the clerk) while it is a draft
    ("edit", "archive.edit", EDITABLE_BY_CLERK),  # the clerk, whenever the manager does not have it
    ("submit", "dealer.intake", EDITABLE_BY_INTAKE),
    ("approve", "dealer.review", {S.SUBMITTED}),
    ("return", "dealer.review", {S.SUBMITTED}),
    ("file", "dealer.file", {S.APPROVED}),
    ("authorize", "dealer.authorize", {S.FILED}),
    ("grade", "dealer.authorize", {S.AUTHORIZED}),
)


REVIEW_STEPS = {"approve", "return"}  # the manager's signature: never on an intake of one's own (four eyes)


def dealer_allowed_steps(user, dealer):
    """The steps `user` may take on `dealer` now: its state allows them, the policy lets this user,
    and nobody reviews an intake they submitted or researched."""
    steps = {step for step, action, states in STEPS if dealer.status in states and can(user, action, dealer)}
    return steps - REVIEW_STEPS if is_own_intake(user, dealer) else steps


def is_own_intake(user, dealer):
    """Did `user` submit this intake or do its market research (its developer)?"""
    return user.pk is not None and user.pk in {dealer.submitted_by_id, dealer.developer_id}


def _not_own_intake(dealer, by):
    if is_own_intake(by, dealer):
        raise DomainError(_("You submitted or researched this intake, so another manager must review it."))


def dealer_step_states(step):
    """The states a dealer may be in for `step` to be taken (by somebody)."""
    return sorted({state for name, _action, states in STEPS if name == step for state in states})


@transaction.atomic
def dealer_update(*, dealer, by, data, expected_version, birthdays=None):
    if "edit" not in dealer_allowed_steps(by, dealer):
        if dealer.status == S.SUBMITTED:
            raise DomainError(_("This intake is with the manager for review and cannot be changed now."))
        raise DomainError(_("You may not change this dealer's dossier."))
    if (
        "company" in data
        and Dealer.objects.filter(region=data.get("region", dealer.region), company=data["company"]).exclude(pk=dealer.pk).exists()
    ):
        raise DomainError(_("A dealer with this company name is already on file in this region."))
    changes = update_versioned(dealer, data=data, expected_version=expected_version)
    changes.update(_save_birthdays(dealer, birthdays or {}))
    if changes:
        audit.record(dealer, "customers.dealer.updated", by=by, changes=changes)
    return dealer


def _transition(dealer, by, step, action, to, **fields):
    """Take `step` (logged as `action`) on the locked dealer, refusing it unless its state allows it now
    (the callers have already asked the policy, so a refusal here is the state's)."""
    dealer = Dealer.objects.select_for_update().get(pk=dealer.pk)
    if step not in dealer_allowed_steps(by, dealer):
        raise DomainError(
            _("This dealer is “%(status)s”; that step is not possible now.") % {"status": dealer.get_status_display()}
        )
    before = audit.snapshot(dealer)
    dealer.status = to
    for field, value in fields.items():
        setattr(dealer, field, value)
    dealer.version += 1
    dealer.save()
    audit.record(dealer, f"customers.dealer.{action}", by=by, changes=audit.diff(before, audit.snapshot(dealer)))
    return dealer


@transaction.atomic
def dealer_intake_submit(*, dealer, by):
    require(by, "dealer.intake", dealer)
    return _transition(dealer, by, "submit", "submitted", S.SUBMITTED, submitted_at=timezone.now())


@transaction.atomic
def dealer_intake_approve(*, dealer, by, comment=""):
    """The manager checks the intake and signs it (who and when are the signature); never their own."""
    require(by, "dealer.review", dealer)
    _not_own_intake(Dealer.objects.select_for_update().get(pk=dealer.pk), by)
    return _transition(
        dealer, by, "approve", "approved", S.APPROVED,
        reviewed_by=by, reviewed_at=timezone.now(), review_comment=comment, return_reason="",
    )


@transaction.atomic
def dealer_intake_return(*, dealer, by, reason):
    require(by, "dealer.review", dealer)
    _not_own_intake(Dealer.objects.select_for_update().get(pk=dealer.pk), by)
    if not (reason or "").strip():
        raise DomainError(_("Say why the intake is returned, so the developer can fix it."))
    return _transition(dealer, by, "return", "returned", S.RETURNED, return_reason=reason.strip())


@transaction.atomic
def dealer_file(*, dealer, by):
    """The clerk files an approved intake as a dealer resource under its Annex 2 number."""
    require(by, "dealer.file", dealer)
    dealer = Dealer.objects.select_for_update().select_related("region").get(pk=dealer.pk)
    if "file" not in dealer_allowed_steps(by, dealer):
        if dealer.status in {S.DRAFT, S.SUBMITTED, S.RETURNED}:
            raise DomainError(_("Only an intake the manager has approved can be filed."))
        raise DomainError(_("This dealer is already filed."))
    number = next_number("dealer_resource", region=dealer.region.code)
    return _transition(dealer, by, "file", "filed", S.FILED, resource_number=number, filed_by=by, filed_at=timezone.now())


@transaction.atomic
def dealer_authorize(*, dealer, by, grade, agreement, agreement_signed_on, developer=None, regional_lead=None):
    """The cooperation agreement is signed: grade, dossier-card number (Annex 3), agreement scan."""
    require(by, "dealer.authorize", dealer)
    dealer = Dealer.objects.select_for_update().select_related("region").get(pk=dealer.pk)
    if "authorize" not in dealer_allowed_steps(by, dealer):
        raise DomainError(_("Only a filed dealer resource can be authorized."))
    if grade not in Dealer.Grade.values:
        raise DomainError(_("Choose a grade from A to D."))
    if not agreement:
        raise DomainError(_("Attach the scan of the signed cooperation agreement."))
    number = next_number("authorized_dealer", grade=grade, region=dealer.region.code)
    dealer = _transition(
        dealer, by, "authorize", "authorized", S.AUTHORIZED,
        agreement=agreement, grade=grade, card_number=number, authorized_at=timezone.now(), agreement_signed_on=agreement_signed_on,
        developer=developer or dealer.developer, regional_lead=regional_lead or dealer.regional_lead,
    )
    GradeChange.objects.create(dealer=dealer, to_grade=grade, to_card_number=number, by=by)
    return dealer


@transaction.atomic
def dealer_change_grade(*, dealer, by, grade, reason):
    """A new grade gives a new card number in that grade's series; the old one stays in the history."""
    require(by, "dealer.authorize", dealer)
    dealer = Dealer.objects.select_for_update().select_related("region").get(pk=dealer.pk)
    if "grade" not in dealer_allowed_steps(by, dealer):
        raise DomainError(_("Only an authorized dealer has a grade."))
    if grade not in Dealer.Grade.values:
        raise DomainError(_("Choose a grade from A to D."))
    if grade == dealer.grade:
        raise DomainError(_("The dealer already has this grade."))
    if not (reason or "").strip():
        raise DomainError(_("Say why the grade changes."))
    number = next_number("authorized_dealer", grade=grade, region=dealer.region.code)
    previous_grade, previous_number = dealer.grade, dealer.card_number
    dealer = _transition(dealer, by, "grade", "grade_changed", S.AUTHORIZED, grade=grade, card_number=number)
    GradeChange.objects.create(
        dealer=dealer, from_grade=previous_grade, to_grade=grade, from_card_number=previous_number,
        to_card_number=number, reason=reason.strip(), by=by,
    )
    return dealer


def dealer_agreement_open(*, dealer, by):
    """The scan of the signed cooperation agreement, opened for reading, for a viewer who may see
    the dealer; the download is logged."""
    if not dealer.agreement:
        raise DomainError(_("Nothing to show."))
    require(by, "archive.query", dealer)
    audit.record(dealer, "customers.dealer.agreement_downloaded", by=by)
    return dealer.agreement.open("rb")


# End customers ------------------------------------------------------------------------------


def _checked_id_card(data, exclude=None):
    """Normalize and validate the ID-card number whoever calls (a form, an import), and refuse a duplicate."""
    id_card = normalize_id_card(data.get("id_card"))
    if id_card:
        try:
            validate_id_card(id_card)
        except ValidationError as exc:
            raise DomainError(exc.messages[0]) from exc
        if Customer.objects.filter(id_card=id_card).exclude(pk=exclude).exists():
            raise DomainError(_("A customer with this ID-card number is already on file."))
    return {**data, "id_card": id_card} if "id_card" in data else data


@transaction.atomic
def customer_create(*, by, data, birthday=None):
    require(by, "archive.edit")
    data = _checked_id_card(data)
    customer = Customer.objects.create(**data, created_by=by)
    changes = audit.diff({}, audit.snapshot(customer))
    changes.update(_save_birthdays(customer, {Birthday.Person.CUSTOMER: birthday}))
    audit.record(customer, "customers.customer.created", by=by, changes=changes)
    return customer


@transaction.atomic
def customer_update(*, customer, by, data, expected_version, birthday=None):
    require(by, "archive.edit", customer)
    data = _checked_id_card(data, exclude=customer.pk)
    changes = update_versioned(customer, data=data, expected_version=expected_version)
    changes.update(_save_birthdays(customer, {Birthday.Person.CUSTOMER: birthday}))
    if changes:
        audit.record(customer, "customers.customer.updated", by=by, changes=changes)
    return customer


def _validated(record, exclude=()):
    """`record` checked against its model's fields (bounds, formats) before it is written, whoever
    calls: a refusal names the field, in words."""
    try:
        record.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise DomainError("; ".join(
            f"{record._meta.get_field(name).verbose_name}: {message}" if name != "__all__" else message
            for name, messages in exc.message_dict.items() for message in messages
        )) from exc
    return record


@transaction.atomic
def purchase_add(*, customer, by, data):
    require(by, "archive.edit", customer)
    amount = data.get("amount")
    if amount is None:
        try:
            amount = Purchase.computed_amount(data["quantity"], data["unit_price"])
        except ValidationError as exc:
            raise DomainError(exc.messages[0]) from exc
    purchase = _validated(Purchase(customer=customer, **{**data, "amount": amount}), exclude=["customer"])
    purchase.save()
    audit.record(customer, "customers.purchase.added", by=by, changes={"purchase": [None, str(purchase)]},
                 data={"purchase_id": purchase.pk, "amount": str(purchase.amount)})
    return purchase


@transaction.atomic
def purchase_remove(*, purchase, by):
    require(by, "archive.edit", purchase.customer)
    audit.record(purchase.customer, "customers.purchase.removed", by=by, changes={"purchase": [str(purchase), None]},
                 data={"purchase_id": purchase.pk, "amount": str(purchase.amount)})
    purchase.delete()
