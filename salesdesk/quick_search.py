"""The quick search in the header: one box, the records of every registered kind that match.

Each app registers a provider (`registry.search_provider`): a function of the viewer, the parsed
query and a limit that answers the hits the viewer may see (the policy's `can` and `visible`), or
None when the viewer may not search that kind. The core registers the staff archive's.
"""

from urllib.parse import urlencode

from django.urls import reverse

from salesdesk import registry
from salesdesk.access import can
from salesdesk.models import StaffProfile
from salesdesk.search import Hit, parse

LIMIT = 10  # hits shown per kind


def groups(user, typed, limit=LIMIT):
    """[{label, list_url, hits, more_url}] for what `user` typed: one group per kind the user may search,
    at most `limit` hits each; `more_url` opens the kind's list with the same search when there
    are more."""
    query = parse(typed)
    if not query:
        return []
    found = []
    for provider in registry.search_providers():
        hits = provider.function(user, query, limit + 1)
        if hits is None:
            continue
        more = len(hits) > limit and provider.list_url
        found.append({
            "label": provider.label, "list_url": provider.list_url, "hits": hits[:limit],
            "more_url": f"{reverse(provider.list_url)}?{urlencode({'q': query.typed})}" if more else "",
        })
    return found


def staff_hits(user, query, limit):
    if not can(user, "archive.query", "staff"):
        return None
    editable = can(user, "staff.edit")
    profiles = StaffProfile.objects.search(query).only("name", "title", "mobile")[:limit]
    return [
        Hit(
            profile.name,
            reverse("staff_edit", args=[profile.pk]) if editable else f"{reverse('staff_list')}?{urlencode({'q': profile.name})}",
            details=tuple(filter(None, [profile.title])), record=profile, numbers=("mobile",),
        )
        for profile in profiles
    ]
