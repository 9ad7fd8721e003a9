"""Exactly once through a real Celery worker: duplicated tasks and a sweep never send twice.

On SQLite the broker is in memory; in CI's second run it is Redis (REDIS_URL)."""

import threading
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun

from salesdesk import outbox
from salesdesk.celery import app
from salesdesk.models import OutboxMessage
from salesdesk.tasks import outbox_deliver

SENT = []
LOCK = threading.Lock()
NO_MESSAGE = -1  # the id of no message: a deliver task for it finds nothing to do


class CountingBackend:
    def send(self, message):
        with LOCK:
            SENT.append(message.key)
        return f"counted-{message.pk}"


def wait_until(condition, limit=60.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def deliveries():
    """Every outbox_deliver task the worker has finished, as (message id, whether that run sent it)."""
    finished = []

    def record(sender=None, args=(), retval=None, **_):
        if sender is not None and sender.name == outbox_deliver.name:
            with LOCK:
                finished.append((args[0], retval))

    task_postrun.connect(record, weak=False)
    yield finished
    task_postrun.disconnect(record)


def runs_for(deliveries, messages):
    """The finished deliver tasks for `messages` (not for what an earlier run may have left on the broker)."""
    ids = {message.pk for message in messages}
    with LOCK:
        return [(message_id, sent) for message_id, sent in deliveries if message_id in ids]


def sent_by(runs):
    """The message ids the runs sent, one entry per send."""
    return sorted(message_id for message_id, sent in runs if sent is True)


@pytest.mark.django_db(transaction=True)
def test_duplicated_tasks_and_a_sweep_send_each_message_once(settings, deliveries):
    settings.SALESDESK_CHANNEL_BACKENDS = {"sms": "tests.salesdesk.test_outbox_worker.CountingBackend"}
    SENT.clear()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        messages = [
            outbox.enqueue(channel="sms", key=f"greeting:1390000{n:04d}:birthday:2026-11-23",
                           recipient=f"1390000{n:04d}", body="生日快乐")[0]
            for n in range(20)
        ]
        for message in messages:  # a retried producer and a duplicated broker message
            outbox_deliver.delay(message.pk)
            outbox_deliver.delay(message.pk)
        _released, swept = outbox.sweep(grace=timedelta(0))
        tasks = len(messages) * 3 + swept  # one from each enqueue, two duplicates each, one per swept row
        # every task queued has run (not: some time has passed), so each duplicate had its chance to send
        assert wait_until(lambda: len(runs_for(deliveries, messages)) >= tasks), (
            f"{len(runs_for(deliveries, messages))} of {tasks} deliver tasks ran"
        )
    runs = runs_for(deliveries, messages)
    assert len(runs) == tasks
    assert sent_by(runs) == sorted(m.pk for m in messages)  # each message sent by exactly one task
    assert sorted(SENT) == sorted(m.key for m in messages)
    assert len(SENT) == 20
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db(transaction=True)
def test_enqueueing_the_same_key_twice_keeps_one_row_and_sends_once(settings, deliveries):
    settings.SALESDESK_CHANNEL_BACKENDS = {"sms": "tests.salesdesk.test_outbox_worker.CountingBackend"}
    SENT.clear()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        first, created_first = outbox.enqueue(channel="sms", key="greeting:x", recipient="13900000001", body="节日快乐")
        again, created_again = outbox.enqueue(channel="sms", key="greeting:x", recipient="13900000001", body="节日快乐")
        # a task queued after both: the one worker takes its queue in order, so once this one has run,
        # any task the second enqueue queued has run too
        outbox_deliver.delay(NO_MESSAGE)
        assert wait_until(lambda: (NO_MESSAGE, False) in deliveries), "the worker did not reach the last task"
    assert (created_first, created_again, again.pk) == (True, False, first.pk)
    assert runs_for(deliveries, [first]) == [(first.pk, True)]  # one task only: the second enqueue queued none
    assert OutboxMessage.objects.get(pk=first.pk).state == OutboxMessage.State.SENT
    assert SENT == ["greeting:x"]
