"""Every number and text a form or an import takes is bounded by its column (salesdesk.bounds): a
purchase of 2147483647 × ¥9,999,999,999.99 is refused with a message and nothing is stored, on
SQLite and on PostgreSQL alike; a database error on save is a message, never a 500; and a record
stored out of bounds before these checks still shows, and can be removed."""

import datetime
import io
from decimal import Decimal, InvalidOperation

import pytest
from django.db import DataError, connection, transaction
from django.template import Context, Template
from django.utils import translation

from customers import services as archive
from customers.forms import PurchaseForm
from customers.models import Customer, Dealer, Purchase
from salesdesk import bounds
from salesdesk.errors import DomainError
from salesdesk.forms import CommentForm
from salesdesk.imports import importer_for
from salesdesk.models import AccessRequest, AuditEntry
from salesdesk.templatetags.salesdesk import yuan
from salesdesk.viewmixins import run_service
from tests.conftest import intake_data
from tests.customers.spreadsheet_files import DEALER_HEADERS, csv_bytes, customer, purchase
from tests.helpers import chinese, says, translated

TODAY = datetime.date(2026, 3, 5)
HUGE_QUANTITY = "2147483647"  # the largest PositiveIntegerField
HUGE_PRICE = "9999999999.99"  # the largest unit price the column holds


def purchase_post(**fields):
    return {"date": "2026-03-05", "product_model": "4LZ-6 谷物联合收割机", "quantity": "1", "unit_price": "128000",
            "amount": "", "purchase_method": "direct", "payment_method": "cash", "dealer": "", **fields}


def added(response):
    """The form's errors of a refused purchase, after checking nothing was stored."""
    assert response.status_code == 400
    assert not Purchase.objects.exists()
    assert not AuditEntry.objects.filter(action="customers.purchase.added").exists()
    return response.context["form"].errors


@pytest.fixture
def customer_on_file(make_customer):
    return make_customer(name="赵大山")


@pytest.fixture
def clerk_page(login, clerk):
    client = login(clerk)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    return client


# The purchase form -------------------------------------------------------------------------------


def test_the_overflowing_purchase_is_refused_with_a_message_and_nothing_is_stored(clerk_page, customer_on_file):
    response = clerk_page.post(f"/archives/customers/{customer_on_file.pk}/purchases/new/",
                               purchase_post(quantity=HUGE_QUANTITY, unit_price=HUGE_PRICE))

    errors = added(response)
    assert errors["quantity"] == [chinese("At most %(limit)s.", limit="100,000")]
    assert "不能超过 100,000" in response.content.decode()
    assert "unit_price" not in errors  # the largest price the column holds is a price


def test_a_quantity_and_price_whose_product_no_amount_can_hold_are_refused(clerk_page, customer_on_file):
    response = clerk_page.post(f"/archives/customers/{customer_on_file.pk}/purchases/new/",
                               purchase_post(quantity="100000", unit_price=HUGE_PRICE))

    errors = added(response)
    assert errors["amount"] == [chinese(
        "Quantity × unit price is %(amount)s, more than an amount can be (at most %(limit)s). "
        "Check the quantity and the unit price.", amount="¥999,999,999,999,000.00", limit="¥999,999,999,999.99",
    )]


@pytest.mark.parametrize("field, value, limit", [
    ("unit_price", "10000000000", "9,999,999,999.99"),
    ("unit_price", "99999999999999999999", "9,999,999,999.99"),
    ("amount", "1000000000000", "999,999,999,999.99"),
])
def test_a_price_or_amount_beyond_its_column_is_refused_in_one_message(clerk_page, customer_on_file, field, value, limit):
    response = clerk_page.post(f"/archives/customers/{customer_on_file.pk}/purchases/new/", purchase_post(**{field: value}))

    assert added(response)[field] == [chinese("At most %(limit)s.", limit=limit)]


def test_the_largest_values_the_columns_hold_are_accepted(clerk_page, customer_on_file):
    response = clerk_page.post(f"/archives/customers/{customer_on_file.pk}/purchases/new/",
                               purchase_post(quantity="99", unit_price=HUGE_PRICE, amount="999999999999.99"))

    assert response.status_code == 302
    stored = Purchase.objects.get()
    assert (stored.quantity, stored.unit_price, stored.amount) == (99, Decimal(HUGE_PRICE), Decimal("999999999999.99"))


def test_an_amount_left_empty_is_quantity_times_unit_price(clerk_page, customer_on_file):
    clerk_page.post(f"/archives/customers/{customer_on_file.pk}/purchases/new/",
                    purchase_post(quantity="100000", unit_price="9999999.99"))

    assert Purchase.objects.get().amount == Decimal("999999999000.00")


def test_a_purchase_dated_0001_01_01_is_refused(clerk_page, customer_on_file):
    response = clerk_page.post(f"/archives/customers/{customer_on_file.pk}/purchases/new/", purchase_post(date="0001-01-01"))

    assert "date" in added(response)


def test_the_quantity_box_says_its_largest_value(customer_on_file):
    assert 'max="100000"' in str(PurchaseForm()["quantity"])


# The service, whoever calls it -------------------------------------------------------------------


def purchase_data(**fields):
    return {"date": TODAY, "product_model": "LR-904", "quantity": 1, "unit_price": Decimal("1000"), "amount": None,
            "purchase_method": "direct", "payment_method": "cash", "dealer": None, **fields}


def test_the_service_refuses_the_overflowing_purchase_in_words(clerk, customer_on_file):
    with translation.override("zh-hans"), pytest.raises(DomainError) as refused:
        archive.purchase_add(customer=customer_on_file, by=clerk,
                             data=purchase_data(quantity=2147483647, unit_price=Decimal(HUGE_PRICE)))

    assert "999,999,999,999.99" in str(refused.value.message)
    assert not Purchase.objects.exists()


def test_the_service_refuses_a_quantity_beyond_the_bound_naming_the_field(clerk, customer_on_file):
    with translation.override("zh-hans"), pytest.raises(DomainError) as refused:
        archive.purchase_add(customer=customer_on_file, by=clerk, data=purchase_data(quantity=100_001, amount=Decimal("1")))

    assert refused.value.message == "数量: " + chinese("At most %(limit)s.", limit="100,000")
    assert not Purchase.objects.exists()


# A database error on save ------------------------------------------------------------------------


@pytest.mark.parametrize("error", [DataError("numeric field overflow"), InvalidOperation()])
def test_a_database_error_on_save_becomes_a_message(rf, clerk, error):
    request = rf.post("/")
    request.user = clerk
    form = CommentForm({"comment": ""})
    form.is_valid()

    def fails():
        raise error

    assert run_service(request, form, fails, "saved") is None
    assert form.non_field_errors() == [
        translated("A number, date or text is too large for the archive. Nothing was saved; check the values.")
    ]


def test_an_overflow_that_gets_past_the_checks_is_a_message_and_not_a_500(clerk_page, customer_on_file, monkeypatch):
    """A service that skipped every check: PostgreSQL refuses the value (numeric field overflow) and
    the clerk reads a message; SQLite keeps it, and the customer's page still shows it."""

    @transaction.atomic  # as every service
    def unchecked_add(*, customer, by, data):
        return Purchase.objects.create(customer=customer, **{**data, "amount": Decimal("1E+20")})

    monkeypatch.setattr(archive, "purchase_add", unchecked_add)

    response = clerk_page.post(f"/archives/customers/{customer_on_file.pk}/purchases/new/", purchase_post())

    if connection.vendor == "postgresql":
        assert response.status_code == 400
        assert not Purchase.objects.exists()
        assert says(response, "A number, date or text is too large for the archive. Nothing was saved; check the values.")
    else:
        assert response.status_code == 302
    assert clerk_page.get(f"/archives/customers/{customer_on_file.pk}/").status_code == 200


# A record stored out of bounds still shows ------------------------------------------------------


def store_out_of_bounds(customer, clerk):
    """A purchase as a typo left it before the bounds: on SQLite beyond the amount column's precision
    (SQLite keeps any number), on PostgreSQL as far as the columns go (numeric(14,2) holds no more)."""
    purchase = archive.purchase_add(customer=customer, by=clerk, data=purchase_data())
    huge_amount = Decimal("21474836469999999978.53") if connection.vendor == "sqlite" else Decimal("999999999999.99")
    Purchase.objects.filter(pk=purchase.pk).update(quantity=2147483647, unit_price=Decimal(HUGE_PRICE), amount=huge_amount)
    return purchase


def test_a_stored_out_of_bounds_purchase_still_shows_on_the_customers_page(clerk_page, clerk, customer_on_file):
    store_out_of_bounds(customer_on_file, clerk)

    page = clerk_page.get(f"/archives/customers/{customer_on_file.pk}/")

    assert page.status_code == 200
    content = page.content.decode()
    assert "¥9,999,999,999.99" in content
    assert ("¥21,474,836,470,000,000,000.00" if connection.vendor == "sqlite" else "¥999,999,999,999.99") in content
    assert "2147483647" in content


def test_a_stored_out_of_bounds_purchase_can_be_removed(clerk_page, clerk, customer_on_file):
    purchase = store_out_of_bounds(customer_on_file, clerk)

    response = clerk_page.post(f"/archives/purchases/{purchase.pk}/remove/")

    assert response.status_code == 302
    assert not Purchase.objects.exists()
    assert AuditEntry.objects.filter(action="customers.purchase.removed").exists()


def test_a_stored_out_of_bounds_purchase_reads_back_as_a_decimal(clerk, customer_on_file):
    purchase = store_out_of_bounds(customer_on_file, clerk)

    stored = Purchase.objects.get(pk=purchase.pk)

    assert stored.amount > Decimal("999999999999") and isinstance(stored.amount, Decimal)
    assert Purchase.objects.values_list("amount", flat=True).get() == stored.amount


@pytest.mark.parametrize("value, shown", [
    (Decimal("1234567.5"), "¥1,234,567.50"),
    (1000, "¥1,000.00"),
    (Decimal("21474836469999999978.53"), "¥21,474,836,469,999,999,978.53"),
    (Decimal("1E+40"), "¥" + "10,000,000,000,000,000,000,000,000,000,000,000,000,000.00"),
    (Decimal("NaN"), "NaN"),
    ("不是数字", "不是数字"),
    (None, "—"),
    ("", "—"),
])
def test_the_yuan_filter_shows_whatever_a_row_holds(value, shown):
    assert yuan(value) == shown
    assert Template("{% load salesdesk %}{{ value|yuan }}").render(Context({"value": value})) == shown


# Text --------------------------------------------------------------------------------------------


def test_an_access_request_reason_of_100000_characters_is_refused(login, member):
    response = login(member).post("/access/new/", {"scope": "all", "reason": "查" * 100_000, "days": "7"})

    assert response.status_code == 400
    assert "reason" in response.context["form"].errors
    assert not AccessRequest.objects.exists()


def test_an_access_request_reason_at_the_limit_is_accepted(login, member):
    response = login(member).post("/access/new/", {"scope": "all", "reason": "查" * bounds.TEXT_MAX_LENGTH, "days": "7"})

    assert response.status_code == 302
    assert AccessRequest.objects.get().reason == "查" * bounds.TEXT_MAX_LENGTH


def test_the_reason_box_says_its_limit(login, member):
    assert f'maxlength="{bounds.TEXT_MAX_LENGTH}"' in login(member).get("/access/new/").content.decode()


def test_customer_notes_longer_than_the_limit_are_refused(login, clerk, region):
    from tests.customers.test_archive_input import customer_post

    response = login(clerk).post("/archives/customers/new/", customer_post(region, notes="备" * (bounds.TEXT_MAX_LENGTH + 1)))

    assert response.status_code == 400
    assert "notes" in response.context["form"].errors
    assert not Customer.objects.exists()


def test_a_return_reason_longer_than_the_limit_is_refused(login, manager, make_dealer):
    dealer = make_dealer(Dealer.Status.SUBMITTED)

    response = login(manager).post(f"/archives/dealers/{dealer.pk}/return/", {"reason": "缺" * (bounds.TEXT_MAX_LENGTH + 1)})

    assert response.status_code == 400
    dealer.refresh_from_db()
    assert dealer.status == Dealer.Status.SUBMITTED


def test_a_manager_comment_longer_than_the_limit_is_refused(login, manager, make_dealer):
    dealer = make_dealer(Dealer.Status.SUBMITTED)

    response = login(manager).post(f"/archives/dealers/{dealer.pk}/approve/", {"comment": "好" * (bounds.TEXT_MAX_LENGTH + 1)})

    assert response.status_code == 400
    dealer.refresh_from_db()
    assert dealer.status == Dealer.Status.SUBMITTED


# Dates -------------------------------------------------------------------------------------------


def dealer_post(in_region, **fields):
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in intake_data(in_region).items()}
    return {**data, "legal_rep_birthday_calendar": "solar", "principal_birthday_calendar": "solar",
            "contact_birthday_calendar": "solar", **fields}


@pytest.mark.parametrize("opening_date", ["0001-01-01", "1899-12-31", "9999-12-31"])
def test_a_dealer_opening_date_out_of_range_is_refused(login, developer, region, opening_date):
    response = login(developer).post("/archives/dealers/new/", dealer_post(region, opening_date=opening_date))

    assert response.status_code == 400
    assert response.context["form"].errors["opening_date"] == [
        translation.gettext("Enter a date from %(earliest)s to %(latest)s.")
        % {"earliest": "1900-01-01", "latest": bounds.latest_date().isoformat()}
    ]
    assert not Dealer.objects.exists()


def test_a_dealer_opening_date_in_1900_is_accepted(login, developer, region):
    response = login(developer).post("/archives/dealers/new/", dealer_post(region, opening_date="1900-01-01"))

    assert response.status_code == 302
    assert Dealer.objects.get().opening_date == datetime.date(1900, 1, 1)


def test_the_latest_date_is_the_end_of_next_year():
    assert bounds.latest_date() == datetime.date(datetime.date.today().year + 1, 12, 31)


# Imports get the same bounds ---------------------------------------------------------------------


def check(by, content, kind="customers"):
    with translation.override("zh-hans"):
        return importer_for(kind, by=by).check(io.BytesIO(content))


def apply(by, content, kind="customers"):
    with translation.override("zh-hans"):
        return importer_for(kind, by=by).apply(io.BytesIO(content))


def errors_of(report):
    return [message for _row, _values, errors in report.failed for _column, message in errors]


def test_the_overflowing_purchase_in_an_import_is_a_row_error_and_nothing_is_written(clerk, region):
    content = csv_bytes([customer("赵大山", **purchase(quantity=HUGE_QUANTITY, unit_price=HUGE_PRICE))])

    report = apply(clerk, content)

    assert not report.written
    assert report.counts["error"] == 1
    assert chinese("At most %(limit)s.", limit="100,000") in errors_of(report)
    assert not Customer.objects.exists() and not Purchase.objects.exists()


def test_an_imported_quantity_and_price_whose_product_no_amount_holds_is_a_row_error(clerk, region):
    report = apply(clerk, csv_bytes([customer("赵大山", **purchase(quantity="100000", unit_price=HUGE_PRICE))]))

    assert not report.written
    assert any("999,999,999,999.99" in message for message in errors_of(report))
    assert not Purchase.objects.exists()


@pytest.mark.parametrize("column, value", [("unit_price", "99999999999"), ("amount", "1000000000000"), ("acreage", "1000000000")])
def test_an_imported_number_beyond_its_column_is_a_row_error(clerk, region, column, value):
    report = check(clerk, csv_bytes([customer("赵大山", **{**purchase(), column: value})]))

    assert report.counts["error"] == 1
    assert any(message.startswith("不能超过") for message in errors_of(report))


def test_an_imported_purchase_dated_0001_01_01_is_a_row_error(clerk, region):
    report = check(clerk, csv_bytes([customer("赵大山", **purchase(date="0001-01-01"))]))

    assert report.counts["error"] == 1


def test_imported_notes_longer_than_the_limit_are_a_row_error(clerk, region):
    report = check(clerk, csv_bytes([customer("赵大山", notes="备" * (bounds.TEXT_MAX_LENGTH + 1))]))

    assert report.counts["error"] == 1


def test_an_imported_dealer_opening_date_of_0001_01_01_is_a_row_error(clerk, region):
    headers = [*DEALER_HEADERS, "开业日期"]
    row = ["保定丰收农机销售有限公司", "HBBD", "王佳", "13903120001", "保定市莲池区东风路1号", "", "0001-01-01"]

    report = apply(clerk, csv_bytes([row], headers), kind="dealers")

    assert not report.written
    assert report.counts["error"] == 1
    assert not Dealer.objects.exists()


def test_an_import_within_the_bounds_is_written(clerk, region):
    report = apply(clerk, csv_bytes([customer("赵大山", notes="备" * bounds.TEXT_MAX_LENGTH,
                                              **purchase(quantity="100000", unit_price="9999999.99"))]))

    assert report.written
    assert Purchase.objects.get().amount == Decimal("999999999000.00")
