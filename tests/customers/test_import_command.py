"""`manage.py import_archive`: the clerk's import from the command line, with the same checks and
the same all-or-nothing write; a dry run writes nothing, a bad row exits 1 having written nothing."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from customers.models import Customer, Dealer, Purchase
from salesdesk.models import AuditEntry, Region
from tests.customers import spreadsheet_files as files
from tests.customers.spreadsheet_files import REGION_HEADERS, customer, purchase, workbook


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def archives():
    return {model.__name__: model.objects.count() for model in (Region, Dealer, Customer, Purchase, AuditEntry)}


@pytest.fixture
def spreadsheet(tmp_path):
    """spreadsheet(content, name) is the path of a file holding `content`."""
    def save(content, name="customers.xlsx"):
        path = tmp_path / name
        path.write_bytes(content)
        return str(path)

    return save


def import_archive(*args, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_archive", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def summary(verb, total, **counts):
    """The last line the command prints, whatever the time it took."""
    given = {"new": 0, "updated": 0, "unchanged": 0, "skipped": 0, "error": 0, **counts}
    listed = ", ".join(f"{name} {count}" for name, count in given.items())
    return re.compile(rf"{total} rows {re.escape(verb)} in \d+\.\d s: {listed}\n")


TWO_FARMERS = workbook([customer("赵大山", **purchase()), customer("钱二妹", phone="13812345679")])


def test_a_dry_run_checks_every_row_and_writes_nothing(region, spreadsheet):
    before = archives()

    out, err = import_archive("customers", spreadsheet(TWO_FARMERS), dry_run=True)

    assert summary("checked (dry run, nothing written)", 2, new=2).fullmatch(out)
    assert err == ""
    assert archives() == before


def test_a_good_file_is_imported_and_the_counts_printed(region, spreadsheet):
    out, err = import_archive("customers", spreadsheet(TWO_FARMERS))

    assert summary("imported", 2, new=2).fullmatch(out)
    assert sorted(Customer.objects.values_list("name", "phone")) == [("赵大山", "13812345678"), ("钱二妹", "13812345679")]
    assert Purchase.objects.get().customer.name == "赵大山"
    assert Customer.objects.filter(created_by=None).count() == 2  # no --user: the command did it


def test_a_file_with_a_bad_row_exits_1_and_writes_nothing(region, spreadsheet):
    content = workbook([customer("赵大山", **purchase()), customer("钱二妹", phone="无", **purchase(quantity=0))])
    before = archives()
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("import_archive", "customers", spreadsheet(content), stdout=out, stderr=err)

    assert exited.value.code == 1
    assert out.getvalue() == (
        "Row 3, column “电话”: “无” is not a phone number.\n"
        "Row 3, column “数量”: The quantity is at least 1.\n"
    )
    assert err.getvalue() == "1 of 2 rows failed; nothing was written. (new 1, updated 0, unchanged 0, skipped 0, error 1)\n"
    assert archives() == before


def test_a_customer_on_file_is_skipped_unless_update_is_given(clerk, region, spreadsheet, make_customer):
    farmer = make_customer(name="赵大山", phone="13812345678", address="保定市清苑区")
    path = spreadsheet(workbook([customer("赵大山", address="保定市徐水区")]))

    out, _err = import_archive("customers", path)
    farmer.refresh_from_db()
    assert summary("imported", 1, skipped=1).fullmatch(out)
    assert farmer.address == "保定市清苑区"

    out, _err = import_archive("customers", path, "--update", "--user", "clerk")
    farmer.refresh_from_db()
    assert summary("imported", 1, updated=1).fullmatch(out)
    assert (farmer.address, farmer.version) == ("保定市徐水区", 2)
    entry = AuditEntry.objects.get(action="customers.customer.updated")
    assert (entry.actor, entry.object_id, entry.changes["address"]) == (clerk, str(farmer.pk), ["保定市清苑区", "保定市徐水区"])


def test_a_csv_file_in_gbk_is_imported_by_the_command(region, spreadsheet):
    content = files.csv_bytes([customer("王喆", address="保定市清苑区东闾乡")], encoding="gbk")

    out, _err = import_archive("customers", spreadsheet(content, "客户.csv"))

    assert summary("imported", 1, new=1).fullmatch(out)
    assert Customer.objects.get().name == "王喆"


def test_a_file_that_is_not_a_spreadsheet_is_a_command_error(region, spreadsheet):
    before = archives()

    with pytest.raises(CommandError) as refused:
        import_archive("customers", spreadsheet(files.old_excel(), "客户.xls"))

    assert str(refused.value) == "This is an old Excel 97–2003 file (.xls). Save it as .xlsx in Excel and upload that."
    assert archives() == before


def test_a_missing_file_or_user_is_a_command_error(region, spreadsheet, tmp_path):
    with pytest.raises(CommandError) as no_file:
        import_archive("customers", str(tmp_path / "nowhere.xlsx"))
    with pytest.raises(CommandError) as no_user:
        import_archive("customers", spreadsheet(TWO_FARMERS), user="nobody")

    assert str(no_file.value) == f"No such file: {tmp_path / 'nowhere.xlsx'}"
    assert str(no_user.value) == "No user 'nobody'."
    assert Customer.objects.count() == 0


def test_regions_are_imported_in_the_clerks_name(clerk, region, spreadsheet):
    path = spreadsheet(workbook([["石家庄市", "HBSJZ", "HB", ""]], headers=REGION_HEADERS))

    out, _err = import_archive("regions", path, user="clerk")

    assert summary("imported", 1, new=1).fullmatch(out)
    shijiazhuang = Region.objects.get(code="HBSJZ")
    assert shijiazhuang.parent == region.parent
    assert AuditEntry.objects.get(action="salesdesk.region.created", object_id=str(shijiazhuang.pk)).actor == clerk


def test_regions_without_a_user_are_refused_with_a_clear_message_and_nothing_written(region, spreadsheet):
    from django.core.management.base import CommandError

    path = spreadsheet(workbook([["石家庄市", "HBSJZ", "HB", ""]], headers=REGION_HEADERS))

    with pytest.raises(CommandError, match="give --user"):
        import_archive("regions", path)
    assert not Region.objects.filter(code="HBSJZ").exists()


# Matching the columns -----------------------------------------------------------------------------

CLERK_HEADERS = ["姓名", "手机", "备用电话", "区域", "购买日期", "型号", "数量", "单价"]


def clerk_sheet():
    return workbook([["赵大山", "13800000000", "13812345678", "保定市", "2026-03-05", "4LZ-6", 1, 128000]], headers=CLERK_HEADERS)


def test_the_command_matches_a_clerks_headers_by_their_usual_names_and_takes_defaults(region, spreadsheet):
    out, _err = import_archive("customers", spreadsheet(clerk_sheet()), "--default", "purchase_method=公司直销",
                               "--default", "payment_method=cash")

    assert out.splitlines()[0] == (
        "Columns (headers on row 1): 姓名 → name, 手机 → phone, 备用电话 → (left out), 区域 → region, 购买日期 → date, "
        "型号 → product_model, 数量 → quantity, 单价 → unit_price"
    )
    assert summary("imported", 1, new=1).fullmatch(out.splitlines(keepends=True)[1])
    farmer = Customer.objects.get()
    assert (farmer.phone, farmer.region) == ("13800000000", region)
    assert farmer.purchases.values_list("purchase_method", "payment_method").get() == ("direct", "cash")


def test_map_matches_a_column_by_hand_and_an_empty_field_leaves_one_out(region, spreadsheet):
    out, _err = import_archive("customers", spreadsheet(clerk_sheet()), "--map", "手机=", "--map", "备用电话=phone",
                               "--map", "购买日期=", "--map", "型号=", "--map", "数量=", "--map", "单价=")

    assert out.startswith("Columns (headers on row 1): 姓名 → name, 手机 → (left out), 备用电话 → phone, 区域 → region, ")
    assert Customer.objects.get().phone == "13812345678"
    assert Purchase.objects.count() == 0


def test_map_to_a_field_the_kind_does_not_have_is_a_command_error(region, spreadsheet):
    with pytest.raises(CommandError) as refused:
        import_archive("customers", spreadsheet(clerk_sheet()), "--map", "手机=mobile")

    assert str(refused.value).startswith("customers has no field mobile; its fields: acreage_mu, address, amount, ")
    assert Customer.objects.count() == 0
