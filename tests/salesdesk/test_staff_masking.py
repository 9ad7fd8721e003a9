"""Staff mobiles are personal data like customers' and dealers' numbers (DOMAIN §1, PIPL): masked on
the staff list for everyone, revealed in full only through the audited reveal, to a role that may;
the edit form's full number is logged; the export masks them unless the exporter may unmask.
Any personal number a model gains later goes the same way: the last test fails on one that does not."""

import csv
import io

import pytest
from django.apps import apps
from django.db import models

from salesdesk import access, registry
from salesdesk.models import AuditEntry, Role
from salesdesk.pii import SENSITIVE_FIELDS
from salesdesk.services import staff_profile_ensure
from tests.helpers import grant

MOBILE = "13811112222"
MASKED = "138****2222"


@pytest.fixture
def profile(make_user):
    return staff_profile_ensure(user=make_user("chen"), name="陈静", title="销售服务专员", mobile=MOBILE)


@pytest.fixture
def member_with_staff_grant(make_user, manager):
    """A member whose request to query the staff archive (that category only) was approved."""
    member = make_user("member_staff", Role.MEMBER)
    grant(member, manager, scope="category", category="staff")
    return member


def viewed(profile):
    return AuditEntry.objects.filter(action="salesdesk.pii.viewed", object_id=str(profile.pk), content_type__model="staffprofile")


# The list --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["leader", "manager", "clerk", "member_with_staff_grant"])
def test_the_staff_list_shows_mobiles_masked_to_every_role(request, login, profile, role):
    page = login(request.getfixturevalue(role)).get("/staff/")

    assert page.status_code == 200
    content = page.content.decode()
    assert "陈静" in content
    assert MOBILE not in content
    assert MASKED in content
    assert not viewed(profile).exists()  # a masked number is not a view of it


@pytest.mark.parametrize("role", ["leader", "manager", "clerk"])
def test_a_role_that_may_unmask_gets_the_reveal_button(request, login, profile, role):
    content = login(request.getfixturevalue(role)).get("/staff/").content.decode()

    assert f"/reveal/salesdesk.staffprofile/{profile.pk}/mobile/" in content


def test_a_member_with_a_staff_grant_gets_no_reveal_button(login, profile, member_with_staff_grant):
    content = login(member_with_staff_grant).get("/staff/").content.decode()

    assert "/reveal/" not in content
    assert MASKED in content


def test_a_search_by_the_mobile_finds_the_person_and_still_shows_it_masked(login, clerk, profile):
    content = login(clerk).get("/staff/", {"q": MOBILE}).content.decode()
    rows = content[content.index("<tbody"):content.index("</tbody>")]  # the search box holds what was typed

    assert "陈静" in rows
    assert MOBILE not in rows
    assert MASKED in rows


# The reveal ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["leader", "manager", "clerk"])
def test_revealing_a_staff_mobile_shows_it_and_is_logged(people, login, profile, role):
    response = login(people[role]).post(f"/reveal/salesdesk.staffprofile/{profile.pk}/mobile/")

    assert response.status_code == 200
    assert MOBILE in response.content.decode()
    entry = viewed(profile).get()
    assert entry.actor == people[role]
    assert entry.data == {"field": "mobile"}


def test_a_member_with_a_staff_grant_cannot_reveal_a_mobile(login, profile, member_with_staff_grant):
    response = login(member_with_staff_grant).post(f"/reveal/salesdesk.staffprofile/{profile.pk}/mobile/")

    assert response.status_code == 403
    assert MOBILE not in response.content.decode()
    assert not viewed(profile).exists()


@pytest.mark.parametrize("field", ["name", "qq", "email", "duties"])
def test_only_the_personal_numbers_of_a_staff_profile_are_revealed(login, clerk, profile, field):
    assert login(clerk).post(f"/reveal/salesdesk.staffprofile/{profile.pk}/{field}/").status_code == 404


# The edit form ---------------------------------------------------------------------------------


def test_opening_the_staff_edit_form_logs_the_full_mobile_it_shows(login, clerk, profile):
    page = login(clerk).get(f"/staff/{profile.pk}/edit/")

    assert page.status_code == 200
    assert MOBILE in page.content.decode()  # the clerk corrects the number, so the form holds it
    entry = viewed(profile).get()
    assert entry.actor == clerk
    assert entry.data == {"field": "mobile", "via": "salesdesk.staff_profile_edit"}


@pytest.mark.parametrize("role", ["leader", "manager", "member_with_staff_grant"])
def test_a_role_that_may_not_edit_staff_opens_no_form_and_sees_no_number(request, login, profile, role):
    page = login(request.getfixturevalue(role)).get(f"/staff/{profile.pk}/edit/")

    assert page.status_code == 403
    assert MOBILE not in page.content.decode()
    assert not viewed(profile).exists()


def test_the_audit_page_names_the_staff_edit_page_and_the_mobile(login, clerk, manager, profile):
    login(clerk).get(f"/staff/{profile.pk}/edit/")

    content = login(manager).get("/audit/", {"action": "salesdesk.pii.viewed"}).content.decode()

    assert "陈静" in content
    assert "salesdesk.staff_profile_edit" not in content  # the page by its name, not its route


# The export ------------------------------------------------------------------------------------


def exported_mobiles(client):
    response = client.get("/staff/export/", {"format": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content)[3:].decode("utf-8"))))
    return [row[3] for row in rows[1:]]


def test_an_exporter_who_may_unmask_exports_the_full_mobile_and_it_is_recorded(login, leader, profile):
    assert exported_mobiles(login(leader)) == [MOBILE]
    assert AuditEntry.objects.get(action="salesdesk.staff.exported").data["unmasked"] is True


def test_an_exporter_who_may_not_unmask_exports_the_mobile_masked(login, leader, profile, monkeypatch):
    monkeypatch.setitem(access.RULES, "pii.unmask", {Role.CLERK})  # a policy where leadership exports but does not unmask

    assert exported_mobiles(login(leader)) == [MASKED]
    assert AuditEntry.objects.get(action="salesdesk.staff.exported").data["unmasked"] is False


def test_a_member_with_a_staff_grant_cannot_export_staff(login, profile, member_with_staff_grant):
    assert login(member_with_staff_grant).get("/staff/export/", {"format": "csv"}).status_code == 403


# Any personal number that appears later --------------------------------------------------------

PERSONAL_NUMBER_WORDS = {"phone", "mobile", "tel", "fax"}


def personal_number_fields():
    """(model label, field name) of every text field named for a phone or an ID-card number."""
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.CharField) and (field.name == "id_card" or PERSONAL_NUMBER_WORDS & set(field.name.split("_"))):
                yield model._meta.label_lower, field.name


def test_every_personal_number_on_a_model_is_masked_and_revealable():
    """A phone, mobile or ID-card field on any model is listed as sensitive (so the pages, the reveal
    and the exports mask it); the model of an archive category that has one is registered revealable."""
    fields = list(personal_number_fields())
    missing = [f"{label}.{name}: not in salesdesk.pii.SENSITIVE_FIELDS" for label, name in fields if name not in SENSITIVE_FIELDS]
    missing += [
        f"{label}.{name}: its model is in an archive category but not registered revealable"
        for label, name in fields if registry.category_of(label) and not registry.is_revealable(label)
    ]
    assert ("salesdesk.staffprofile", "mobile") in fields
    assert not missing, "\n".join(missing)
