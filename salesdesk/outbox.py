"""The outbox: every outbound message is a row first, and is sent once.

enqueue() writes the row under a unique key (a retried caller finds it and does nothing) and hands
a deliver task to the broker after commit; a broker that is down is logged, never raised: the row
is safe and the sweep delivers it. deliver() claims the row with a conditional update that raises
the attempt number: that number is the claim, and only the worker holding the current one records
the provider's answer. The lease of a claim is always longer than the provider's timeout, so a
claim cannot expire while its send is still running. sweep() puts back rows whose worker died
mid-send and re-enqueues rows for which no task is expected any more, a bounded batch per run.

What "sent once" means (README, "Outbound messages"): a message is handed to the provider once per
claim, and a claim is given again only after a worker died holding it. The one window left is a
crash between the provider's acceptance and our record of it: then a second copy goes out, with the
same Message-ID (and provider out-id), derived from the key, so it is recognisable as the same.
"""

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from salesdesk import audit, tasks  # tasks imports this module too: used at call time only
from salesdesk.channels import backend_for
from salesdesk.errors import DomainError
from salesdesk.models import OutboxMessage

log = logging.getLogger(__name__)
State = OutboxMessage.State


def out_id(key):
    """The provider-side id of the message with this key: the same on every attempt and process."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def message_id(key):
    """The e-mail Message-ID of the message with this key (RFC 5322 form)."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "salesdesk.localhost"
    return f"<outbox.{out_id(key)}@{domain}>"


def provider_timeout():
    """The longest a provider call may take (SMTP, and HTTP for SMS and fax gateways), in seconds."""
    return max(float(settings.EMAIL_TIMEOUT or 0), float(settings.SALESDESK_PROVIDER_TIMEOUT))


def lease_seconds():
    """A claim's lease: the configured one, and never less than twice the provider timeout and a
    margin, so a send still running cannot outlive its claim."""
    return max(float(settings.SALESDESK_OUTBOX_LEASE_SECONDS), 2 * provider_timeout() + 10)


def _dispatch(message_id, countdown):
    """Hand a deliver task to the broker; a broker that is down is logged, not raised (the row is
    committed and the sweep re-enqueues it: enqueued_at is cleared so the next sweep does)."""
    try:
        tasks.outbox_deliver.apply_async((message_id,), countdown=countdown)
    except Exception as exc:  # kombu OperationalError, a Redis connection error, a full disk...
        log.warning("outbox %s: the broker refused the task (%s); the sweep will enqueue it", message_id, exc)
        OutboxMessage.objects.filter(pk=message_id).update(enqueued_at=None)


def _schedule(message_id, countdown=0):
    """Dispatch after the surrounding transaction commits (at once outside one)."""
    transaction.on_commit(lambda: _dispatch(message_id, countdown))


@transaction.atomic
def enqueue(*, channel, key, recipient, body, subject="", recipient_name="", attachment=None, by=None):
    """Queue a message once per key; returns (message, created). Never fails for the broker."""
    message, created = OutboxMessage.objects.get_or_create(
        key=key,
        defaults={
            "channel": channel,
            "recipient": recipient,
            "recipient_name": recipient_name,
            "subject": subject,
            "body": body,
            "created_by": by,
            "enqueued_at": timezone.now(),
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
    lease = now + timedelta(seconds=lease_seconds())
    claimed = (
        OutboxMessage.objects.due(now)
        .filter(pk=message_id)
        .update(state=State.SENDING, lease_until=lease, attempts=F("attempts") + 1)
    )
    if not claimed:
        return False
    message = OutboxMessage.objects.get(pk=message_id)  # message.attempts is this claim's number
    backend = backend_for(message.channel)
    try:
        try:
            provider_ref = backend.send(message)
        except Exception as exc:  # a gateway can fail in many ways; every one is recorded and retried
            _mark_failed(message, exc, now)
            return False
        return _mark_sent(message, provider_ref)  # at once: nothing between the answer and the record
    finally:
        close = getattr(backend, "close", None)
        if close is not None:
            close()  # e.g. SMTP QUIT, after the record


def _claim(message):
    """The row as long as this claim is the current one (the attempt number is the token)."""
    return OutboxMessage.objects.filter(pk=message.pk, state=State.SENDING, attempts=message.attempts)


def _mark_sent(message, provider_ref):
    recorded = _claim(message).update(
        state=State.SENT, sent_at=timezone.now(), lease_until=None, provider_ref=str(provider_ref)[:200], last_error=""
    )
    if not recorded:
        log.warning("outbox %s: attempt %s was sent after its claim had passed on", message.pk, message.attempts)
    return bool(recorded)


def _mark_failed(message, exc, now):
    """Back to the queue after the back-off, or failed for good after the last attempt."""
    log.warning("outbox %s: attempt %s failed: %s", message.pk, message.attempts, exc)
    give_up = message.attempts >= settings.SALESDESK_OUTBOX_MAX_ATTEMPTS
    with transaction.atomic():
        recorded = _claim(message).update(
            state=State.FAILED if give_up else State.QUEUED,
            next_attempt_at=now + message.backoff(),
            lease_until=None,
            enqueued_at=None if give_up else timezone.now(),
            last_error=str(exc)[:2000] or exc.__class__.__name__,
        )
        if recorded and not give_up:
            _schedule(message.pk, countdown=int(message.backoff().total_seconds()))


def sweep(now=None, grace=timedelta(seconds=60)):
    """Put back rows whose worker died mid-send (lease over), and re-enqueue queued rows for which
    no task is expected any more: due for `grace` and not handed to the broker within
    SALESDESK_OUTBOX_REDISPATCH_SECONDS (a task still waiting in a backlog is not duplicated).
    At most SALESDESK_OUTBOX_SWEEP_BATCH rows a run. Returns (released, enqueued)."""
    now = now or timezone.now()
    batch = settings.SALESDESK_OUTBOX_SWEEP_BATCH
    redispatch = timedelta(seconds=settings.SALESDESK_OUTBOX_REDISPATCH_SECONDS)
    with transaction.atomic():
        stale = list(OutboxMessage.objects.stale(now).order_by("lease_until", "pk").values_list("pk", flat=True)[:batch])
        released = (
            OutboxMessage.objects.stale(now)
            .filter(pk__in=stale)
            .update(state=State.QUEUED, lease_until=None, next_attempt_at=now, enqueued_at=now)
        )
        lost = list(
            OutboxMessage.objects.due(now - grace)
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=now - redispatch))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[: max(0, batch - len(stale))]
        )
        OutboxMessage.objects.filter(pk__in=lost).update(enqueued_at=now)
        due = sorted(set(lost) | set(stale))
        for pk in due:
            _schedule(pk)
    return released, len(due)


@transaction.atomic
def retry(*, message, by):
    """The clerk sends a failed message again."""
    requeued = OutboxMessage.objects.filter(pk=message.pk, state=State.FAILED).update(
        state=State.QUEUED, next_attempt_at=timezone.now(), enqueued_at=timezone.now(), attempts=0, last_error=""
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
