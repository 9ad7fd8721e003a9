"""Sessions and roles are true at once in every process (issue 10, findings 1 and 2).

Two real Django processes (`runserver --noreload` on two ports, one SQLite file, no Redis: each
process has its own in-memory cache, as under `bin/run`'s gunicorn workers) and a real HTTP client
with the session cookie."""

import pytest
from django.urls import reverse

from tests.servers import Browser, Server, manage

PASSWORD = "pw-sessions-7Qx"
CUSTOMERS = reverse("customers:customer_list")
LOGIN = reverse("login")

USERS = f"""
from django.contrib.auth import get_user_model
from salesdesk.services import roles_assign
for name in ("clerk", "clerk2"):
    user = get_user_model().objects.create_user(name, password={PASSWORD!r})
    roles_assign(user=user, roles=["clerk"], by=None)
"""


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("two-processes")
    manage(var_dir, "migrate", "--noinput", "-v0")
    manage(var_dir, "shell", "-c", USERS)
    servers = []
    try:
        servers = [Server(var_dir), Server(var_dir)]
        yield var_dir, servers
    finally:
        for server in servers:
            server.stop()


def with_cookie(session_key):
    return {"Cookie": f"sessionid={session_key}"}


def test_logout_in_one_process_ends_the_session_in_the_other(two_processes):
    _var_dir, (first, second) = two_processes
    browser = Browser()
    status, headers, _page = browser.log_in(first, "clerk", PASSWORD)
    assert status == 302 and headers["Location"] == reverse("dashboard")
    session = browser.cookie("sessionid")
    left_behind = Browser()  # the same cookie, copied before the logout (a shared computer, a stolen cookie)
    for server in (first, second):
        assert left_behind.request(server.url + CUSTOMERS, headers=with_cookie(session))[0] == 200

    status, headers, _page = browser.log_out(first)
    assert status == 302 and headers["Location"].startswith(LOGIN)

    for attempt in range(10):  # the finding: 21 of 30 requests still read the customers
        for server in (second, first):
            status, headers, _page = left_behind.request(server.url + CUSTOMERS, headers=with_cookie(session))
            assert status == 302, f"request {attempt} to {server.url} answered {status}"
            assert headers["Location"].startswith(LOGIN)


def test_a_role_removed_applies_on_the_next_request_in_every_process(two_processes):
    var_dir, (first, second) = two_processes
    browser = Browser()
    assert browser.log_in(first, "clerk2", PASSWORD)[0] == 302
    for server in (first, second):  # both processes have served the clerk: any cache of theirs is warm
        assert browser.request(server.url + CUSTOMERS)[0] == 200

    manage(var_dir, "shell", "-c", (  # a third process (the admin's, say) removes the role
        "from django.contrib.auth import get_user_model; from salesdesk.services import roles_assign; "
        "roles_assign(user=get_user_model().objects.get(username='clerk2'), roles=[], by=None)"
    ))
    for server in (second, first):
        assert browser.request(server.url + CUSTOMERS)[0] == 403

    fresh = Browser()  # the finding: a fresh login kept the old rights
    assert fresh.log_in(second, "clerk2", PASSWORD)[0] == 302
    assert fresh.request(second.url + CUSTOMERS)[0] == 403

    manage(var_dir, "shell", "-c", (
        "from django.contrib.auth import get_user_model; from salesdesk.services import roles_assign; "
        "roles_assign(user=get_user_model().objects.get(username='clerk2'), roles=['clerk'], by=None)"
    ))
    assert browser.request(second.url + CUSTOMERS)[0] == 200
