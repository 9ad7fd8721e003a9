"""The one access rule of Salesdesk (DOMAIN.md §1, 查档权限).

Every view, export, download and task asks `can(user, action, target)`; list pages filter through
`visible(user, queryset, category)`. Nothing else in the code base looks at a role name.

| role        | query | enter / modify | export |
|-------------|-------|----------------|--------|
| leadership  | yes   | no             | yes    |
| manager     | yes   | no (signs)     | yes    |
| clerk       | yes   | yes            | yes    |
| others      | with an approved, unexpired access request | no | no |

Market developers also see the dealer intakes they submitted themselves.
"""

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone

from salesdesk.models import AccessRequest, Role

L, M, C = Role.LEADERSHIP, Role.MANAGER, Role.CLERK
MEMBER, DEV, REPAIR = Role.MEMBER, Role.DEVELOPER, Role.REPAIR
EVERYONE = frozenset(Role)

# action -> roles that hold it outright. Object- and grant-dependent rules are in `can` below.
RULES = {
    "dashboard": EVERYONE,
    "archive.query": {L, M, C},
    "archive.edit": {C},
    "archive.export": {L, M, C},
    "pii.unmask": {L, M, C},
    "dealer.intake": {DEV, C},
    "dealer.review": {M},
    "dealer.file": {C},
    "dealer.authorize": {C},
    "region.query": {L, M, C, DEV},
    "access.request": {MEMBER, DEV, REPAIR},
    "access.review": {M},
    "audit.view": {L, M},
    "outbox.view": {C, M},
    "outbox.manage": {C},
    "staff.edit": {C},
    "archive.import": {C},
    "documents.query": {L, M, C},
    "documents.edit": {C},
}

# Which archive category a record belongs to, for grants and `visible`.
CATEGORY_OF_MODEL = {
    "customers.dealer": AccessRequest.Category.DEALERS,
    "customers.customer": AccessRequest.Category.CUSTOMERS,
    "customers.purchase": AccessRequest.Category.CUSTOMERS,
    "salesdesk.staffprofile": AccessRequest.Category.STAFF,
    "customers.document": AccessRequest.Category.DOCUMENTS,
    "customers.documentversion": AccessRequest.Category.DOCUMENTS,
}
# Region-scoped grants cover the records whose region lies in the granted subtree.
REGION_PATH_LOOKUP = {
    AccessRequest.Category.DEALERS: "region__path",
    AccessRequest.Category.CUSTOMERS: "region__path",
}


ROLES_CACHE_KEY = "salesdesk:roles:{}"


def roles_of(user):
    """The user's role names: kept on the user object for the request, and in the cache between
    requests (forgotten the moment the user's groups change: `forget_roles`)."""
    if not user.is_authenticated:
        return frozenset()
    if not hasattr(user, "_salesdesk_roles"):
        key = ROLES_CACHE_KEY.format(user.pk)
        roles = cache.get(key)
        if roles is None:
            roles = frozenset(user.groups.values_list("name", flat=True))
            cache.set(key, roles, 300)
        user._salesdesk_roles = roles
    return user._salesdesk_roles


def forget_roles(user_ids):
    cache.delete_many([ROLES_CACHE_KEY.format(pk) for pk in user_ids])


def primary_role(user):
    """The role shown in the header: the strongest one the user holds."""
    for role in (L, M, C, DEV, REPAIR, MEMBER):
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


def _category_of(target):
    if target is None or isinstance(target, str):
        return target
    return CATEGORY_OF_MODEL.get(target._meta.label_lower)


def _grant_covers(grant, category, obj=None):
    if grant.scope == AccessRequest.Scope.ALL:
        return True
    if grant.scope == AccessRequest.Scope.CATEGORY:
        return grant.category == category
    # Region scope: the category must be one that lives in regions.
    if category not in REGION_PATH_LOOKUP:
        return False
    if obj is None:
        return True  # the list is open; `visible` narrows it to the region
    region = getattr(obj, "region", None)
    return region is not None and region.path.startswith(grant.region.path)


def can(user, action, target=None):
    """May `user` do `action` (on a category name, a record, or nothing)?"""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if action == "admin":
        return False
    roles = roles_of(user)
    if roles & RULES[action]:
        if action == "dealer.intake" and DEV in roles and C not in roles and not isinstance(target, (str, type(None))):
            return target.submitted_by_id == user.pk  # a developer edits their own intakes only
        return True
    if action in ("archive.query", "documents.query"):
        category = _category_of(target) if action == "archive.query" else AccessRequest.Category.DOCUMENTS
        obj = None if target is None or isinstance(target, str) else target
        if DEV in roles and category == AccessRequest.Category.DEALERS:
            if obj is None or obj.submitted_by_id == user.pk:
                return True
        return any(_grant_covers(grant, category, obj) for grant in active_grants(user))
    return False


def require(user, action, target=None):
    if not can(user, action, target):
        raise PermissionDenied


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
        if grant.scope == AccessRequest.Scope.REGION and category in REGION_PATH_LOOKUP:
            condition |= Q(**{f"{REGION_PATH_LOOKUP[category]}__startswith": grant.region.path})
    if DEV in roles and category == AccessRequest.Category.DEALERS:
        condition |= Q(submitted_by=user)
    return queryset.filter(condition)
