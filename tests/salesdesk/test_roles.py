"""Roles are given through one service that logs them, and are read per request (issue 10,
findings 2 and 11)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from salesdesk.access import can, roles_of
from salesdesk.errors import DomainError
from salesdesk.models import AuditEntry, Role
from salesdesk.services import roles_assign

User = get_user_model()


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", password="pw-root-roles")


@pytest.mark.django_db
def test_the_change_is_logged_with_the_roles_before_and_after(clerk, root):
    roles_assign(user=clerk, roles=[Role.CLERK, Role.DEVELOPER], by=root)
    entry = AuditEntry.objects.get(action="salesdesk.user.roles_changed")
    assert (entry.actor, entry.object_id) == (root, str(clerk.pk))
    assert entry.changes == {"groups": [["clerk"], ["clerk", "developer"]]}


@pytest.mark.django_db
def test_giving_the_roles_someone_has_changes_and_logs_nothing(clerk, root):
    roles_assign(user=clerk, roles=[Role.CLERK], by=root)
    assert not AuditEntry.objects.filter(action="salesdesk.user.roles_changed").exists()


@pytest.mark.django_db
def test_only_an_administrator_gives_roles(clerk, manager):
    with pytest.raises(PermissionDenied):
        roles_assign(user=clerk, roles=[Role.MANAGER], by=manager)
    assert roles_of(User.objects.get(pk=clerk.pk)) == {Role.CLERK}


@pytest.mark.django_db
def test_an_unknown_role_is_refused(clerk, root):
    with pytest.raises(DomainError):
        roles_assign(user=clerk, roles=["boss"], by=root)
    assert roles_of(User.objects.get(pk=clerk.pk)) == {Role.CLERK}


@pytest.mark.django_db
def test_the_person_changed_in_this_request_has_the_new_roles_at_once(clerk, root):
    assert can(clerk, "archive.edit")  # the request's memo is filled
    roles_assign(user=clerk, roles=[], by=root)
    assert not can(clerk, "archive.edit")


@pytest.mark.django_db
def test_a_role_removed_applies_on_the_next_request(client, clerk, root):
    client.force_login(clerk)
    url = reverse("customers:customer_list")
    assert client.get(url).status_code == 200
    roles_assign(user=User.objects.get(pk=clerk.pk), roles=[], by=root)  # another process's user object
    assert client.get(url).status_code == 403
