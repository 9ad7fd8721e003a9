"""The outbox: a message is a row first, and is sent exactly once however often a worker asks."""

from datetime import timedelta

import pytest
from django.utils import timezone

from salesdesk import outbox
from salesdesk.errors import DomainError
from salesdesk.models import AuditEntry, OutboxMessage
from tests.salesdesk import backends

State = OutboxMessage.State
RECORDING = "tests.salesdesk.backends.RecordingBackend"
FAILING = "tests.salesdesk.backends.FailingBackend"
DYING = "tests.salesdesk.backends.DyingBackend"
# Durations on the injected clock (`now=` passed to the services): no wall-clock time is measured.
JUST_BEFORE_BACKOFF = timedelta(seconds=59)  # the first back-off is one minute
LEASE = timedelta(seconds=300)  # settings.SALESDESK_OUTBOX_LEASE_SECONDS


@pytest.fixture(autouse=True)
def recording_channels(settings):
    backends.reset()
    settings.SALESDESK_CHANNEL_BACKENDS = {"sms": RECORDING, "fax": RECORDING, "email": RECORDING}
    settings.SALESDESK_OUTBOX_LEASE_SECONDS = 300
    settings.SALESDESK_OUTBOX_MAX_ATTEMPTS = 3
    yield
    backends.reset()


def use_backend(settings, path):
    settings.SALESDESK_CHANNEL_BACKENDS = {**settings.SALESDESK_CHANNEL_BACKENDS, "sms": path}


def queue_greeting(key="greeting:customer-7:birthday:2026-05-01", body="祝您生日快乐！", **extra):
    return outbox.enqueue(channel="sms", key=key, recipient="13800000007", recipient_name="李强", body=body, **extra)


def reload(message):
    return OutboxMessage.objects.get(pk=message.pk)


def greeting_through(settings, backend):
    """A greeting queued for a gateway that behaves as `backend` does, and the time it was queued."""
    use_backend(settings, backend)
    message, _ = queue_greeting()
    return message, timezone.now()


def attempt_until_given_up(message, now):
    """A worker tries `message` whenever it is due, until the third failure makes the outbox give up:
    at `now`, after the first back-off of one minute, and after the second of two."""
    for minutes in (0, 1, 3):
        outbox.deliver(message.pk, now=now + timedelta(minutes=minutes))


# Enqueue ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_enqueue_writes_a_queued_row(clerk):
    message, created = queue_greeting(by=clerk)

    assert created is True
    message = reload(message)
    assert (message.state, message.attempts, message.channel, message.recipient) == (State.QUEUED, 0, "sms", "13800000007")
    assert message.created_by == clerk
    assert backends.sent == []  # nothing leaves the process before the transaction commits


@pytest.mark.django_db
def test_enqueue_is_idempotent_per_key():
    first, created_first = queue_greeting(body="祝您生日快乐！")
    second, created_second = queue_greeting(body="另一条内容")

    assert (created_first, created_second) == (True, False)
    assert second.pk == first.pk
    assert OutboxMessage.objects.count() == 1
    assert reload(first).body == "祝您生日快乐！"  # the retried caller changes nothing


@pytest.mark.django_db
def test_delivery_is_scheduled_once_and_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        queue_greeting()
    with django_capture_on_commit_callbacks() as again:
        queue_greeting()

    assert len(callbacks) == 1
    assert len(again) == 0


@pytest.mark.django_db
def test_different_keys_are_different_messages():
    queue_greeting(key="a")
    queue_greeting(key="b")
    assert OutboxMessage.objects.count() == 2


# Deliver ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_deliver_sends_and_marks_sent():
    message, _ = queue_greeting()

    assert outbox.deliver(message.pk) is True

    message = reload(message)
    assert backends.sent == [(message.pk, "13800000007", "祝您生日快乐！")]
    assert message.state == State.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.lease_until is None
    assert message.provider_ref == f"recorded-{message.pk}-1"
    assert message.last_error == ""


@pytest.mark.django_db
def test_delivering_twice_sends_once():
    message, _ = queue_greeting()

    results = [outbox.deliver(message.pk), outbox.deliver(message.pk)]

    assert results == [True, False]
    assert len(backends.sent) == 1
    assert reload(message).attempts == 1


@pytest.mark.django_db
def test_a_message_is_not_sent_before_it_is_due():
    message, _ = queue_greeting()
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))

    assert outbox.deliver(message.pk) is False
    assert backends.sent == []
    assert reload(message).state == State.QUEUED


@pytest.mark.django_db
def test_a_message_claimed_by_another_worker_is_not_sent_again():
    message, _ = queue_greeting()
    now = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk).update(state=State.SENDING, lease_until=now + timedelta(minutes=5))

    assert outbox.deliver(message.pk, now=now) is False
    assert backends.sent == []


@pytest.mark.django_db
def test_a_cancelled_message_is_never_sent(clerk):
    message, _ = queue_greeting()

    outbox.cancel(message=message, by=clerk)

    assert outbox.deliver(message.pk) is False
    assert backends.sent == []
    assert reload(message).state == State.CANCELLED
    assert AuditEntry.objects.get(action="salesdesk.outbox.cancelled").actor == clerk


# Failures, backoff, giving up ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_failed_send_goes_back_to_queued_with_backoff_and_error(settings):
    message, now = greeting_through(settings, FAILING)

    assert outbox.deliver(message.pk, now=now) is False

    message = reload(message)
    assert message.state == State.QUEUED
    assert message.attempts == 1
    assert message.last_error == "gateway answered 503"
    assert message.next_attempt_at == now + timedelta(minutes=1)
    assert message.lease_until is None
    assert message.sent_at is None


@pytest.mark.django_db
def test_a_failed_message_waits_for_its_backoff(settings):
    message, now = greeting_through(settings, FAILING)
    outbox.deliver(message.pk, now=now)

    assert outbox.deliver(message.pk, now=now + JUST_BEFORE_BACKOFF) is False
    assert backends.attempts == [message.pk]  # the gateway was not asked again

    assert outbox.deliver(message.pk, now=now + timedelta(minutes=1)) is False
    assert backends.attempts == [message.pk, message.pk]
    message = reload(message)
    assert message.attempts == 2
    assert message.next_attempt_at == now + timedelta(minutes=1) + timedelta(minutes=2)  # 1, 2, 4... minutes


@pytest.mark.django_db
def test_after_max_attempts_the_message_fails(settings):
    message, now = greeting_through(settings, FAILING)

    attempt_until_given_up(message, now)

    message = reload(message)
    assert message.state == State.FAILED
    assert message.attempts == 3
    assert message.last_error == "gateway answered 503"
    assert len(backends.attempts) == 3
    assert OutboxMessage.objects.needs_attention().get() == message
    # a failed message is not picked up again by a late worker
    assert outbox.deliver(message.pk, now=now + timedelta(days=1)) is False
    assert len(backends.attempts) == 3


@pytest.mark.django_db
def test_a_message_that_recovers_is_sent_once(settings):
    message, now = greeting_through(settings, FAILING)
    outbox.deliver(message.pk, now=now)

    use_backend(settings, RECORDING)
    later = now + timedelta(minutes=1)
    assert outbox.deliver(message.pk, now=later) is True
    assert outbox.deliver(message.pk, now=later) is False

    message = reload(message)
    assert (message.state, message.attempts, message.last_error) == (State.SENT, 2, "")
    assert len(backends.sent) == 1


# Sweep: a worker died mid-send ----------------------------------------------------------------


@pytest.mark.django_db
def test_sweep_leaves_a_message_whose_lease_is_still_running(settings):
    message, now = greeting_through(settings, DYING)
    with pytest.raises(backends.WorkerKilled):
        outbox.deliver(message.pk, now=now)

    released, _ = outbox.sweep(now=now + timedelta(seconds=299))

    assert released == 0
    assert reload(message).state == State.SENDING


@pytest.mark.django_db
def test_sweep_releases_a_message_stuck_in_sending_and_it_is_sent_exactly_once(settings):
    message, now = greeting_through(settings, DYING)
    with pytest.raises(backends.WorkerKilled):
        outbox.deliver(message.pk, now=now)
    stuck = reload(message)
    assert (stuck.state, stuck.lease_until) == (State.SENDING, now + LEASE)

    use_backend(settings, RECORDING)
    after_lease = now + timedelta(seconds=301)
    released, enqueued = outbox.sweep(now=after_lease)

    assert (released, enqueued) == (1, 1)
    released_row = reload(message)
    assert (released_row.state, released_row.lease_until) == (State.QUEUED, None)

    assert outbox.deliver(message.pk, now=after_lease) is True
    assert outbox.deliver(message.pk, now=after_lease) is False
    assert outbox.sweep(now=after_lease + timedelta(hours=1)) == (0, 0)
    assert outbox.deliver(message.pk, now=after_lease + timedelta(hours=1)) is False

    assert backends.sent == [(message.pk, "13800000007", "祝您生日快乐！")]
    message = reload(message)
    assert (message.state, message.attempts) == (State.SENT, 2)


@pytest.mark.django_db
def test_sweep_reenqueues_a_due_message_whose_broker_message_was_lost(django_capture_on_commit_callbacks):
    message, _ = queue_greeting()
    now = timezone.now()

    with django_capture_on_commit_callbacks() as callbacks:
        released, enqueued = outbox.sweep(now=now + timedelta(minutes=11))  # no task expected any more

    assert (released, enqueued) == (0, 1)
    assert len(callbacks) == 1
    assert outbox.deliver(message.pk, now=now + timedelta(minutes=11)) is True
    assert len(backends.sent) == 1


# Retry by a clerk ---------------------------------------------------------------------------


@pytest.fixture
def failed_message(settings):
    message, now = greeting_through(settings, FAILING)
    attempt_until_given_up(message, now)
    use_backend(settings, RECORDING)
    message = reload(message)
    assert message.state == State.FAILED
    return message


def test_clerk_retries_a_failed_message(clerk, failed_message):
    outbox.retry(message=failed_message, by=clerk)

    message = reload(failed_message)
    assert (message.state, message.attempts) == (State.QUEUED, 0)
    entry = AuditEntry.objects.get(action="salesdesk.outbox.retried")
    assert entry.actor == clerk
    assert entry.object_id == str(message.pk)

    assert outbox.deliver(message.pk) is True
    assert outbox.deliver(message.pk) is False
    assert len(backends.sent) == 1
    assert reload(message).state == State.SENT


def test_clerk_retries_through_the_outbox_page(login, clerk, failed_message):
    response = login(clerk).post(f"/outbox/{failed_message.pk}/retry/")

    assert response.status_code == 302
    assert response.url == "/outbox/"
    assert reload(failed_message).state == State.QUEUED
    assert AuditEntry.objects.filter(action="salesdesk.outbox.retried", actor=clerk).count() == 1


def test_only_a_failed_message_can_be_retried(clerk):
    message, _ = queue_greeting()
    outbox.deliver(message.pk)

    with pytest.raises(DomainError):
        outbox.retry(message=reload(message), by=clerk)

    assert reload(message).state == State.SENT
    assert not AuditEntry.objects.filter(action="salesdesk.outbox.retried").exists()


def test_manager_cannot_retry(login, manager, failed_message):
    assert login(manager).post(f"/outbox/{failed_message.pk}/retry/").status_code == 403
    assert reload(failed_message).state == State.FAILED


def test_cancelling_a_message_that_was_sent_meanwhile_is_refused(clerk):
    message, _ = queue_greeting()
    seen_by_clerk = reload(message)  # the clerk opened the outbox page while it was queued
    outbox.deliver(message.pk)  # a worker sends it

    with pytest.raises(DomainError):
        outbox.cancel(message=seen_by_clerk, by=clerk)

    assert reload(message).state == State.SENT
    assert not AuditEntry.objects.filter(action="salesdesk.outbox.cancelled").exists()


# The outbox page ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["clerk", "manager"])
def test_outbox_page_is_open_to_clerk_and_manager(people, login, role):
    queue_greeting()
    response = login(people[role]).get("/outbox/")
    assert response.status_code == 200
    assert "李强" in response.content.decode()


@pytest.mark.parametrize("role", ["member", "leader", "developer", "repair"])
def test_outbox_page_is_closed_to_others(people, login, role):
    assert login(people[role]).get("/outbox/").status_code == 403
