"""Everyone changes their own password from the user menu (issue 10, finding 7: the page was 404)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from salesdesk.models import AuditEntry
from tests.conftest import PASSWORD
from tests.helpers import chinese

CHANGE = reverse("password_change")
NEW = "Hetian-2026-xiangrikui"


def change(client, old=PASSWORD, new=NEW, again=None):
    return client.post(CHANGE, {"old_password": old, "new_password1": new, "new_password2": again or new})


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["leader", "manager", "clerk", "member", "developer", "repair"])
def test_every_role_finds_the_page_in_the_user_menu(client, people, role):
    client.force_login(people[role])
    menu = client.get(reverse("dashboard")).content.decode()
    assert f'href="{CHANGE}"' in menu and chinese("Change password") in menu
    page = client.get(CHANGE)
    assert page.status_code == 200
    assert chinese("Change password") in page.content.decode()


@pytest.mark.django_db
def test_the_clerk_changes_her_password_and_logs_in_with_the_new_one(client, clerk):
    client.force_login(clerk)
    done = change(client)
    assert done.status_code == 302 and done["Location"] == reverse("password_change_done")
    assert client.get(reverse("dashboard")).status_code == 200  # this session goes on
    assert chinese("Password changed") in client.get(done["Location"]).content.decode()
    entry = AuditEntry.objects.get(action="salesdesk.user.password_changed")
    assert entry.actor == clerk and entry.object_id == str(clerk.pk) and not entry.changes and not entry.data

    client.logout()
    assert client.post(reverse("login"), {"username": "clerk", "password": PASSWORD}).status_code == 200  # refused
    assert client.post(reverse("login"), {"username": "clerk", "password": NEW}).status_code == 302


@pytest.mark.django_db
def test_the_other_sessions_of_the_person_end(client, clerk):
    elsewhere = Client()
    elsewhere.force_login(clerk)
    client.force_login(clerk)
    assert change(client).status_code == 302
    assert elsewhere.get(reverse("dashboard")).status_code == 302  # sent to log in


@pytest.mark.django_db
@pytest.mark.parametrize("old, new, again, message", [
    ("wrong-old-password", NEW, NEW, "Your old password was entered incorrectly. Please enter it again."),
    (PASSWORD, NEW, NEW + "x", "The two password fields didn’t match."),
    (PASSWORD, "12345678", "12345678", "This password is entirely numeric."),
    (PASSWORD, "Ab3-x", "Ab3-x", None),  # too short: Django's message, translated in our catalogue
])
def test_a_refused_change_says_why_and_keeps_the_old_password(client, clerk, old, new, again, message):
    client.force_login(clerk)
    answer = change(client, old, new, again)
    assert answer.status_code == 200
    assert answer.context["form"].errors
    page = answer.content.decode().replace("&#x27;", "'")
    if message:
        assert chinese(message) in page
    else:
        assert "密码太短，至少要有 8 个字符。" in page
    assert get_user_model().objects.get(pk=clerk.pk).check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action="salesdesk.user.password_changed").exists()


@pytest.mark.django_db
def test_nobody_changes_a_password_without_logging_in(client):
    assert client.get(CHANGE)["Location"].startswith(reverse("login"))
