"""The admin walks past no audit trail (issue 10, finding 11): access requests, the outbox and
number series are read-only there; roles given on the admin's user form go through the service
that logs them."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from salesdesk import outbox
from salesdesk.models import AccessRequest, AuditEntry, NumberSeries, OutboxMessage, Role, StaffProfile
from salesdesk.services import access_request_create, staff_profile_ensure

User = get_user_model()


@pytest.fixture
def admin_client(client, db):
    root = User.objects.create_superuser("root", password="pw-root-admin")
    client.force_login(root)
    client.root = root
    return client


@pytest.fixture
def three(member):
    return {
        AccessRequest: access_request_create(by=member, scope="all", reason="查阅客户资料", days=3),
        OutboxMessage: outbox.enqueue(channel="sms", key="admin-1", recipient="13900000000", body="测试")[0],
        NumberSeries: NumberSeries.objects.create(key="dealer_resource:HB", last_value=7),
    }


def admin_url(model, view, *args):
    return reverse(f"admin:salesdesk_{model._meta.model_name}_{view}", args=args)


@pytest.mark.django_db
@pytest.mark.parametrize("model", [AccessRequest, OutboxMessage, NumberSeries], ids=lambda m: m.__name__)
def test_the_admin_shows_but_never_changes(admin_client, three, model):
    record = three[model]
    before = {f.name: getattr(record, f.name) for f in model._meta.concrete_fields}

    listing = admin_client.get(admin_url(model, "changelist"))
    assert listing.status_code == 200
    assert "delete_selected" not in listing.content.decode()
    page = admin_client.get(admin_url(model, "change", record.pk))
    assert page.status_code == 200  # shown read-only
    assert page.context["has_change_permission"] is False
    assert 'name="_save"' not in page.content.decode()

    assert admin_client.get(admin_url(model, "add")).status_code == 403
    assert admin_client.post(admin_url(model, "add"), {}).status_code == 403
    changed = {"status": "approved", "state": "sent", "last_value": "0", "reason": "x", "days": "30"}
    assert admin_client.post(admin_url(model, "change", record.pk), changed).status_code == 403
    assert admin_client.post(admin_url(model, "delete", record.pk), {"post": "yes"}).status_code == 403
    assert admin_client.post(
        admin_url(model, "changelist"), {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"}
    ).status_code in (200, 302)  # no such action: nothing happens

    record.refresh_from_db()
    assert {f.name: getattr(record, f.name) for f in model._meta.concrete_fields} == before


def user_form(user, page, **changes):
    """The POST of the admin's user change form as the page has it, with `changes`."""
    inline = page.context["inline_admin_formsets"][0].formset
    data = {
        "username": user.username, "first_name": user.first_name, "last_name": "", "email": "",
        "is_active": "on", "groups": [g.pk for g in user.groups.all()],
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"), "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "last_login_0": "", "last_login_1": "",
        f"{inline.prefix}-TOTAL_FORMS": "0", f"{inline.prefix}-INITIAL_FORMS": "0",
        f"{inline.prefix}-MIN_NUM_FORMS": "0", f"{inline.prefix}-MAX_NUM_FORMS": "1",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_roles_changed_on_the_admin_user_form_are_audited(admin_client, clerk):
    url = reverse("admin:auth_user_change", args=[clerk.pk])
    page = admin_client.get(url)
    manager = Group.objects.get(name=Role.MANAGER)
    answer = admin_client.post(url, user_form(clerk, page, groups=[manager.pk]))
    assert answer.status_code == 302, answer.context["adminform"].form.errors if answer.context else answer
    assert list(clerk.groups.values_list("name", flat=True)) == [Role.MANAGER]
    entry = AuditEntry.objects.get(action="salesdesk.user.roles_changed")
    assert entry.actor == admin_client.root and entry.object_id == str(clerk.pk)
    assert entry.changes == {"groups": [[Role.CLERK], [Role.MANAGER]]}

    admin_client.post(url, user_form(clerk, admin_client.get(url), groups=[manager.pk], first_name="孙丽"))
    assert AuditEntry.objects.filter(action="salesdesk.user.roles_changed").count() == 1  # no role changed: no entry


@pytest.mark.django_db
def test_a_staff_profile_added_on_the_admin_user_form_is_audited(admin_client, clerk):
    url = reverse("admin:auth_user_change", args=[clerk.pk])
    page = admin_client.get(url)
    prefix = page.context["inline_admin_formsets"][0].formset.prefix
    answer = admin_client.post(url, user_form(clerk, page, **{
        f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-0-name": "孙丽", f"{prefix}-0-title": "销售服务专员",
        f"{prefix}-0-mobile": "13903110009", f"{prefix}-0-user": str(clerk.pk),
    }))
    assert answer.status_code == 302
    profile = StaffProfile.objects.get(user=clerk)
    assert (profile.name, profile.title) == ("孙丽", "销售服务专员")
    assert AuditEntry.objects.filter(action="salesdesk.staff_profile.created", object_id=str(profile.pk)).exists()


@pytest.mark.django_db
def test_a_staff_profile_is_changed_on_the_staff_page_not_in_the_admin(admin_client, clerk):
    profile = staff_profile_ensure(user=clerk, name="孙丽")
    assert admin_client.post(
        reverse("admin:salesdesk_staffprofile_change", args=[profile.pk]), {"name": "别人"}
    ).status_code == 403
    profile.refresh_from_db()
    assert profile.name == "孙丽"
