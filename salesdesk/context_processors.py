from django.urls import reverse

from salesdesk import registry
from salesdesk.access import can, primary_role

def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items, seen = [], set()
    for item in registry.navigation_items():  # each app registers its entries; each role sees what it may do
        if item.url_name not in seen and can(user, item.action, item.target):
            seen.add(item.url_name)
            url = reverse(item.url_name)
            items.append({"label": item.label, "url": url, "icon": item.icon, "active": request.path.startswith(url) and (url != "/" or request.path == "/")})
    role = primary_role(user)
    return {"nav_items": items, "user_role": role.label if role else ""}
