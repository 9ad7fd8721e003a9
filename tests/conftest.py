"""Shared fixtures: the department's people, one per role, and archive records made through
the services (so every record is in the state the real flow leaves it)."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile

from customers import services as archive
from customers.models import Dealer
from salesdesk.models import Role
from salesdesk.services import region_create
from tests.helpers import grant

User = get_user_model()
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PASSWORD = "pw-salesdesk-test"
ROLE_OF = {
    "leader": Role.LEADERSHIP, "manager": Role.MANAGER, "clerk": Role.CLERK,
    "member": Role.MEMBER, "developer": Role.DEVELOPER, "repair": Role.REPAIR,
}


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Users are made with a fast password hasher: the default one takes most of a test's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploaded files of a test go to its own folder, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (in CI it is a Redis shared with other runs)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_user(db):
    def make(username, role=None, **fields):
        user = User.objects.create_user(username=username, password=PASSWORD, first_name=fields.pop("name", username), **fields)
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


def person(name):
    """The fixture `name`: the department's one person with that role, username `name`."""

    @pytest.fixture(name=name)
    def the_person(make_user):
        return make_user(name, ROLE_OF[name])

    return the_person


leader = person("leader")
manager = person("manager")
clerk = person("clerk")
member = person("member")
developer = person("developer")
repair = person("repair")


@pytest.fixture
def member_with_grant(make_user, manager):
    """A second member, whose request to query all the archives the manager has approved."""
    granted = make_user("member_with_grant", Role.MEMBER)
    grant(granted, manager)
    return granted


@pytest.fixture
def people(leader, manager, clerk, member, developer, repair):
    return {"leader": leader, "manager": manager, "clerk": clerk, "member": member, "developer": developer, "repair": repair}


@pytest.fixture
def region(clerk):
    province = region_create(by=clerk, data={"name": "河北省", "code": "HB"})
    return region_create(by=clerk, data={"name": "保定市", "code": "HBBD", "parent": province})


@pytest.fixture
def other_region(clerk):
    return region_create(by=clerk, data={"name": "山东省", "code": "SD"})


def intake_data(region, company="保定丰收农机销售有限公司", **extra):
    return {
        "company": company, "region": region, "contact": "王佳", "contact_phone": "13903120001",
        "address": "保定市莲池区东风路1号", "legal_rep": "张伟", "legal_rep_phone": "13903120002", **extra,
    }


@pytest.fixture
def make_dealer(developer, manager, clerk, region):
    """make_dealer(status) walks a new intake through the real services up to `status`."""
    counter = iter(range(1, 10_000))

    def make(status=Dealer.Status.DRAFT, *, in_region=None, grade="B", company=None):
        dealer = archive.dealer_intake_create(
            by=developer, data=intake_data(in_region or region, company or f"测试农机{next(counter)}号有限公司")
        )
        steps = [
            (Dealer.Status.SUBMITTED, lambda d: archive.dealer_intake_submit(dealer=d, by=developer)),
            (Dealer.Status.APPROVED, lambda d: archive.dealer_intake_approve(dealer=d, by=manager)),
            (Dealer.Status.FILED, lambda d: archive.dealer_file(dealer=d, by=clerk)),
            (Dealer.Status.AUTHORIZED, lambda d: archive.dealer_authorize(
                dealer=d, by=clerk, grade=grade, agreement=ContentFile(PDF, name="agreement.pdf"),
                agreement_signed_on=datetime.date(2026, 3, 1))),
        ]
        if status == Dealer.Status.RETURNED:
            dealer = archive.dealer_intake_submit(dealer=dealer, by=developer)
            return archive.dealer_intake_return(dealer=dealer, by=manager, reason="资料不全")
        for target, step in steps:
            if status == Dealer.Status.DRAFT:
                break
            dealer = step(dealer)
            if target == status:
                break
        return dealer

    return make


@pytest.fixture
def make_customer(clerk, region):
    counter = iter(range(1, 10_000))

    def make(*, in_region=None, id_card="", **extra):
        n = next(counter)
        data = {
            "name": f"客户{n}", "id_card": id_card, "phone": f"1380000{n:04d}", "address": "保定市清苑区",
            "region": in_region or region, "regional_lead": None, "developer": None, "salesperson": None,
            "crops": "小麦、玉米", "acreage_mu": Decimal("120.0"), "machinery": "", "notes": "", **extra,
        }
        return archive.customer_create(by=clerk, data=data)

    return make


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture(scope="module")
def module_department(django_db_setup, django_db_blocker):
    """A small synthetic department (bench_data), built once for a module and flushed after it.
    Tests using it must also use `db`: their own changes roll back, the department stays."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import cache
    from django.core.management import call_command

    def build(scale, seed=11):
        with django_db_blocker.unblock():
            call_command("bench_data", scale=scale, seed=seed, stdout=open("/dev/null", "w"))

    yield build
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)  # recreates the role groups (post_migrate)
    ContentType.objects.clear_cache()
    cache.clear()
