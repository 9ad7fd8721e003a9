"""bench_data builds a consistent department; bench runs end to end. Timings are never asserted."""

import io
import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from aftersales.models import Ticket
from customers.models import Birthday, Customer, Dealer, Purchase
from logistics.models import Shipment, ShipmentEvent
from salesdesk.models import Region
from salesdesk.numbering import next_number
from salesdesk.pii import validate_id_card
from salesdesk.search import search_text


@pytest.fixture(scope="module")
def built(module_department):
    module_department(0.002, seed=7)


@pytest.fixture
def department(built, db):
    """The tiny department, built once for the module; each test's own changes roll back."""


def test_tiny_department_has_the_scaled_counts(department):
    assert Region.objects.count() == 8
    assert Dealer.objects.count() == 12
    assert Customer.objects.count() == 1_000
    assert Purchase.objects.count() == 4_000
    assert Ticket.objects.count() == 200
    assert Shipment.objects.count() == 100
    assert ShipmentEvent.objects.filter(shipment__isnull=True).count() == 0
    assert Birthday.objects.filter(customer__isnull=False).count() == 1_000
    assert Birthday.objects.filter(dealer__isnull=False).count() == 3 * 12


def test_every_id_card_is_valid_and_unique(department):
    numbers = list(Customer.objects.values_list("id_card", flat=True))
    for number in numbers:
        validate_id_card(number)
    assert len(set(numbers)) == len(numbers)


def test_dealers_are_in_every_state_with_consistent_numbers(department):
    assert set(Dealer.objects.values_list("status", flat=True)) == set(Dealer.Status.values)
    for dealer in Dealer.objects.select_related("region"):
        if dealer.status in ("filed", "authorized"):
            assert re.fullmatch(rf"ZY-{dealer.region.code}-\d{{4}}", dealer.resource_number)
        if dealer.status == "authorized":
            assert re.fullmatch(rf"SQ-{dealer.grade}-{dealer.region.code}-\d{{4}}", dealer.card_number)
            assert dealer.reviewed_by_id is not None


def test_foreign_keys_point_at_real_rows(department):
    assert not Purchase.objects.exclude(customer__in=Customer.objects.all()).exists()
    assert not Purchase.objects.filter(purchase_method="dealer", dealer__isnull=True).exists()
    assert not Customer.objects.exclude(region__in=Region.objects.all()).exists()
    assert not Ticket.objects.filter(handled_by="dealer", dealer__isnull=True).exists()


def test_ticket_numbers_are_unique_and_monthly(department):
    numbers = list(Ticket.objects.values_list("number", "received_at"))
    assert len({n for n, _ in numbers}) == len(numbers)
    for number, received in numbers:
        assert number.startswith(f"SH-{timezone.localtime(received):%Y%m}-")


def test_the_numbering_service_continues_after_the_synthetic_numbers(department):
    filed = Dealer.objects.filter(status="filed").select_related("region").order_by("-resource_number").first()
    code = filed.region.code
    highest = max(int(n.rsplit("-", 1)[1]) for n in Dealer.objects.filter(region__code=code)
                  .exclude(resource_number=None).values_list("resource_number", flat=True))
    with transaction.atomic():
        assert next_number("dealer_resource", region=code) == f"ZY-{code}-{highest + 1:04d}"


def test_every_customer_and_dealer_is_searchable(department):
    for name, search in Customer.objects.values_list("name", "search"):
        assert search == search_text(name)
    for company, contact, legal_rep, principal, search in Dealer.objects.values_list(
            "company", "contact", "legal_rep", "principal", "search"):
        assert search == search_text(company, contact, legal_rep, principal)


def test_the_same_seed_builds_the_same_department(department):
    first = list(Customer.objects.order_by("pk").values_list("name", "id_card", "phone")[:50])
    call_command("bench_data", scale=0.002, reset=True, seed=7, stdout=io.StringIO())
    assert list(Customer.objects.order_by("pk").values_list("name", "id_card", "phone")[:50]) == first


def test_bench_data_refuses_to_mix_with_existing_data(department):
    with pytest.raises(CommandError, match="--reset"):
        call_command("bench_data", scale=0.002, stdout=io.StringIO())


def test_bench_quick_runs_end_to_end_and_writes_json(department, tmp_path):
    out = tmp_path / "bench.json"
    call_command("bench", quick=True, json_file=str(out), stdout=io.StringIO())
    report = json.loads(out.read_text())
    assert report["database"].split()[0] in ("sqlite", "postgresql")
    assert report["machine"]["cpus"] >= 1
    names = [item["name"] for item in report["items"]]
    assert names == [
        "dashboard", "dealer_list", "customer_list", "customer_list_region", "customer_search_phone",
        "customer_search_name", "customer_search_id", "customer_deep_page", "customer_detail",
        "customer_search_char", "customer_search_given", "customer_search_pinyin", "customer_search_initials",
        "customer_search_common", "customer_search_rare", "customer_search_tail", "customer_search_typed",
        "customer_search_id_tail", "customer_search_id_birth", "dealer_search_company", "dealer_search_initials",
        "dealer_search_tail", "dealer_search_number", "dealer_search_card", "quick_search", "quick_search_tail",
        "audit_first_page", "audit_one_day", "audit_action", "audit_action_rare", "audit_actor", "audit_actor_rare",
        "audit_record", "audit_record_part", "audit_deep_page", "import_customers_xlsx",
    ]
    for item in report["items"]:
        assert set(item) >= {"median_ms", "p95_ms", "queries", "baseline_ms", "ratio"}
        if item["kind"] != "job":
            assert 1 <= item["queries"] <= 12
    job = report["items"][-1]
    assert (job["rows"], job["kind"]) == (200, "job")
    assert job["rows_per_s"] > 0 and job["baseline_rows_per_s"] > 0 and job["peak_rss_mb"] > 0
    assert Customer.objects.count() == 1_000  # the job ran in a transaction that was rolled back
