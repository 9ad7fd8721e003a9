"""The outbox under the faults an operator meets: a worker killed mid-send, a provider slower than
the lease, the broker down, Redis down, a backlog under a sweep that runs every minute.

Real processes where the fault needs them (a Celery worker killed with SIGKILL, a Redis server
stopped and started, a real SMTP server: aiosmtpd on 127.0.0.1 on a free port). No wall-clock time
is asserted: every wait is a loop with a generous limit."""

import json
import os
import signal
import socket
import subprocess
import threading
import time
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from django.db import connection, connections
from django.utils import timezone
from kombu.exceptions import OperationalError

from salesdesk import outbox, tasks
from salesdesk.models import OutboxMessage
from tests.salesdesk import backends

State = OutboxMessage.State
ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
CELERY = str(ROOT / ".venv" / "bin" / "celery")
LIMIT = 90.0  # seconds any wait may take before the test gives up


def wait_until(condition, limit=LIMIT, step=0.05):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# A real SMTP server --------------------------------------------------------------------------


class Mailbox:
    """aiosmtpd handler: keeps every message it accepted; `delay` seconds before answering DATA."""

    def __init__(self, delay=0.0):
        self.delay = delay
        self.messages = []
        self.logins = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        with self.lock:
            self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 OK"

    def message_ids(self):
        with self.lock:
            return [message["Message-ID"] for message in self.messages]


def authenticate(mailbox):
    def check(server, session, envelope, mechanism, auth_data):
        mailbox.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"s3cret")

    return check


@pytest.fixture
def smtp_server():
    """Start aiosmtpd on a free port; yields a function (delay=…, auth=…) → (mailbox, port)."""
    controllers = []

    def start(delay=0.0, auth=False):
        mailbox = Mailbox(delay)
        port = free_port()
        extra = {"authenticator": authenticate(mailbox), "auth_require_tls": False} if auth else {}
        controller = Controller(mailbox, hostname="127.0.0.1", port=port, **extra)
        controller.start()
        controllers.append(controller)
        return mailbox, port

    yield start
    for controller in controllers:
        controller.stop()


def use_smtp(settings, port, timeout=10):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, timeout
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.SALESDESK_CHANNEL_BACKENDS = {"email": "salesdesk.channels.EmailBackend", "sms": "salesdesk.channels.LocalBackend"}


# Real processes on the test database ---------------------------------------------------------


def process_env(tmp_path, **extra):
    """The environment of a Salesdesk process (worker, script) that works on this test's database,
    with its own var/ folder (filesystem broker there unless REDIS_URL is given)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{db['NAME']}"
    else:
        url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "REDIS_URL", "PYTEST_CURRENT_TEST"}}
    env.update(DATABASE_URL=url, SALESDESK_VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="salesdesk.settings",
               PYTHONPATH=str(ROOT), LOG_LEVEL="INFO")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_script(code, env):
    """Run Python `code` in a fresh Salesdesk process; returns its stdout (fails the test on error)."""
    script = "import django; django.setup()\n" + code
    done = subprocess.run([PYTHON, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=LIMIT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def start_worker_process(env, log):
    """A real Celery worker (solo pool: its main process is the one that sends)."""
    return subprocess.Popen(
        [CELERY, "-A", "salesdesk", "worker", "--pool=solo", "--loglevel=INFO", "--without-heartbeat",
         "--without-mingle", "--without-gossip"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def row(pk):
    return OutboxMessage.objects.get(pk=pk)


ENQUEUE_EMAIL = """
from salesdesk import outbox
message, created = outbox.enqueue(channel="email", key={key!r}, recipient="dealer@example.com",
                                  subject="附件八 维修单", body="您好，附件八见附件。")
print(message.pk)
"""


# 1. A worker killed after the provider accepted, before the row was marked ---------------------


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_after_the_smtp_accept_sends_one_extra_copy_at_most_with_the_same_message_id(
    settings, smtp_server, tmp_path
):
    mailbox, port = smtp_server()
    accepted = tmp_path / "accepted"
    env = process_env(
        tmp_path, EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port, EMAIL_TIMEOUT=10, SALESDESK_TEST_ACCEPTED_FILE=accepted,
        SALESDESK_CHANNEL_BACKENDS=json.dumps({"email": "tests.salesdesk.backends.PausingEmailBackend"}),
    )
    key = "email:dealer-17:annex8:SH-202611-0001"
    with open(tmp_path / "worker.log", "w") as log:
        worker = start_worker_process(env, log)
        try:
            pk = int(run_script(ENQUEUE_EMAIL.format(key=key), env))  # the task goes to the worker's broker
            assert wait_until(accepted.exists), (tmp_path / "worker.log").read_text()[-3000:]
            os.kill(worker.pid, signal.SIGKILL)  # the worker dies between the server's 250 and our record
            worker.wait(timeout=LIMIT)
        finally:
            stop(worker)

    stuck = row(pk)
    assert (stuck.state, stuck.attempts) == (State.SENDING, 1)
    assert len(mailbox.messages) == 1

    # The sweep gives the row back once the lease is over; the next worker sends it again.
    use_smtp(settings, port)
    after_lease = timezone.now() + timedelta(seconds=outbox.lease_seconds() + 1)
    assert outbox.sweep(now=after_lease) == (1, 1)
    outbox.deliver(pk, now=after_lease)
    assert outbox.deliver(pk, now=after_lease) is False  # and no more

    message = row(pk)
    assert (message.state, message.attempts) == (State.SENT, 2)
    ids = mailbox.message_ids()
    assert len(ids) == 2  # one extra copy, no more
    assert ids[0] == ids[1] == outbox.message_id(key) == message.provider_ref  # recognisably the same message
    assert all(m["X-Salesdesk-Key"] == key for m in mailbox.messages)


# 2. The claim owns the result; a send slower than a short lease ------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_send_slower_than_a_short_lease_is_sent_once(settings, smtp_server):
    mailbox, port = smtp_server(delay=3)  # the server answers DATA after 3 s
    use_smtp(settings, port, timeout=20)
    settings.SALESDESK_OUTBOX_LEASE_SECONDS = 1  # shorter than the send: the claim still outlasts it
    message, _ = outbox.enqueue(channel="email", key="email:slow", recipient="dealer@example.com", body="您好")
    results = []

    def worker():
        try:
            results.append(outbox.deliver(message.pk))
        finally:
            connections.close_all()

    first = threading.Thread(target=worker)
    first.start()
    assert wait_until(lambda: row(message.pk).state == State.SENDING)
    while first.is_alive():  # meanwhile the sweep runs and a second worker tries, again and again
        outbox.sweep(grace=timedelta(0))
        results.append(outbox.deliver(message.pk))
        time.sleep(0.2)
    first.join()

    assert results.count(True) == 1
    assert len(mailbox.messages) == 1
    sent = row(message.pk)
    assert (sent.state, sent.attempts) == (State.SENT, 1)


def test_a_claims_lease_outlasts_the_provider_timeout(settings):
    settings.SALESDESK_OUTBOX_LEASE_SECONDS = 20
    settings.EMAIL_TIMEOUT, settings.SALESDESK_PROVIDER_TIMEOUT = 30, 15
    # the configured 20 is raised to twice the longest provider timeout plus the margin
    assert outbox.lease_seconds() == 2 * settings.EMAIL_TIMEOUT + 10
    settings.SALESDESK_OUTBOX_LEASE_SECONDS = 600
    assert outbox.lease_seconds() == 600  # a longer configured lease is kept


class OvertakenBackend:
    """Its claim passes on while it sends: the sweep gives the row to a second worker, which sends
    and records it; then this (first) send returns."""

    def send(self, message):
        later = timezone.now() + timedelta(hours=1)
        outbox.sweep(now=later)
        backends.sent.append(("overtaking", outbox.deliver(message.pk, now=later)))
        return "first-claimant"


@pytest.mark.django_db
def test_only_the_current_claimant_records_the_result(settings):
    backends.reset()
    settings.SALESDESK_CHANNEL_BACKENDS = {"sms": "tests.salesdesk.test_outbox_faults.OvertakenBackend"}
    message, _ = outbox.enqueue(channel="sms", key="sms:overtaken", recipient="13800000001", body="您好")
    first = {"done": False}

    class Second:
        def send(self, m):
            return "second-claimant"

    def backend_for(channel):
        if not first["done"]:
            first["done"] = True
            return OvertakenBackend()
        return Second()

    original = outbox.backend_for
    outbox.backend_for = backend_for
    try:
        assert outbox.deliver(message.pk) is False  # the first claimant's answer is not recorded
    finally:
        outbox.backend_for = original
    assert backends.sent == [("overtaking", True)]
    recorded = row(message.pk)
    assert (recorded.state, recorded.attempts, recorded.provider_ref) == (State.SENT, 2, "second-claimant")
    backends.reset()


@pytest.mark.django_db
def test_a_stale_failure_does_not_overwrite_a_later_send(settings):
    message, _ = outbox.enqueue(channel="sms", key="sms:late-failure", recipient="13800000002", body="您好")
    now = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk).update(state=State.SENDING, attempts=1, lease_until=now)
    zombie = row(message.pk)  # attempt 1, whose worker hung
    OutboxMessage.objects.filter(pk=message.pk).update(state=State.SENT, attempts=2, lease_until=None, sent_at=now)

    outbox._mark_failed(zombie, RuntimeError("timed out"), now)

    assert row(message.pk).state == State.SENT


# 3. The Message-ID and out-id come from the key ----------------------------------------------


def test_message_id_and_out_id_are_derived_from_the_key():
    key = "greeting:customer-7:birthday:2026-05-01"
    assert outbox.message_id(key) == outbox.message_id(key)
    assert outbox.out_id(key) == outbox.out_id(key) != outbox.out_id(key + "x")
    assert outbox.message_id(key).startswith("<") and outbox.out_id(key) in outbox.message_id(key)


# 4. Enqueue with the broker down --------------------------------------------------------------


@pytest.mark.django_db
def test_enqueue_with_the_broker_refusing_does_not_fail_and_the_sweep_delivers(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.SALESDESK_CHANNEL_BACKENDS = {"sms": "tests.salesdesk.backends.RecordingBackend"}
    backends.reset()

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.outbox_deliver, "apply_async", refuse)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # the commit dispatches: refused
        message, created = outbox.enqueue(channel="sms", key="sms:broker-down", recipient="13800000003", body="您好")
    assert len(callbacks) == 1  # it ran, and raised nothing
    assert created
    queued = row(message.pk)
    assert (queued.state, queued.enqueued_at) == (State.QUEUED, None)  # the next sweep will enqueue it

    monkeypatch.undo()
    dispatched = []
    monkeypatch.setattr(outbox, "_dispatch", lambda pk, countdown: dispatched.append(pk))
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.sweep(now=timezone.now() + timedelta(minutes=1)) == (0, 1)
    assert dispatched == [message.pk]
    backends.reset()


@pytest.mark.django_db(transaction=True)
def test_enqueue_with_redis_down_then_delivered_once_redis_is_back(tmp_path):
    """Real processes: a page's process enqueues while nothing listens on the broker's port; then a
    Redis server starts there, a worker starts, the sweep runs, and the message is sent."""
    port = free_port()
    env = process_env(tmp_path, REDIS_URL=f"redis://127.0.0.1:{port}/0")
    script = """
from salesdesk import outbox
message, created = outbox.enqueue(channel="sms", key="sms:redis-down", recipient="13800000004", body="您好")
print(message.pk, created)
"""
    pk, created = run_script(script, env).split()  # no exception reaches the caller
    pk = int(pk)
    assert created == "True"
    assert row(pk).state == State.QUEUED

    redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: _listening(port))
        with open(tmp_path / "worker.log", "w") as log:
            worker = start_worker_process(env, log)
            try:
                run_script("from datetime import timedelta\nfrom salesdesk import outbox\nprint(outbox.sweep(grace=timedelta(0)))", env)
                assert wait_until(lambda: row(pk).state == State.SENT), (tmp_path / "worker.log").read_text()[-3000:]
            finally:
                stop(worker)
    finally:
        redis.terminate()
        redis.wait(timeout=LIMIT)
    assert row(pk).attempts == 1


def _listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


# 5. Redis stopped: the web keeps working -----------------------------------------------------


@pytest.fixture
def redis_down(settings):
    """The cache points at a Redis that is not running (a free port nobody listens on)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "salesdesk.cache.FailSoftRedisCache", "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "KEY_PREFIX": "salesdesk", "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.mark.django_db
def test_with_redis_down_login_and_the_outbox_page_work(redis_down, client, clerk, manager):
    from tests.conftest import PASSWORD

    outbox.enqueue(channel="sms", key="sms:redis-page", recipient="13800000005", recipient_name="王芳", body="您好")
    response = client.post("/accounts/login/", {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get("/outbox/")
    assert page.status_code == 200
    assert "王芳" in page.content.decode()

    client.logout()
    assert client.post("/accounts/login/", {"username": "manager", "password": PASSWORD}).status_code == 302
    assert client.get("/audit/").status_code == 200  # the audit page's name map comes from the database
    assert client.get("/outbox/?channel=sms").status_code == 200


def test_the_cache_fails_soft(redis_down):
    from django.core.cache import cache

    assert cache.get("x") is None
    assert cache.get_or_set("x", lambda: [1, 2]) == [1, 2]
    cache.set("x", 1)
    cache.delete("x")
    assert cache.get_many(["x"]) == {}


# 6. The sweep does not flood -----------------------------------------------------------------


@pytest.fixture
def dispatched(monkeypatch):
    """Every deliver task the outbox hands to the broker (at commit), by message id."""
    handed = []
    monkeypatch.setattr(outbox, "_schedule", lambda pk, countdown=0: handed.append(pk))
    return handed


def backlog(count, enqueued_at):
    now = timezone.now()
    messages = [
        outbox.enqueue(channel="sms", key=f"greeting:backlog-{n}", recipient=f"1390000{n:04d}", body="生日快乐")[0]
        for n in range(count)
    ]
    OutboxMessage.objects.update(enqueued_at=enqueued_at, next_attempt_at=now - timedelta(minutes=2))
    return messages, now


@pytest.mark.django_db
def test_ten_sweeps_over_a_backlog_whose_tasks_wait_enqueue_nothing(dispatched):
    messages, now = backlog(30, enqueued_at=timezone.now())
    dispatched.clear()
    for minute in range(10):  # beat runs the sweep every minute while the worker is behind
        outbox.sweep(now=now + timedelta(minutes=minute))
    assert dispatched == []


@pytest.mark.django_db
def test_ten_sweeps_over_a_backlog_of_lost_tasks_enqueue_each_row_at_most_once(settings, dispatched):
    settings.SALESDESK_OUTBOX_SWEEP_BATCH = 12  # bounded work per run: 30 rows take three runs
    messages, now = backlog(30, enqueued_at=timezone.now() - timedelta(hours=1))
    dispatched.clear()
    per_run = [outbox.sweep(now=now + timedelta(minutes=minute))[1] for minute in range(10)]
    assert per_run == [12, 12, 6, 0, 0, 0, 0, 0, 0, 0]
    assert sorted(dispatched) == sorted(m.pk for m in messages)  # each row once


# 7. SMTP settings from the environment reach the backend -------------------------------------


@pytest.mark.django_db(transaction=True)
def test_smtp_settings_from_the_environment_reach_the_backend(smtp_server, tmp_path):
    mailbox, port = smtp_server(auth=True)
    env = process_env(
        tmp_path, EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port, EMAIL_HOST_USER="salesdesk", EMAIL_HOST_PASSWORD="s3cret", EMAIL_USE_TLS=0,
        EMAIL_USE_SSL=0, EMAIL_TIMEOUT=7, DEFAULT_FROM_EMAIL="service@longrui.example",
    )
    script = """
import json
from django.conf import settings
from django.core.mail import get_connection
from salesdesk import outbox
c = get_connection()
print(json.dumps([c.host, c.port, c.username, c.password, c.use_tls, c.use_ssl, c.timeout]))
message, _ = outbox.enqueue(channel="email", key="email:env", recipient="dealer@example.com", body="您好")
print(outbox.deliver(message.pk))
"""
    lines = run_script(script, env).split("\n")
    assert json.loads(lines[0]) == ["127.0.0.1", port, "salesdesk", "s3cret", False, False, 7]
    assert lines[1] == "True"
    assert mailbox.logins == [("salesdesk", "s3cret")]
    assert len(mailbox.messages) == 1
    assert mailbox.messages[0]["From"] == "service@longrui.example"
    assert mailbox.messages[0]["Message-ID"] == f"<outbox.{outbox.out_id('email:env')}@longrui.example>"
    assert OutboxMessage.objects.get(key="email:env").state == State.SENT

