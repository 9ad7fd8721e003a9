"""Login throttling and lockout per user name and per address, and the manager's unlock (issue 10,
finding 5: 20 wrong passwords in 9 s, then the right one worked)."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from salesdesk.models import AuditEntry
from tests.conftest import PASSWORD
from tests.helpers import chinese

LOGIN = reverse("login")
LOCKOUTS = reverse("lockout_list")
NINE_O_FIVE = datetime.datetime(2026, 3, 5, 9, 5, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


def log_in(client, username, password, address="127.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, username, times, address="127.0.0.1"):
    return [log_in(client, username, "not-the-password", address).status_code for _ in range(times)]


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_user_out_and_say_until_when(client, clerk):
    with time_machine.travel(NINE_O_FIVE, tick=False):
        assert fail(client, "clerk", 4) == [200] * 4  # the login form again, with its error
        assert fail(client, "clerk", 1) == [429]  # the fifth locks
        refused = log_in(client, "clerk", PASSWORD)  # the right password, too late
    assert refused.status_code == 429
    page = refused.content.decode()
    assert chinese("Too many failed logins") in page
    assert chinese("Try again after %(time)s.", time="09:20") in page  # 15 minutes after the last failure
    assert chinese("If you need to log in sooner, ask the department manager to unlock it.") in page
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_lock_ends_by_itself_after_the_cool_off(client, clerk):
    with time_machine.travel(NINE_O_FIVE, tick=False):
        fail(client, "clerk", 5)
    with time_machine.travel(NINE_O_FIVE + datetime.timedelta(minutes=14), tick=False):
        assert log_in(client, "clerk", PASSWORD).status_code == 429  # a refused try does not push the time on
    with time_machine.travel(NINE_O_FIVE + datetime.timedelta(minutes=15, seconds=1), tick=False):
        assert log_in(client, "clerk", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_user_name_is_locked_from_every_address(client, clerk):
    fail(client, "clerk", 5, address="10.1.1.1")
    assert log_in(client, "clerk", PASSWORD, address="10.2.2.2").status_code == 429


SPRAY = [f"user{n}" for n in range(20)]  # one wrong password each for 20 user names: SALESDESK_ADDRESS_FAILURE_LIMIT


@pytest.mark.django_db
def test_an_address_that_tries_many_user_names_is_locked_for_all_of_them(client, clerk, leader):
    for username in SPRAY[:-1]:
        fail(client, username, 1, address="10.3.3.3")
    assert log_in(client, "leader", PASSWORD, address="10.3.3.3").status_code == 302  # 19: not yet
    client.logout()
    fail(client, SPRAY[-1], 1, address="10.3.3.3")
    assert log_in(client, "clerk", PASSWORD, address="10.3.3.3").status_code == 429
    assert log_in(client, "leader", PASSWORD, address="10.4.4.4").status_code == 302  # elsewhere, logins go on


@pytest.mark.django_db
def test_one_persons_typing_does_not_lock_out_the_office_behind_the_same_address(client, clerk, manager):
    fail(client, "clerk", 5, address="10.5.5.5")
    assert log_in(client, "clerk", PASSWORD, address="10.5.5.5").status_code == 429
    assert log_in(client, "manager", PASSWORD, address="10.5.5.5").status_code == 302  # who can unlock


@pytest.mark.django_db
def test_the_manager_unlocks_and_then_the_right_password_works(client, clerk, manager):
    fail(client, "clerk", 5)
    assert log_in(client, "clerk", PASSWORD).status_code == 429

    client.force_login(manager)
    page = client.get(LOCKOUTS)
    assert page.status_code == 200
    assert [(lock.kind, lock.value, lock.failures) for lock in page.context["lockouts"]] == [("username", "clerk", 5)]
    assert chinese("Unlock") in page.content.decode()
    done = client.post(LOCKOUTS, {"kind": "username", "value": "clerk"})
    assert done.status_code == 302
    assert client.get(LOCKOUTS).context["lockouts"] == []
    entry = AuditEntry.objects.get(action="salesdesk.login.unlocked")
    assert entry.actor == manager and entry.object_id == str(clerk.pk)
    assert entry.data == {"username": "clerk", "attempts": 1}
    client.logout()

    assert log_in(client, "clerk", PASSWORD).status_code == 302
    assert int(client.session["_auth_user_id"]) == clerk.pk


@pytest.mark.django_db
def test_the_manager_unlocks_an_address(client, manager, leader):
    for username in SPRAY:
        fail(client, username, 1, address="10.3.3.3")
    client.force_login(manager)
    assert [(lock.kind, lock.value) for lock in client.get(LOCKOUTS).context["lockouts"]] == [("ip_address", "10.3.3.3")]
    assert client.post(LOCKOUTS, {"kind": "ip_address", "value": "10.3.3.3"}).status_code == 302
    assert AuditEntry.objects.get(action="salesdesk.login.unlocked").data == {"ip_address": "10.3.3.3", "attempts": 20}
    client.logout()
    assert log_in(client, "leader", PASSWORD, address="10.3.3.3").status_code == 302


@pytest.mark.django_db
def test_unlocking_what_is_not_locked_says_so_and_changes_nothing(client, manager):
    client.force_login(manager)
    answer = client.post(LOCKOUTS, {"kind": "username", "value": "nobody"})
    assert answer.status_code == 400
    assert chinese("This login is not locked out (any more).") in answer.content.decode()
    assert client.post(LOCKOUTS, {"kind": "ip_address", "value": "not an address"}).status_code == 400
    assert not AuditEntry.objects.filter(action="salesdesk.login.unlocked").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["leader", "clerk", "member", "developer", "repair"])
def test_only_the_manager_unlocks(client, people, role):
    fail(client, "clerk", 5)
    client.force_login(people[role])
    assert client.post(LOCKOUTS, {"kind": "username", "value": "clerk"}).status_code == 403
    assert client.get(LOCKOUTS).status_code == 403
    client.logout()
    assert log_in(client, "clerk", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_behind_a_proxy_the_client_address_is_the_one_the_proxy_saw(client, clerk, settings):
    settings.PROXY_COUNT = 1
    for n, username in enumerate(SPRAY):  # a client's own claims (the left entries) count for nothing
        client.post(LOGIN, {"username": username, "password": "x"}, HTTP_X_FORWARDED_FOR=f"1.1.1.{n}, 10.9.9.9")
    answer = client.post(LOGIN, {"username": "clerk", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert answer.status_code == 429
    assert client.post(
        LOGIN, {"username": "clerk", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="10.8.8.8"
    ).status_code == 302
