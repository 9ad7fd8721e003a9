"""Duplicates decided in the open (issue 9, finding 4), row by row, in the preview and the report:
a row repeated in the file is counted once; one ID-card number with two names or phones, or one
phone with two names, is an error naming the rows; a customer on file gets the row's purchase
added, unless it is already on file; one customer per ID-card number, whatever the case of its X."""

import io

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from customers.models import Customer, Purchase
from salesdesk.imports import importer_for
from salesdesk.models import AuditEntry
from tests.customers.spreadsheet_files import customer, id_card, purchase, workbook
from tests.helpers import chinese

ZHAO_ID = id_card("13060219800101002")
QIAN_ID = id_card("13060219850202002")


def counts(**given):
    return {"new": 0, "updated": 0, "unchanged": 0, "skipped": 0, "error": 0, **given}


def check(by, rows, **options):
    with translation.override("en"):
        return importer_for("customers", by=by, **options).check(io.BytesIO(workbook(rows)))


def apply(by, rows, **options):
    with translation.override("en"):
        return importer_for("customers", by=by, **options).apply(io.BytesIO(workbook(rows)))


def results(report):
    """(row, status, summary) of the preview."""
    return [(row, status, summary) for row, status, summary, _errors in sorted(report.preview)]


@pytest.fixture
def zhao(make_customer):
    """赵大山 on file, with one purchase."""
    farmer = make_customer(name="赵大山", id_card=ZHAO_ID, phone="13812345678")
    Purchase.objects.create(customer=farmer, date="2026-03-05", product_model="4LZ-6 谷物联合收割机", quantity=1,
                            unit_price=128000, amount=128000, purchase_method="direct", payment_method="cash")
    return farmer


# Within the file ----------------------------------------------------------------------------------


def test_an_identical_row_repeated_in_the_file_is_counted_once(clerk, region):
    """Found: two identical rows stored the purchase twice."""
    row = customer("赵大山", id_card=ZHAO_ID, **purchase())

    report = apply(clerk, [row, customer("钱二妹", phone="13812345679"), row])

    assert report.counts == {**counts(new=2), "repeated": 1}
    assert results(report)[2] == (4, "repeated", "赵大山 · the same as row 2, counted once")
    assert (Customer.objects.count(), Purchase.objects.count()) == (2, 1)


def test_the_same_id_card_number_with_another_name_is_an_error_naming_both_rows(clerk, region):
    """Found: a row with the ID-card number of another row, but another name and phone, was merged
    into that customer with no notice."""
    rows = [customer("赵大山", id_card=ZHAO_ID, **purchase()), customer("钱二妹", phone="13812345679"),
            customer("钱二妹", id_card=ZHAO_ID, phone="13812345679", **purchase(model="2BMQ-4"))]

    report = apply(clerk, rows)

    assert (report.written, report.counts["error"]) == (False, 1)
    assert report.error_lines() == [
        "Row 4, column “身份证号”: Rows 2 and 4 have the same ID-card number with another name or phone. "
        "One ID-card number is one person: correct one of the two rows."
    ]
    assert Customer.objects.count() == 0


def test_the_same_id_card_number_with_another_phone_is_an_error_too(clerk, region):
    report = check(clerk, [customer("赵大山", id_card=ZHAO_ID), customer("赵大山", id_card=ZHAO_ID, phone="13912345670")])

    assert [line.split(":")[0] for line in report.error_lines()] == ["Row 3, column “身份证号”"]


def test_the_same_phone_with_another_name_and_no_id_card_number_is_an_error_naming_both_rows(clerk, region):
    report = check(clerk, [customer("赵大山"), customer("赵小山")])

    assert report.error_lines() == [
        "Row 3, column “电话”: Rows 2 and 3 have the same phone with another name and no ID-card number. "
        "Give each person's ID-card number, or correct the name."
    ]


def test_two_people_sharing_a_phone_each_with_an_id_card_number_are_two_customers(clerk, region):
    apply(clerk, [customer("赵大山", id_card=ZHAO_ID), customer("钱二妹", id_card=QIAN_ID)])  # one phone, 13812345678

    assert sorted(Customer.objects.values_list("name", "phone")) == [("赵大山", "13812345678"), ("钱二妹", "13812345678")]


def test_further_rows_of_a_new_customer_add_their_purchases_and_say_so(clerk, region):
    rows = [customer("李老栓", id_card=ZHAO_ID, **purchase(model="4LZ-6")),
            customer("李老栓", id_card=ZHAO_ID, **purchase(model="2BMQ-4")),
            customer("李老栓", phone="13812345678", address="别处", **purchase(model="4LZ-6"))]  # the first purchase again

    report = apply(clerk, rows)

    assert results(report) == [
        (2, "new", "李老栓"), (3, "added", "李老栓 · 2026-03-05 2BMQ-4, the customer of row 2"), (4, "unchanged", "李老栓"),
    ]
    assert sorted(Purchase.objects.values_list("product_model", flat=True)) == ["2BMQ-4", "4LZ-6"]


# With the customers on file ----------------------------------------------------------------------------


def test_a_customer_on_file_gets_the_rows_new_purchase_added(clerk, zhao):
    """Found: rows "skipped" lost their new purchase without a word."""
    report = apply(clerk, [customer("赵大山", id_card=ZHAO_ID, **purchase(model="2BMQ-4", date="2026-04-01"))])

    assert report.counts == {**counts(), "added": 1}
    assert results(report) == [(2, "added", "赵大山 · 2026-04-01 2BMQ-4")]
    assert sorted(zhao.purchases.values_list("product_model", flat=True)) == ["2BMQ-4", "4LZ-6 谷物联合收割机"]
    assert AuditEntry.objects.get(action="customers.import.customers").data["purchases"] == 1


def test_the_preview_names_a_purchase_added_to_a_customer_on_file_in_the_clerks_words(clerk, zhao):
    from salesdesk.templatetags.salesdesk import import_status_text

    with translation.override("zh-hans"):
        assert import_status_text("added", "customers") == "已有客户，追加购机记录"
        assert import_status_text("repeated", "customers") == chinese("Repeated in the file, counted once")


def test_a_purchase_already_on_file_leaves_the_row_unchanged(clerk, zhao):
    report = apply(clerk, [customer("赵大山", id_card=ZHAO_ID, **purchase())])

    assert report.counts == counts(unchanged=1)
    assert zhao.purchases.count() == 1


def test_an_update_changes_the_customers_details_and_adds_the_new_purchase(clerk, zhao):
    report = apply(clerk, [customer("赵大山", id_card=ZHAO_ID, address="保定市徐水区", **purchase(model="2BMQ-4")),
                           customer("赵大山", id_card=ZHAO_ID, address="保定市徐水区", **purchase())], duplicates="update")

    assert results(report)[0] == (2, "updated", "赵大山 · changed: address, crops, acreage (mu)")
    assert results(report)[1] == (3, "unchanged", "赵大山")  # its purchase is on file
    zhao.refresh_from_db()
    assert (zhao.address, sorted(zhao.purchases.values_list("product_model", flat=True))) == (
        "保定市徐水区", ["2BMQ-4", "4LZ-6 谷物联合收割机"])


def test_a_customer_on_file_without_a_purchase_in_the_row_is_skipped(clerk, zhao):
    report = apply(clerk, [customer("赵大山", id_card=ZHAO_ID, address="别处")])

    assert report.counts == counts(skipped=1)


def test_an_id_card_number_on_file_under_another_name_is_an_error_naming_the_customer(clerk, zhao):
    report = apply(clerk, [customer("钱二妹", id_card=ZHAO_ID, phone="13912345670", **purchase(model="2BMQ-4"))])

    assert (report.written, report.error_lines()) == (False, [
        "Row 2, column “姓名”: The customer on file with this ID-card number is called “赵大山”. Correct the name, "
        "or change it on the customer's page first."
    ])
    assert zhao.purchases.count() == 1


def test_a_phone_on_file_under_another_name_is_an_error_unless_the_row_has_its_own_id_card_number(clerk, zhao):
    refused = check(clerk, [customer("钱二妹", phone="13812345678")])
    apply(clerk, [customer("钱二妹", id_card=QIAN_ID, phone="13812345678")])

    assert refused.error_lines() == [
        "Row 2, column “姓名”: This phone is on file for the customer “赵大山”. Correct the name, or give this person's "
        "ID-card number."
    ]
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["赵大山", "钱二妹"]


# One customer per ID-card number, whatever the case of the X ---------------------------------------------


X_ID = id_card("11010519491231002")


def test_an_id_card_number_with_a_small_x_finds_the_customer_on_file_with_a_capital_one(clerk, make_customer):
    assert X_ID.endswith("X")
    farmer = make_customer(name="赵大山", id_card=X_ID, phone="13812345678")

    report = apply(clerk, [customer("赵大山", id_card=X_ID.lower(), phone="13912345670", **purchase())])

    assert report.counts == {**counts(), "added": 1}
    assert Customer.objects.get().pk == farmer.pk


def test_the_database_keeps_an_id_card_numbers_x_a_capital(region):
    Customer.objects.create(name="赵大山", id_card=X_ID, phone="13812345678", region=region)

    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(name="赵大山", id_card=X_ID.lower(), phone="13812345678", region=region)
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(name="赵大山", id_card=X_ID, phone="13812345678", region=region)


def test_a_further_row_written_batches_later_finds_its_new_customer(clerk, region, monkeypatch):
    import customers.imports

    monkeypatch.setattr(customers.imports, "BATCH", 2)  # a write every two records
    rows = [customer("李老栓", id_card=ZHAO_ID, **purchase(model="4LZ-6")),
            *[customer(f"农户{n}", phone=f"1391234560{n}", **purchase()) for n in range(6)],
            customer("李老栓", id_card=ZHAO_ID, **purchase(model="2BMQ-4"))]

    report = apply(clerk, rows)

    assert report.counts == {**counts(new=7), "added": 1}
    assert sorted(Customer.objects.get(name="李老栓").purchases.values_list("product_model", flat=True)) == ["2BMQ-4", "4LZ-6"]
    assert Purchase.objects.count() == 8
