"""Refused requests, logged as security events rather than as errors.

Django logs every 403 on `django.request` — a PermissionDenied with its whole traceback — and a
walk through the pages by a role that may not open some of them filled the terminal. A refusal is
the access rule working: `RefusalFilter` drops those records and writes one line instead to the
`salesdesk.security` logger (var/log/security.log):

    refused user=member(4) GET /audit/ view=audit_list action=audit.view from 127.0.0.1
"""

import logging

security = logging.getLogger("salesdesk.security")


def refusal_line(request, exc=None):
    user = getattr(request, "user", None)
    who = f"{user.get_username()}({user.pk})" if user is not None and user.is_authenticated else "anonymous"
    match = getattr(request, "resolver_match", None)
    view = match.view_name if match else "-"
    action = str(exc.args[0]) if exc is not None and exc.args else "-"
    address = getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR", "-")
    return f"refused user={who} {request.method} {request.get_full_path()} view={view} action={action} from {address}"


class RefusalFilter(logging.Filter):
    """On `django.request`: a 403 becomes one line on `salesdesk.security`, without traceback."""

    def filter(self, record):
        if getattr(record, "status_code", None) != 403:
            return True
        request = getattr(record, "request", None)
        if request is not None:
            exc = record.exc_info[1] if record.exc_info else None
            security.warning(refusal_line(request, exc))
        return False
