"""The one access rule of Salesdesk (DOMAIN.md §1, 查档权限).

Every view, export, download and task asks `can(user, action, target)`; list pages filter through
`visible(user, queryset, category)`; staff pickers list `users_with(*roles)`. Nothing else in the
code base looks at a role name.

| role        | query | enter / modify | export |
|-------------|-------|----------------|--------|
| leadership  | yes   | no             | yes    |
| manager     | yes   | no (signs)     | yes    |
| clerk       | yes   | yes            | yes    |
| others      | with an approved, unexpired access request | no | no |

Market developers also see, and edit while they are drafts, the dealer intakes they submitted.
The archive categories (dealers, staff, documents…) are registered by the apps
(`salesdesk.registry.archive_category`); a grant covers one category, a region subtree, or all.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone

from salesdesk import registry
from salesdesk.models import AccessRequest, Role

EVERYONE = frozenset(Role)
ARCHIVE_READERS = frozenset({Role.LEADERSHIP, Role.MANAGER, Role.CLERK})

# action -> the roles that hold it outright. Grants and own records are the two rules below.
RULES = {
    "dashboard": EVERYONE,
    "archive.query": ARCHIVE_READERS,
    "archive.edit": {Role.CLERK},
    "archive.export": ARCHIVE_READERS,
    "archive.import": {Role.CLERK},
    "pii.unmask": ARCHIVE_READERS,
    "documents.query": ARCHIVE_READERS,
    "documents.edit": {Role.CLERK},
    "staff.edit": {Role.CLERK},
    "region.query": {Role.LEADERSHIP, Role.MANAGER, Role.CLERK, Role.DEVELOPER},
    "dealer.intake": {Role.DEVELOPER, Role.CLERK},
    "dealer.review": {Role.MANAGER},
    "dealer.file": {Role.CLERK},
    "dealer.authorize": {Role.CLERK},
    "access.request": {Role.MEMBER, Role.DEVELOPER, Role.REPAIR},
    "access.review": {Role.MANAGER},
    "access.unlock": {Role.MANAGER},  # lift a login lockout (a user name or an address)
    "audit.view": {Role.LEADERSHIP, Role.MANAGER},
    "outbox.view": {Role.CLERK, Role.MANAGER},
    "outbox.manage": {Role.CLERK},
}

# Reads that an approved access request can open, and the category each one reads.
GRANTABLE = {"archive.query": None, "documents.query": "documents"}  # None: the target's own category

# A market developer (who is not also a clerk) opens the dealer list, and reads and edits the
# intakes they submitted; they edit nobody else's intake, whatever other roles they hold.
OWN_INTAKES = {"archive.query", "dealer.intake"}


def roles_of(user):
    """The user's role names, read from the database once per request and kept on the user object
    for the rest of it. Never cached between requests: a role removed in one process applies on
    the next request in every process (and the cache may be down)."""
    if not user.is_authenticated:
        return frozenset()
    if not hasattr(user, "_salesdesk_roles"):
        user._salesdesk_roles = frozenset(user.groups.values_list("name", flat=True))
    return user._salesdesk_roles


def primary_role(user):
    """The role shown in the header: the strongest one the user holds."""
    for role in (Role.LEADERSHIP, Role.MANAGER, Role.CLERK, Role.DEVELOPER, Role.REPAIR, Role.MEMBER):
        if role in roles_of(user):
            return Role(role)
    return None


def active_grants(user):
    if not user.is_authenticated:
        return []
    if not hasattr(user, "_salesdesk_grants"):
        user._salesdesk_grants = list(
            AccessRequest.objects.active(timezone.now()).filter(requester=user).select_related("region")
        )
    return user._salesdesk_grants


def split_target(target):
    """(category, record) of what `can` is asked about: a category name, a record, or nothing."""
    if target is None or isinstance(target, str):
        return target, None
    return registry.category_of(target._meta.label_lower), target


def can(user, action, target=None):
    """May `user` do `action` (on a category name, a record, or nothing)?"""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if action == "admin":
        return False
    roles = roles_of(user)
    category, record = split_target(target)
    if action in OWN_INTAKES and category == "dealers" and Role.DEVELOPER in roles and Role.CLERK not in roles:
        if record is None or record.submitted_by_id == user.pk:
            return True  # their own intake; with none named, the list (`visible` narrows it) or a new intake
        if action == "dealer.intake":
            return False  # somebody else's intake
    if roles & RULES[action]:
        return True
    if action in GRANTABLE:
        category = GRANTABLE[action] or category
        return any(grant_covers(grant, category, record) for grant in active_grants(user))
    return False


def grant_covers(grant, category, record=None):
    """Does an approved access request open `category` (and `record`, when one is asked about)?"""
    if grant.scope == AccessRequest.Scope.ALL:
        return True
    if grant.scope == AccessRequest.Scope.CATEGORY:
        return grant.category == category
    if not registry.region_path(category):
        return False  # a region grant opens only the categories that live in regions
    if record is None:
        return True  # the list opens; `visible` narrows it to the region
    region = getattr(record, "region", None)
    return region is not None and region.path.startswith(grant.region.path)


def require(user, action, target=None):
    if not can(user, action, target):
        raise PermissionDenied(action)  # the action is named in the security log's line (salesdesk.logs)


def users_with(*roles):
    """The active users who hold any of `roles` (everyone active when none is named), by name:
    every staff picker (regional lead, market developers, salesperson) asks this."""
    users = get_user_model().objects.filter(is_active=True).order_by("first_name", "username")
    if roles:
        users = users.filter(groups__name__in=roles).distinct()
    return users


def visible(user, queryset, category):
    """The part of `queryset` (of one archive category) that `user` may query."""
    roles = roles_of(user)
    if user.is_superuser or roles & RULES["archive.query"]:
        return queryset
    condition = Q(pk__in=[])
    for grant in active_grants(user):
        if grant.scope == AccessRequest.Scope.ALL or (
            grant.scope == AccessRequest.Scope.CATEGORY and grant.category == category
        ):
            return queryset
        path = registry.region_path(category)
        if grant.scope == AccessRequest.Scope.REGION and path:
            condition |= Q(**{f"{path}__startswith": grant.region.path})
    if Role.DEVELOPER in roles and category == "dealers":
        condition |= Q(submitted_by=user)
    return queryset.filter(condition)
