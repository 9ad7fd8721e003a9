"""Lists sort by their columns and page with numbers and a total; every record is reachable and a
deep page reads the same rows a plain OFFSET would (salesdesk.pagination, FilteredListView)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse

from customers.models import Customer
from salesdesk import pagination
from salesdesk.pagination import Window

NAMES = ["王秀英", "李强", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周杰"]


@pytest.fixture
def customers(make_customer):
    """45 customers: names repeat (ties to break), acreage varies."""
    return [
        make_customer(name=NAMES[n % len(NAMES)], acreage_mu=Decimal(10 + (n * 7) % 30))
        for n in range(45)
    ]


def window(queryset, **query):
    return Window(queryset, RequestFactory().get("/", query))


def test_every_page_holds_the_rows_a_plain_offset_reads_first_half_second_half_and_last(customers):
    rows = Customer.objects.order_by("-id")
    every = list(rows.values_list("pk", flat=True))
    seen = []
    for number in range(1, 4):
        page = window(rows, page=number)
        assert [c.pk for c in page] == every[(number - 1) * 20: number * 20]
        assert (page.total, page.exact, page.num_pages) == (45, True, 3)
        seen += [c.pk for c in page]
    assert seen == every  # every record reachable, none twice
    last = window(rows, page="last")
    assert [c.pk for c in last] == every[40:] and last.number == 3 and not last.has_next


def test_page_numbers_show_the_first_the_last_and_the_neighbours(customers):
    page = window(Customer.objects.all(), page=2, per_page=20)
    assert page.page_links == [1, 2, 3]
    assert (page.has_previous, page.has_next, page.start_index, page.end_index) == (True, True, 21, 40)


def test_a_page_past_the_end_is_404_after_only_the_count(customers, django_assert_num_queries):
    with django_assert_num_queries(1), pytest.raises(Http404):
        window(Customer.objects.all(), page=4)
    for bad in ("0", "-1", "x", "1.5"):
        with pytest.raises(Http404):
            window(Customer.objects.all(), page=bad)


def test_a_list_larger_than_the_exact_count_shows_an_estimate_on_postgresql(customers, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_UP_TO", 10)
    page = window(Customer.objects.all())
    if connection.vendor == "postgresql":
        assert page.exact is False and page.total >= 11
        last = window(Customer.objects.order_by("-id"), page="last")
        assert [c.pk for c in last] == list(Customer.objects.order_by("-id").values_list("pk", flat=True))[-20:]
    else:
        assert (page.exact, page.total) == (True, 45)


def test_an_unordered_queryset_gets_the_id_as_tie_break(customers):
    by_name = Customer.objects.order_by("name")
    names_then_ids = sorted(Customer.objects.values_list("name", "pk"))
    paged = [c.pk for number in (1, 2, 3) for c in window(by_name, page=number)]
    assert paged == [pk for _, pk in names_then_ids]


@pytest.mark.parametrize("sort", ["name", "-name", "acreage", "-acreage", "region"])
def test_the_customer_list_sorts_by_a_column_stably_across_pages(login, clerk, customers, sort):
    client = login(clerk)
    field = {"name": "name", "acreage": "acreage_mu", "region": "region_id"}[sort.lstrip("-")]
    descending = sort.startswith("-")
    expected = sorted(
        Customer.objects.values_list(field, "pk"), key=lambda row: (row[0], -row[1]), reverse=descending
    )
    shown = []
    for number in (1, 2, 3):
        response = client.get(reverse("customers:customer_list"), {"sort": sort, "page": number})
        assert response.status_code == 200
        shown += [c.pk for c in response.context["page"]]
    assert shown == [pk for _, pk in expected]


def test_a_sort_outside_the_allow_list_keeps_the_default_order(login, clerk, customers):
    response = login(clerk).get(reverse("customers:customer_list"), {"sort": "id_card"})
    assert response.status_code == 200
    assert [c.pk for c in response.context["page"]] == list(Customer.objects.order_by("-id").values_list("pk", flat=True)[:20])


def test_the_headings_link_to_their_sort_and_the_pager_shows_numbers_and_total(login, clerk, customers):
    page = login(clerk).get(reverse("customers:customer_list"), {"sort": "name", "region": ""}).content.decode()
    assert 'href="?sort=-name&amp;region="' in page  # a second click sorts the other way, filters kept
    assert 'aria-sort="ascending"' in page
    assert "共 45 条" in page
    assert '>2</a>' in page and '>3</a>' in page
