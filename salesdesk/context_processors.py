from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from salesdesk.access import can, primary_role

# (label, url name, action, target, icon): the navigation shows each role what it may do.
NAVIGATION = [
    (_("Overview"), "dashboard", "dashboard", None, "speedometer2"),
    (_("Dealers"), "customers:dealer_list", "archive.query", "dealers", "shop"),
    (_("End customers"), "customers:customer_list", "archive.query", "customers", "people"),
    (_("Regions"), "customers:region_list", "region.query", None, "map"),
    (_("Staff"), "staff_list", "archive.query", "staff", "person-badge"),
    (_("Import"), "customers:import_list", "archive.import", None, "upload"),
    (_("Documents"), "customers:document_list", "documents.query", None, "folder2-open"),
    (_("Access requests"), "access_list", "access.request", None, "key"),
    (_("Access requests"), "access_list", "access.review", None, "key"),
    (_("Outbox"), "outbox_list", "outbox.view", None, "envelope"),
    (_("Audit trail"), "audit_list", "audit.view", None, "journal-text"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items, seen = [], set()
    for label, url_name, action, target, icon in NAVIGATION:
        if url_name not in seen and can(user, action, target):
            seen.add(url_name)
            url = reverse(url_name)
            items.append({"label": label, "url": url, "icon": icon, "active": request.path.startswith(url) and (url != "/" or request.path == "/")})
    role = primary_role(user)
    return {"nav_items": items, "user_role": role.label if role else ""}
