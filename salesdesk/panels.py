"""The core's dashboard panels (registered in SalesdeskConfig.ready): access requests and the outbox."""

from salesdesk.access import can
from salesdesk.models import AccessRequest, OutboxMessage


def pending_requests(user):
    if not can(user, "access.review"):
        return None
    return {"pending_requests": AccessRequest.objects.pending().select_related("requester")[:10]}


def my_grants(user):
    if not can(user, "access.request"):
        return None
    return {"my_grants": AccessRequest.objects.active().filter(requester=user).select_related("region")}


def failed_messages(user):
    if not can(user, "outbox.view"):
        return None
    count = OutboxMessage.objects.needs_attention().count()
    return {"failed_messages": count} if count else None
