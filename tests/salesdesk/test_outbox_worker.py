"""Exactly once through a real Celery worker: duplicated tasks and a sweep never send twice.

On SQLite the broker is in memory; in CI's second run it is Redis (REDIS_URL)."""

import threading
import time

import pytest
from celery.contrib.testing.worker import start_worker

from salesdesk import outbox
from salesdesk.celery import app
from salesdesk.models import OutboxMessage
from salesdesk.tasks import outbox_deliver

SENT = []
LOCK = threading.Lock()


class CountingBackend:
    def send(self, message):
        with LOCK:
            SENT.append(message.key)
        return f"counted-{message.pk}"


def wait_until(condition, limit=30.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
def test_duplicated_tasks_and_a_sweep_send_each_message_once(settings):
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
        outbox.sweep(grace=__import__("datetime").timedelta(0))
        assert wait_until(lambda: OutboxMessage.objects.filter(state=OutboxMessage.State.SENT).count() == 20)
        time.sleep(0.5)  # let any duplicate that is still queued run: it must find nothing to do
    assert sorted(SENT) == sorted(m.key for m in messages)
    assert len(SENT) == 20
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db(transaction=True)
def test_enqueueing_the_same_key_twice_keeps_one_row_and_sends_once(settings):
    settings.SALESDESK_CHANNEL_BACKENDS = {"sms": "tests.salesdesk.test_outbox_worker.CountingBackend"}
    SENT.clear()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        first, created_first = outbox.enqueue(channel="sms", key="greeting:x", recipient="13900000001", body="节日快乐")
        again, created_again = outbox.enqueue(channel="sms", key="greeting:x", recipient="13900000001", body="节日快乐")
        assert wait_until(lambda: OutboxMessage.objects.get(pk=first.pk).state == OutboxMessage.State.SENT)
        time.sleep(0.3)
    assert (created_first, created_again, again.pk) == (True, False, first.pk)
    assert SENT == ["greeting:x"]
