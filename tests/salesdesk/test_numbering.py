"""The numbering service: formats, gapless series, one number per caller under concurrency."""

import threading

import pytest
from django.db import connection, transaction

from salesdesk.errors import DomainError
from salesdesk.models import NumberSeries
from salesdesk.numbering import next_number, series_key


class Rollback(Exception):
    pass


def draw(kind, **parts):
    with transaction.atomic():
        return next_number(kind, **parts)


# Formats -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_dealer_resource_number_has_region_and_four_digits():
    assert draw("dealer_resource", region="HBBD") == "ZY-HBBD-0001"
    assert draw("dealer_resource", region="HBBD") == "ZY-HBBD-0002"


@pytest.mark.django_db
def test_authorized_dealer_number_has_grade_and_region():
    assert draw("authorized_dealer", grade="A", region="HBBD") == "SQ-A-HBBD-0001"


@pytest.mark.django_db
def test_ticket_number_has_the_month():
    assert draw("ticket", yyyymm="202611") == "SH-202611-0001"


@pytest.mark.django_db
def test_the_counter_grows_past_four_digits_without_wrapping():
    NumberSeries.objects.create(key=series_key("dealer_resource", region="HB"), last_value=9999)
    assert draw("dealer_resource", region="HB") == "ZY-HB-10000"


@pytest.mark.django_db
def test_format_comes_from_settings(settings):
    settings.SALESDESK_NUMBER_FORMATS = {**settings.SALESDESK_NUMBER_FORMATS, "dealer_resource": "R{region}/{seq:05d}"}
    assert draw("dealer_resource", region="SD") == "RSD/00001"


@pytest.mark.django_db
def test_a_format_missing_a_part_is_a_domain_error_and_draws_nothing():
    with pytest.raises(DomainError):
        draw("dealer_resource")  # no region
    assert NumberSeries.objects.filter(key="dealer_resource").count() == 0


@pytest.mark.django_db
def test_unknown_kind_is_refused():
    with pytest.raises(KeyError):
        draw("invoice", region="HB")


def test_series_key_names_kind_and_sorted_parts():
    assert series_key("authorized_dealer", region="HB", grade="A") == "authorized_dealer:grade=A:region=HB"


# Series are independent -----------------------------------------------------------------------


@pytest.mark.django_db
def test_series_are_independent():
    assert draw("dealer_resource", region="HBBD") == "ZY-HBBD-0001"
    assert draw("dealer_resource", region="HBBD") == "ZY-HBBD-0002"
    assert draw("dealer_resource", region="SD") == "ZY-SD-0001"
    assert draw("authorized_dealer", grade="A", region="HBBD") == "SQ-A-HBBD-0001"
    assert draw("authorized_dealer", grade="B", region="HBBD") == "SQ-B-HBBD-0001"
    assert draw("authorized_dealer", grade="A", region="HBBD") == "SQ-A-HBBD-0002"
    assert draw("ticket", yyyymm="202611") == "SH-202611-0001"
    assert draw("ticket", yyyymm="202612") == "SH-202612-0001"
    assert draw("dealer_resource", region="HBBD") == "ZY-HBBD-0003"
    assert NumberSeries.objects.count() == 6


# Gapless ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_number_drawn_in_a_rolled_back_transaction_is_given_back():
    assert draw("dealer_resource", region="HBBD") == "ZY-HBBD-0001"

    with pytest.raises(Rollback):
        with transaction.atomic():
            lost = next_number("dealer_resource", region="HBBD")
            raise Rollback

    assert lost == "ZY-HBBD-0002"
    assert draw("dealer_resource", region="HBBD") == "ZY-HBBD-0002"
    assert draw("dealer_resource", region="HBBD") == "ZY-HBBD-0003"


@pytest.mark.django_db
def test_the_first_number_of_a_new_series_is_given_back_too():
    with pytest.raises(Rollback):
        with transaction.atomic():
            assert next_number("dealer_resource", region="NEW") == "ZY-NEW-0001"
            raise Rollback

    assert not NumberSeries.objects.filter(key=series_key("dealer_resource", region="NEW")).exists()
    assert draw("dealer_resource", region="NEW") == "ZY-NEW-0001"


@pytest.mark.django_db
def test_numbers_drawn_in_one_transaction_follow_each_other():
    with transaction.atomic():
        numbers = [next_number("dealer_resource", region="HB") for _ in range(3)]
    assert numbers == ["ZY-HB-0001", "ZY-HB-0002", "ZY-HB-0003"]


@pytest.mark.django_db(transaction=True)
def test_next_number_outside_a_transaction_raises():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        next_number("dealer_resource", region="HBBD")
    assert NumberSeries.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_committed_numbers_survive_and_continue():
    with transaction.atomic():
        assert next_number("dealer_resource", region="HBBD") == "ZY-HBBD-0001"
    with transaction.atomic():
        assert next_number("dealer_resource", region="HBBD") == "ZY-HBBD-0002"
    assert NumberSeries.objects.get(key=series_key("dealer_resource", region="HBBD")).last_value == 2


# Concurrency (PostgreSQL) --------------------------------------------------------------------

THREADS, PER_THREAD = 8, 25


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_draws_give_every_number_exactly_once():
    if connection.vendor != "postgresql":
        pytest.skip("row locks under concurrency are tested on PostgreSQL")

    drawn, errors = [], []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker():
        try:
            start.wait()
            for _ in range(PER_THREAD):
                with transaction.atomic():
                    number = next_number("dealer_resource", region="CONC")
                with lock:
                    drawn.append(number)
        except Exception as exc:  # reported below; a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    total = THREADS * PER_THREAD
    assert len(drawn) == total
    assert len(set(drawn)) == total  # no duplicates
    assert set(drawn) == {f"ZY-CONC-{seq:04d}" for seq in range(1, total + 1)}  # no gaps
    assert NumberSeries.objects.get(key=series_key("dealer_resource", region="CONC")).last_value == total
