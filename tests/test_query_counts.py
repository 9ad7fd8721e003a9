"""The query count of every list page is constant (it does not grow with the page size) and at
most 12; detail pages have a fixed count whatever the record holds."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Customer, Dealer, Purchase
from salesdesk.models import AccessRequest, AuditEntry, OutboxMessage, Region, Role, StaffProfile

User = get_user_model()

# url name -> queries for the clerk (or the manager for the access list), at any page size.
# Every page reads three for who is asking (issue 10): the session, the user and the user's roles,
# from the database on every request — no longer the session and the roles from a per-process cache,
# which kept a logged-out session and a removed role alive (two more than before, on every page).
# Paging takes three of them (salesdesk.pagination): the capped count, the page's ids, its rows;
# a list of more than EXACT_UP_TO rows (15,000 customers here) one more, for its estimate.
WHO = 3  # session, user, roles
LISTS = {
    "customers:dealer_list": WHO + 3,
    "customers:customer_list": WHO + 4,
    "audit_list": WHO + 4,  # bench_data writes an audit trail (30,000 entries here): more than EXACT_UP_TO
    "outbox_list": WHO + 3,
    "staff_list": WHO + 4,
    "access_list": WHO + 3,
}
DETAILS = {
    "customers:dealer_detail": WHO + 4,
    "customers:dealer_card": WHO + 3,
    "customers:customer_detail": WHO + 4,
    "dashboard": WHO + 5,
    "customers:region_list": WHO + 2,
}


@pytest.fixture(scope="module")
def built(module_department, django_db_blocker):
    module_department(0.03)
    with django_db_blocker.unblock():
        extras()


def extras():
    clerk = User.objects.get(username="clerk")
    member = User.objects.get(username="member")
    AuditEntry.objects.bulk_create(AuditEntry(actor=clerk, action="customers.customer.updated", object_repr=f"客户{n}") for n in range(150))
    OutboxMessage.objects.bulk_create(
        OutboxMessage(key=f"k{n}", channel="sms", recipient=f"1390000{n:04d}", body="生日快乐", created_by=clerk) for n in range(150)
    )
    AccessRequest.objects.bulk_create(AccessRequest(requester=member, scope="all", reason="核对", days=3) for _ in range(150))
    users = User.objects.bulk_create(User(username=f"staff{n:03d}", first_name=f"职员{n}") for n in range(150))
    StaffProfile.objects.bulk_create(StaffProfile(user=user, name=user.first_name) for user in users)


@pytest.fixture
def department(built, db):
    for model in (Customer, Dealer):  # the content-type cache is warm in a running server
        ContentType.objects.get_for_model(model)
    return {"clerk": User.objects.get(username="clerk"), "manager": User.objects.get(username="manager")}


@pytest.mark.parametrize("name", LISTS)
def test_list_query_count_does_not_grow_with_page_size(client, department, django_assert_num_queries, name):
    client.force_login(department["manager"] if name in ("access_list", "audit_list") else department["clerk"])
    client.get(reverse(name))  # a running server has its caches warm (choice lists, content types)
    for size in ((20, 50) if name == "customers:dealer_list" else (20, 100)):
        with django_assert_num_queries(LISTS[name]):
            response = client.get(reverse(name), {"per_page": size})
        assert response.status_code == 200
        assert len(response.context["page"].object_list) == size


# A search by each kind of fragment costs no query more than the plain list (and one less when it
# finds under EXACT_UP_TO rows: no estimate); the quick search a fixed number, whatever it finds.
SEARCHES = {
    "customers:customer_list": ["秀", "秀英", "zs", "zhang", "8000", "+86 138-0013-8000", "0519x"],
    "customers:dealer_list": ["农机", "zy-", "SQ-A", "0001"],
    "staff_list": ["职员", "zy", "1390"],
}


@pytest.mark.parametrize("name", SEARCHES)
def test_a_search_costs_no_more_queries_than_the_plain_list(client, department, django_assert_max_num_queries, name):
    client.force_login(department["clerk"])
    client.get(reverse(name))
    with CaptureQueriesContext(connection) as plain:
        client.get(reverse(name), {"per_page": 100})
    for typed in SEARCHES[name]:
        for size in (20, 100):
            with django_assert_max_num_queries(len(plain.captured_queries)):
                response = client.get(reverse(name), {"q": typed, "per_page": size})
            assert response.status_code == 200


def test_the_quick_search_costs_the_same_queries_whatever_it_finds(client, department, django_assert_num_queries):
    client.force_login(department["clerk"])
    client.get(reverse("search"), {"q": "秀"})
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("search"), {"q": "秀"})
    assert sum(len(group["hits"]) for group in response.context["groups"]) >= 10
    with django_assert_num_queries(len(many.captured_queries)):
        response = client.get(reverse("search"), {"q": "找不到的名字"})
    assert not any(group["hits"] for group in response.context["groups"])


@pytest.mark.parametrize("name", DETAILS)
def test_detail_query_count_is_fixed(client, department, django_assert_num_queries, name):
    client.force_login(department["clerk"])
    if name == "customers:customer_detail":
        few = Customer.objects.filter(purchases__isnull=True).first() or Customer.objects.first()
        many = max(Customer.objects.all()[:200], key=lambda c: c.purchases.count())
        targets = [few, many]
        assert many.purchases.count() >= 3
    elif name in ("customers:dealer_detail", "customers:dealer_card"):
        targets = list(Dealer.objects.authorized()[:2])
    else:
        targets = [None]
    for target in targets:
        url = reverse(name, kwargs={"pk": target.pk}) if target else reverse(name)
        client.get(url)  # warm caches, as in a running server
        with django_assert_num_queries(DETAILS[name]):
            response = client.get(url)
        assert response.status_code == 200


def test_the_department_is_big_enough_to_tell(department):
    assert Customer.objects.count() == 15_000
    assert Purchase.objects.count() == 60_000
    assert Region.objects.count() >= 8
    assert Dealer.objects.count() == 60
    assert StaffProfile.objects.count() > 100
    assert Role.CLERK in set(department["clerk"].groups.values_list("name", flat=True))
