"""Business actions of the core: regions, access requests, staff profiles, role assignments and
login unlocks, and the audited reads (revealing personal data, exporting a list)."""

import ipaddress
from datetime import timedelta

from axes.utils import reset as axes_reset
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesdesk import audit
from salesdesk.access import require
from salesdesk.errors import DomainError
from salesdesk.locking import update_versioned
from salesdesk.models import AccessRequest, Region, StaffProfile
from salesdesk.pii import SENSITIVE_FIELDS

Status = AccessRequest.Status


# Regions ------------------------------------------------------------------------------------


def _set_path(region):
    region.path = f"{region.parent.path if region.parent else '/'}{region.pk}/"


@transaction.atomic
def region_create(*, by, data, developers=()):
    require(by, "archive.edit")
    region = Region(**data)
    region.path = "/"
    region.save()
    _set_path(region)
    region.save(update_fields=["path"])
    region.developers.set(developers)
    audit.record(region, "salesdesk.region.created", by=by, changes=audit.diff({}, audit.snapshot(region)))
    return region


@transaction.atomic
def region_update(*, region, by, data, developers=None):
    require(by, "archive.edit")
    parent = data.get("parent", region.parent)
    if parent and (parent.pk == region.pk or parent.path.startswith(region.path)):
        raise DomainError(_("A region cannot sit inside itself or one of its own sub-regions."))
    before = audit.snapshot(region)
    old_path = region.path
    for field, value in data.items():
        setattr(region, field, value)
    _set_path(region)
    region.save()
    if region.path != old_path:
        for child in Region.objects.filter(path__startswith=old_path).exclude(pk=region.pk).order_by("path"):
            child.path = region.path + child.path[len(old_path):]
            child.save(update_fields=["path"])
    if developers is not None:
        region.developers.set(developers)
    changes = audit.diff(before, audit.snapshot(region))
    if changes:
        audit.record(region, "salesdesk.region.updated", by=by, changes=changes)
    return region


@transaction.atomic
def access_request_create(*, by, scope, reason, days, category="", region=None):
    require(by, "access.request")
    if AccessRequest.objects.filter(requester=by, status=Status.PENDING).count() >= 5:
        raise DomainError(_("You already have five requests waiting for a decision."))
    request = AccessRequest.objects.create(
        requester=by, scope=scope, category=category or "", region=region, reason=reason, days=days
    )
    audit.record(request, "salesdesk.access_request.created", by=by, changes=audit.diff({}, audit.snapshot(request)))
    return request


def _decide(request, by, status, comment):
    require(by, "access.review")
    request = AccessRequest.objects.select_for_update().get(pk=request.pk)  # two managers at once
    if request.status != Status.PENDING:
        raise DomainError(_("This request has already been decided."))
    if request.requester_id == by.pk:
        raise DomainError(_("Nobody can decide on their own request."))
    now = timezone.now()
    before = audit.snapshot(request)
    request.status = status
    request.decided_by = by
    request.decided_at = now
    request.decision_comment = comment
    if status == Status.APPROVED:
        request.valid_from = now
        request.valid_until = now + timedelta(days=request.days)
    request.save()
    return request, before


@transaction.atomic
def access_request_approve(*, request, by, comment=""):
    request, before = _decide(request, by, Status.APPROVED, comment)
    audit.record(request, "salesdesk.access_request.approved", by=by, changes=audit.diff(before, audit.snapshot(request)))
    return request


@transaction.atomic
def access_request_reject(*, request, by, comment):
    if not comment.strip():
        raise DomainError(_("Say why the request is rejected."))
    request, before = _decide(request, by, Status.REJECTED, comment)
    audit.record(request, "salesdesk.access_request.rejected", by=by, changes=audit.diff(before, audit.snapshot(request)))
    return request


@transaction.atomic
def staff_profile_update(*, profile, by, data, expected_version):
    require(by, "staff.edit")
    changes = update_versioned(profile, data=data, expected_version=expected_version)
    if changes:
        audit.record(profile, "salesdesk.staff_profile.updated", by=by, changes=changes)
    return profile


@transaction.atomic
def staff_profile_ensure(*, user, by=None, **fields):
    """Give a user account its staff profile (used by seeding and the admin)."""
    profile, created = StaffProfile.objects.get_or_create(
        user=user, defaults={"name": fields.pop("name", None) or user.get_full_name() or user.username, **fields}
    )
    if created:
        audit.record(profile, "salesdesk.staff_profile.created", by=by, changes=audit.diff({}, audit.snapshot(profile)))
    return profile


def pii_reveal(*, obj, field, by):
    """The full value of a personal-data field, for a viewer who may see it; the view is logged."""
    if field not in SENSITIVE_FIELDS or not hasattr(obj, field):
        raise DomainError(_("Nothing to show."))
    require(by, "pii.unmask")
    require(by, "archive.query", obj)
    audit.record(obj, "salesdesk.pii.viewed", by=by, data={"field": field})
    return getattr(obj, field)


def pii_opened_for_edit(*, obj, fields, by, via):
    """An edit form shows `fields` of `obj` in full, for the person correcting them: a view of the
    unmasked numbers like a reveal, and logged the same way (with the page it was shown on)."""
    require(by, "archive.query", obj)
    audit.record(obj, "salesdesk.pii.viewed", by=by, data={"field": ",".join(fields), "via": via})


def export_recorded(*, export, by, count, fmt, filters, unmasked):
    """Log an export of `count` rows (a `salesdesk.exports.Export`) by someone the policy lets export."""
    require(by, "archive.export")
    if unmasked:
        require(by, "pii.unmask")
    return audit.record(
        None, export.action, by=by, data={"rows": count, "format": fmt, "filters": filters, "unmasked": unmasked}
    )


# Accounts: roles and login lockouts ----------------------------------------------------------


@transaction.atomic
def roles_assign(*, user, roles, by):
    """Give `user` exactly the role groups named in `roles` (the admin's user form, seeding; `by`
    None is the system itself). Logged with the roles before and after; applies on the user's next
    request in every process (`access.roles_of` reads them per request)."""
    if by is not None:
        require(by, "admin")
    wanted = sorted(set(str(role) for role in roles))
    groups = list(Group.objects.filter(name__in=wanted))
    if len(groups) != len(wanted):
        unknown = sorted(set(wanted) - {group.name for group in groups})
        raise DomainError(_("No such role: %(roles)s.") % {"roles": ", ".join(unknown)})
    before = sorted(user.groups.values_list("name", flat=True))
    if before == wanted:
        return user
    user.groups.set(groups)
    user.__dict__.pop("_salesdesk_roles", None)  # this request's memo (access.roles_of)
    audit.record(user, "salesdesk.user.roles_changed", by=by, changes={"groups": [before, wanted]})
    return user


@transaction.atomic
def password_change(*, user, password):
    """A person sets their own new password (already checked by the password validators); the
    trail says that it changed, never what to."""
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(user, "salesdesk.user.password_changed", by=user)
    return user


@transaction.atomic
def login_unlock(*, by, username="", ip_address=""):
    """Lift the login lockout of one user name or one address (salesdesk.lockouts) before its
    cool-off ends: its failed attempts are forgotten, the unlock is logged."""
    require(by, "access.unlock")
    username, ip_address = (username or "").strip(), (ip_address or "").strip()
    if bool(username) == bool(ip_address):
        raise DomainError(_("Name one user name or one address to unlock."))
    if ip_address:
        try:
            ip_address = str(ipaddress.ip_address(ip_address))
        except ValueError:
            raise DomainError(_("This is not an address.")) from None
    removed = axes_reset(username=username) if username else axes_reset(ip=ip_address)  # forgets the attempts
    if not removed:
        raise DomainError(_("This login is not locked out (any more)."))
    account = get_user_model().objects.filter(username=username).first() if username else None
    target = {"username": username} if username else {"ip_address": ip_address}
    audit.record(account, "salesdesk.login.unlocked", by=by, data={**target, "attempts": removed})
    return removed
