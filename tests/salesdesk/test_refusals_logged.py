"""A refused request (403) is one line in var/log/security.log — who, what, where — and no
traceback on the terminal (issue 10, finding 9: `bin/run` printed 99 tracebacks in one walk)."""

import logging

import pytest
from django.urls import reverse

from tests.servers import Browser, Server, manage


@pytest.fixture
def security_lines(caplog):
    """The lines the security log gets, and every record django.request still lets through."""
    security, requests = logging.getLogger("salesdesk.security"), logging.getLogger("django.request")
    security.addHandler(caplog.handler)
    requests.addHandler(caplog.handler)
    caplog.set_level(logging.INFO)
    yield caplog
    security.removeHandler(caplog.handler)
    requests.removeHandler(caplog.handler)


@pytest.mark.django_db
def test_a_refusal_is_one_line_who_what_where(client, member, security_lines):
    client.force_login(member)
    url = reverse("customers:customer_list")
    assert client.get(url, {"q": "张"}).status_code == 403
    lines = [(r.name, r.getMessage(), r.exc_info) for r in security_lines.records]
    assert lines == [(
        "salesdesk.security",
        f"refused user=member({member.pk}) GET {url}?q=%E5%BC%A0 view=customers:customer_list action=archive.query from 127.0.0.1",
        None,
    )]


@pytest.mark.django_db
def test_a_refused_post_and_an_anonymous_refusal_are_logged_too(client, clerk, security_lines):
    client.force_login(clerk)
    assert client.post(reverse("lockout_list"), {"kind": "username", "value": "x"}).status_code == 403
    client.logout()
    [line] = [r.getMessage() for r in security_lines.records]
    assert line.startswith(f"refused user=clerk({clerk.pk}) POST /access/lockouts/ view=lockout_list action=access.unlock")


@pytest.mark.django_db
def test_other_errors_are_left_as_they_were(client, clerk, security_lines):
    client.force_login(clerk)
    assert client.get("/no-such-page/").status_code == 404
    assert {(r.name, r.levelname, r.getMessage()) for r in security_lines.records} == {
        ("django.request", "WARNING", "Not Found: /no-such-page/")
    }


USERS = """
from django.contrib.auth import get_user_model
from salesdesk.services import roles_assign
roles_assign(user=get_user_model().objects.create_user("member", password="pw-refusal-3Kd"), roles=["member"], by=None)
"""


def test_the_server_prints_no_traceback_for_a_refusal(tmp_path):
    manage(tmp_path, "migrate", "--noinput", "-v0")
    manage(tmp_path, "shell", "-c", USERS)
    server = Server(tmp_path)
    try:
        browser = Browser()
        assert browser.log_in(server, "member", "pw-refusal-3Kd")[0] == 302
        for name in ("customers:customer_list", "customers:dealer_list", "audit_list", "outbox_list"):
            assert browser.request(server.url + reverse(name))[0] == 403
    finally:
        server.stop()
    output = (tmp_path / f"runserver-{server.port}.log").read_text()
    assert "Traceback" not in output and "PermissionDenied" not in output
    log = (tmp_path / "log" / "security.log").read_text().splitlines()
    refusals = [line for line in log if " refused " in line]
    assert len(refusals) == 4
    assert all("user=member(" in line and "from 127.0.0.1" in line for line in refusals)
