"""The outbox: every outbound message is a row first, and is sent exactly once.

enqueue() writes the row under a unique key (a retried caller finds it and does nothing);
deliver() claims the row with a conditional update and sends only if the claim won; sweep()
puts back rows whose worker died mid-send and re-enqueues rows whose broker message was lost.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from salesdesk import audit, tasks  # tasks imports this module too: used at call time only
from salesdesk.channels import backend_for
from salesdesk.errors import DomainError
from salesdesk.models import OutboxMessage

log = logging.getLogger(__name__)
State = OutboxMessage.State


def _schedule(message_id, countdown=0):
    transaction.on_commit(lambda: tasks.outbox_deliver.apply_async((message_id,), countdown=countdown))


@transaction.atomic
def enqueue(*, channel, key, recipient, body, subject="", recipient_name="", attachment=None, by=None):
    """Queue a message once per key; returns (message, created)."""
    message, created = OutboxMessage.objects.get_or_create(
        key=key,
        defaults={
            "channel": channel,
            "recipient": recipient,
            "recipient_name": recipient_name,
            "subject": subject,
            "body": body,
            "created_by": by,
        },
    )
    if created:
        if attachment is not None:
            message.attachment.save(attachment.name, attachment, save=True)
        _schedule(message.pk)
    return message, created


def deliver(message_id, now=None):
    """Send one message if it is due and this caller wins the claim. Returns True if it was sent."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=settings.SALESDESK_OUTBOX_LEASE_SECONDS)
    claimed = (
        OutboxMessage.objects.due(now)
        .filter(pk=message_id)
        .update(state=State.SENDING, lease_until=lease, attempts=F("attempts") + 1)
    )
    if not claimed:
        return False
    message = OutboxMessage.objects.get(pk=message_id)
    try:
        provider_ref = backend_for(message.channel).send(message)
    except Exception as exc:  # a gateway can fail in many ways; every one is recorded and retried
        _mark_failed(message, exc, now)
        return False
    _mark_sent(message, provider_ref)
    return True


def _mark_sent(message, provider_ref):
    OutboxMessage.objects.filter(pk=message.pk, state=State.SENDING).update(
        state=State.SENT, sent_at=timezone.now(), lease_until=None, provider_ref=provider_ref[:200], last_error=""
    )


def _mark_failed(message, exc, now):
    """Back to the queue after the back-off, or failed for good after the last attempt."""
    log.warning("outbox %s: attempt %s failed: %s", message.pk, message.attempts, exc)
    give_up = message.attempts >= settings.SALESDESK_OUTBOX_MAX_ATTEMPTS
    OutboxMessage.objects.filter(pk=message.pk, state=State.SENDING).update(
        state=State.FAILED if give_up else State.QUEUED,
        next_attempt_at=now + message.backoff(),
        lease_until=None,
        last_error=str(exc)[:2000] or exc.__class__.__name__,
    )
    if not give_up:
        with transaction.atomic():
            _schedule(message.pk, countdown=int(message.backoff().total_seconds()))


def sweep(now=None, grace=timedelta(seconds=60)):
    """Put back rows whose worker died mid-send (lease over) and re-enqueue due rows whose broker
    message may be lost. The claim in deliver() keeps a duplicate enqueue from sending twice.
    Returns (released, enqueued)."""
    now = now or timezone.now()
    stale = list(OutboxMessage.objects.stale(now).values_list("pk", flat=True)[:1000])
    released = (
        OutboxMessage.objects.stale(now).filter(pk__in=stale).update(state=State.QUEUED, lease_until=None, next_attempt_at=now)
    )
    due = set(OutboxMessage.objects.due(now - grace).values_list("pk", flat=True)[:1000]) | set(stale)
    with transaction.atomic():
        for pk in sorted(due):
            _schedule(pk)
    return released, len(due)


@transaction.atomic
def retry(*, message, by):
    """The clerk sends a failed message again."""
    requeued = OutboxMessage.objects.filter(pk=message.pk, state=State.FAILED).update(
        state=State.QUEUED, next_attempt_at=timezone.now(), attempts=0, last_error=""
    )
    if not requeued:  # checked on the row, not on a copy that may be stale
        raise DomainError(_("Only a failed message can be sent again."))
    audit.record(message, "salesdesk.outbox.retried", by=by)
    _schedule(message.pk)


@transaction.atomic
def cancel(*, message, by):
    cancelled = OutboxMessage.objects.filter(pk=message.pk, state__in=[State.QUEUED, State.FAILED]).update(
        state=State.CANCELLED
    )
    if not cancelled:
        raise DomainError(_("Only a queued or failed message can be cancelled."))
    audit.record(message, "salesdesk.outbox.cancelled", by=by)
