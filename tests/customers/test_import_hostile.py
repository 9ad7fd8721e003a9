"""Hostile files and what Excel does to typed values.

Whatever is not a spreadsheet, or is one built to hurt the server, is refused as a whole with a
message the clerk can act on, and nothing in the archives changes. What Excel mangles (dates typed
as text, full-width digits, numbers that lost a leading zero, GBK text) is read back as the clerk
meant it; what cannot be recovered (an ID-card number turned into 4.1e17) is a row error that
names its column."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from salesdesk import import_jobs, spreadsheets
from salesdesk.imports import importer_for
from customers.models import Customer, Dealer, Purchase
from salesdesk.models import AuditEntry, ImportJob, Region
from salesdesk.spreadsheets import MAX_EMPTY_RUN, SpreadsheetError, read_table
from tests.customers import spreadsheet_files as files
from tests.customers.spreadsheet_files import csv_bytes, customer, customers, id_card, purchase, workbook
from tests.helpers import chinese

NOT_A_SPREADSHEET = "This file is not a spreadsheet (it is a binary file). Upload an .xlsx or .csv file."
OLD_EXCEL = "This is an old Excel 97–2003 file (.xls). Save it as .xlsx in Excel and upload that."
NOT_A_WORKBOOK = "This is a zip file, not an Excel workbook."
ENTITIES = "The workbook contains XML entities, which are not allowed. Nothing was imported."
MERGED_HEADER = "Column %(column)s of the header row is empty (merged header cells?). Give every column its own header."
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def archives():
    return {model.__name__: model.objects.count() for model in (Region, Dealer, Customer, Purchase)}


def refusal(by, content):
    """The message with which both the check and the import refuse `content`; nothing is written."""
    before = archives()
    messages = []
    for run in ("check", "apply"):
        with pytest.raises(SpreadsheetError) as refused:
            getattr(importer_for("customers", by=by), run)(io.BytesIO(content))
        messages.append(refused.value.message)
    assert archives() == before
    assert messages[0] == messages[1]
    return messages[0]


def imported(by, content, **options):
    report = importer_for("customers", by=by, **options).apply(io.BytesIO(content))
    assert report.error_lines() == []
    assert report.written
    return report


def good_workbook():
    return workbook([customer("赵大山", **purchase()), customer("钱二妹", phone="13812345679")])


# Not a spreadsheet -----------------------------------------------------------------------------


@pytest.mark.parametrize("content", [files.png(), files.random_bytes(), files.windows_program()],
                         ids=["a PNG picture", "random bytes", "a Windows program"])
def test_a_binary_file_is_not_a_spreadsheet(clerk, region, content):
    assert refusal(clerk, content) == NOT_A_SPREADSHEET


def test_a_zip_of_photos_is_not_a_workbook(clerk, region):
    assert refusal(clerk, files.plain_zip()) == NOT_A_WORKBOOK


def test_an_old_excel_file_is_refused_with_how_to_save_it_as_xlsx(clerk, region):
    assert refusal(clerk, files.old_excel()) == OLD_EXCEL


# Built to hurt the server ----------------------------------------------------------------------


def test_a_workbook_that_unpacks_to_far_more_than_it_weighs_is_a_zip_bomb(clerk, region):
    bomb = files.padded_sheet(good_workbook(), spaces=8 * MB)
    assert len(bomb) < 64 * 1024 and files.unpacked_size(bomb) // MB == 8

    assert refusal(clerk, bomb) == "The workbook unpacks to 8 MB; that is not a normal spreadsheet. Nothing was imported."


def test_a_zip_bomb_that_lies_about_its_unpacked_size_is_refused(clerk, region):
    bomb = files.padded_sheet(good_workbook(), spaces=4 * MB)
    liar = files.with_lying_size(bomb, files.SHEET, 3000)
    assert files.unpacked_size(liar) < 64 * 1024 < files.unpacked_size(bomb)

    assert refusal(clerk, liar) == "The file is damaged or is not an Excel workbook."


@pytest.mark.parametrize("part", [files.SHARED_STRINGS, files.SHEET])
def test_a_workbook_declaring_xml_entities_is_refused(clerk, region, part):
    bomb = files.with_entity_bomb(good_workbook(), part)
    assert "<!ENTITY lol3" in files.part(bomb, part)

    assert refusal(clerk, bomb) == ENTITIES


def test_a_workbook_cut_off_in_the_middle_is_refused_as_unreadable(clerk, region):
    broken = files.with_broken_xml_after(workbook(customers(3000)), row=2500)

    assert re.fullmatch(r"The workbook cannot be read \(\w+\)\.", refusal(clerk, broken))


def test_a_csv_with_an_unclosed_quote_is_refused_as_unreadable(clerk, region):
    content = csv_bytes([customer("赵大山")]) + b'"' + b"x" * 200_000

    assert refusal(clerk, content) == "The CSV file cannot be read (field larger than field limit (131072))."


def test_a_sheet_used_down_to_a_million_empty_rows_imports_only_the_real_rows(clerk, region):
    content = files.with_empty_rows(good_workbook(), 1_000_000)
    headers, rows = read_table(io.BytesIO(content))
    assert [number for number, _values in rows] == [2, 3]

    report = imported(clerk, content)

    assert report.counts == {"new": 2, "updated": 0, "unchanged": 0, "skipped": 0, "error": 0}
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["赵大山", "钱二妹"]


def test_a_csv_with_a_million_empty_lines_imports_only_the_real_rows(clerk, region):
    content = csv_bytes([customer("赵大山"), customer("钱二妹", phone="13812345679")]) + b",,,,,,,,,,,,,,,,\r\n" * 1_000_000

    report = imported(clerk, content)

    assert report.total == 2
    assert Customer.objects.count() == 2


def test_a_file_with_more_rows_than_allowed_is_refused(clerk, region, monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 5)

    assert refusal(clerk, workbook(customers(6))) == "The file has more than 5 rows. Split it into smaller files."


def test_rows_after_a_short_empty_run_are_still_read(clerk, region):
    rows = [customer("赵大山"), *[[None] * 17] * (MAX_EMPTY_RUN - 1), customer("钱二妹", phone="13812345679")]

    report = imported(clerk, workbook(rows))

    assert report.counts["new"] == 2
    assert Customer.objects.get(name="钱二妹").phone == "13812345679"


# Headers -------------------------------------------------------------------------------------------


def test_merged_header_cells_are_refused_with_a_message_about_the_header(clerk, region):
    content = workbook([customer("赵大山")], arrange=lambda sheet: sheet.merge_cells("A1:B1"))

    assert refusal(clerk, content) == MERGED_HEADER % {"column": 2}


def test_a_merged_title_row_above_the_header_is_passed_over_and_the_row_numbers_stay_excels(clerk, region):
    """Found (issue 9): "missing 姓名" on a sheet with a title row, though 姓名 is there one row down."""
    def title(sheet):
        sheet.insert_rows(1)
        sheet["A1"] = "2026年终端客户档案"
        sheet.merge_cells("A1:Q1")

    content = workbook([customer("赵大山"), customer("钱二妹", phone="无")], arrange=title)

    report = importer_for("customers", by=clerk).check(io.BytesIO(content))
    assert report.header_row == 2
    assert report.error_lines() == ["Row 4, column “电话”: “无” is not a phone number."]
    imported(clerk, workbook([customer("赵大山")], arrange=title))
    assert Customer.objects.get().name == "赵大山"


def test_a_sheet_without_any_known_header_names_the_missing_columns(clerk, region):
    content = workbook([["赵大山", "13812345678"]], headers=["甲", "乙"])

    assert refusal(clerk, content) == (
        "The file has no column “姓名”、“电话”、“区域编码”. Download the template to see the columns."
    )


def test_headers_with_a_required_star_and_full_width_brackets_are_found(clerk, region):
    headers = ["姓名*", "电话*", "区域编码*", "耕地面积（亩）"]

    imported(clerk, workbook([["赵大山", "13812345678", "HBBD", "95.5"]], headers=headers))

    assert Customer.objects.get().acreage_mu == Decimal("95.5")


# What Excel does to typed values ----------------------------------------------------------------


@pytest.mark.parametrize("typed", [
    "2026年3月5日", "2026/3/5", "20260305", "2026.3.5", "２０２６年３月５日", 20260305,
    datetime.date(2026, 3, 5), datetime.datetime(2026, 3, 5, 0, 0), 46086,  # a date cell, and its serial number
])
def test_a_purchase_date_typed_as_text_is_read_as_the_date(clerk, region, typed):
    imported(clerk, workbook([customer("赵大山", **purchase(date=typed))]))

    assert Purchase.objects.get().date == datetime.date(2026, 3, 5)


def test_a_date_that_does_not_exist_is_one_row_error_naming_its_column(clerk, region):
    report = importer_for("customers", by=clerk).check(io.BytesIO(workbook([customer("赵大山", **purchase(date="2026/2/30"))])))

    assert report.counts["error"] == 1
    assert report.error_lines() == [  # not also "A purchase needs this column."
        "Row 2, column “购买日期”: “2026/2/30” is not a date. Write it as 2026-03-05, 2026/3/5, 2026年3月5日 or 20260305."
    ]


def test_full_width_digits_are_read_as_plain_digits(clerk, region):
    row = customer("赵大山", phone="１３９１２３４５６７８", acreage="１２０．５", **purchase(quantity="２", unit_price="１２８０００"))

    imported(clerk, workbook([row]))

    farmer = Customer.objects.get()
    assert (farmer.phone, farmer.acreage_mu) == ("13912345678", Decimal("120.5"))
    bought = farmer.purchases.get()
    assert (bought.quantity, bought.unit_price, bought.amount) == (2, Decimal("128000.00"), Decimal("256000.00"))


def test_an_id_card_number_excel_turned_into_a_float_is_a_row_error_naming_the_column(clerk, region):
    content = workbook([customer("赵大山", id_card=4.10102199003071e17)])
    before = archives()

    report = importer_for("customers", by=clerk).apply(io.BytesIO(content))

    assert report.counts["error"] == 1 and not report.written
    assert report.error_lines() == [
        "Row 2, column “身份证号”: Excel stored this ID-card number as a number (4.10102e+17) and lost its last digits. "
        "Format the column as text, type the number again and upload the file."
    ]
    assert archives() == before


def test_an_id_card_number_typed_as_text_with_a_small_x_is_kept(clerk, region):
    number = id_card("13060219800101002")
    typed = number[:17] + number[17].lower()

    imported(clerk, workbook([customer("赵大山", id_card=typed)]))

    assert Customer.objects.get().id_card == number


def test_a_mobile_typed_as_11_digits_is_judged_as_normalize_phone_judges_it():
    """spreadsheets.phone checks an 11-digit mobile against libphonenumber's pattern instead of
    parsing it: every five-digit start of a mobile, with random further digits, gets the same
    answer (the number as stored, or the same error) as normalize_phone gives."""
    import random

    from salesdesk.phones import normalize_phone

    def verdict(clean, number):
        try:
            return clean(number)
        except ValueError as exc:
            return str(exc)

    rand = random.Random(9)
    numbers = [f"{start}{rand.randrange(10 ** 6):06d}" for start in range(10000, 20000)]
    assert [verdict(spreadsheets.phone, n) for n in numbers] == [verdict(normalize_phone, n) for n in numbers]


def test_a_landline_that_lost_its_leading_zero_gets_it_back(clerk, region):
    imported(clerk, workbook([customer("赵大山", phone=3123456789)]))

    assert Customer.objects.get().phone == "0312-3456789"


def test_a_mobile_number_stored_as_a_number_is_kept(clerk, region):
    imported(clerk, workbook([customer("赵大山", phone=13912345678)]))

    assert Customer.objects.get().phone == "13912345678"


def test_line_breaks_tabs_and_backslashes_in_a_cell_are_kept_in_the_record_and_its_trail(clerk, region):
    typed = "第一行\n第二行\n\t缩进 C:\\农机\\说明.txt \\N"  # Alt+Enter, Tab, a path, COPY's own NULL

    imported(clerk, workbook([customer("赵大山", machinery=typed, **purchase(model="4LZ-6\t谷物"))]))

    farmer = Customer.objects.get()
    assert (farmer.machinery, farmer.purchases.get().product_model) == (typed, "4LZ-6\t谷物")
    trail = AuditEntry.objects.get(action="customers.customer.created", object_id=str(farmer.pk))
    assert trail.changes["machinery"] == [None, typed]


# CSV from a Chinese Excel ---------------------------------------------------------------------------


@pytest.mark.parametrize("encoding, name", [
    ("gbk", "王喆"), ("gb18030", "刘䶮"), ("utf-8-sig", "赵大山"), ("utf-8", "钱二妹"),
])
def test_a_csv_saved_by_a_chinese_excel_keeps_its_chinese_text(clerk, region, encoding, name):
    content = csv_bytes([customer(name, address="保定市清苑区东闾乡北王庄村", **purchase(date="2026/3/5"))], encoding=encoding)

    imported(clerk, content)

    farmer = Customer.objects.get()
    assert (farmer.name, farmer.address, farmer.crops) == (name, "保定市清苑区东闾乡北王庄村", "小麦")
    assert farmer.purchases.get().product_model == "4LZ-6 谷物联合收割机"


def test_a_tab_separated_text_file_from_a_chinese_excel_is_read(clerk, region):
    text = "姓名\t电话\t区域编码\t地址\r\n赵大山\t13812345678\tHBBD\t保定市清苑区，东闾乡\r\n"

    imported(clerk, text.encode("gbk"))

    assert Customer.objects.values_list("name", "address").get() == ("赵大山", "保定市清苑区，东闾乡")


def test_a_utf16_text_file_is_refused_with_how_to_save_it(clerk, region):
    text = "姓名\t电话\t区域编码\r\n赵大山\t13812345678\tHBBD\r\n"

    assert refusal(clerk, text.encode("utf-16")) == "This CSV file is UTF-16; save it as “CSV UTF-8” or plain CSV."


def test_a_gbk_csv_is_not_mistaken_for_utf8(clerk, region):
    content = csv_bytes([customer("赵大山")], encoding="gbk")

    headers, rows = read_table(io.BytesIO(content))

    assert headers[:3] == ["姓名", "身份证号", "电话"]
    assert next(rows)[1][0] == "赵大山"


def test_a_formula_in_a_failed_row_comes_back_as_text_in_the_error_workbook(clerk, region):
    content = csv_bytes([customer("赵大山", phone="无", notes='=HYPERLINK("http://example.com/x","点我")', machinery="@SUM(1+1)")])
    report = importer_for("customers", by=clerk).check(io.BytesIO(content))

    rows = files.read_back(import_jobs.error_workbook(report))

    assert rows[1][1:10] == ["赵大山", None, "无", "保定市清苑区东闾乡", "HBBD", "小麦", "80", "'@SUM(1+1)",
                             '\'=HYPERLINK("http://example.com/x","点我")']


# Through the clerk's page: a failed job with the message, nothing written --------------------------


@pytest.mark.parametrize("name, content, message", [
    ("customers.xlsx", files.png(), NOT_A_SPREADSHEET),
    ("customers.xlsx", files.old_excel(), OLD_EXCEL),
    ("customers.csv", files.windows_program(), NOT_A_SPREADSHEET),
    ("customers.xlsx", files.plain_zip(), NOT_A_WORKBOOK),
    ("customers.xlsx", files.with_entity_bomb(good_workbook(), files.SHARED_STRINGS), ENTITIES),
    ("customers.xlsx", workbook([customer("赵大山")], arrange=lambda sheet: sheet.merge_cells("A1:B1")), MERGED_HEADER),
], ids=["png", "xls", "exe", "zip", "entities", "merged header"])
def test_a_hostile_upload_fails_its_job_with_the_message(login, clerk, region, name, content, message):
    before = archives()

    response = login(clerk).post(reverse("import_list"),
                                 {"kind": "customers", "file": files.upload(content, name), "duplicates": "skip"})

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("import_detail", args=[job.pk])
    params = {"column": 2} if "%(column)s" in message else {}
    assert (job.state, job.message) == (ImportJob.State.FAILED, chinese(message, **params))
    page = login(clerk).get(response.url)
    assert page.status_code == 200
    assert 'id="import-message"' in page.content.decode() and 'id="confirm-import"' not in page.content.decode()
    assert archives() == before


def test_a_zip_bomb_upload_fails_its_job_and_writes_nothing(login, clerk, region):
    bomb = files.padded_sheet(good_workbook(), spaces=8 * MB)
    before = archives()

    login(clerk).post(reverse("import_list"), {"kind": "customers", "file": files.upload(bomb), "duplicates": "skip"})

    job = ImportJob.objects.get()
    assert (job.state, job.message) == (
        ImportJob.State.FAILED,
        chinese("The workbook unpacks to %(size)d MB; that is not a normal spreadsheet. Nothing was imported.", size=8),
    )
    assert archives() == before


@pytest.mark.parametrize("name, content", [
    ("customers.csv", csv_bytes([customer("赵大山")]) + b'"' + b"x" * 200_000),
    ("customers.xlsx", files.with_lying_size(files.padded_sheet(good_workbook(), spaces=MB), files.SHEET, 3000)),
], ids=["unclosed quote", "lying zip"])
def test_an_upload_that_breaks_the_reader_fails_its_job_instead_of_a_server_error(login, clerk, region, name, content):
    response = login(clerk).post(reverse("import_list"),
                                 {"kind": "customers", "file": files.upload(content, name), "duplicates": "skip"})

    job = ImportJob.objects.get()
    assert (response.status_code, job.state) == (302, ImportJob.State.FAILED)
    assert job.message
    assert Customer.objects.count() == 0


def test_an_xls_file_is_refused_by_the_upload_form(login, clerk, region):
    response = login(clerk).post(reverse("import_list"),
                                 {"kind": "customers", "file": files.upload(files.old_excel(), "客户.xls"), "duplicates": "skip"})

    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [chinese("Upload an Excel workbook (.xlsx) or a CSV file (.csv).")]
    assert ImportJob.objects.count() == 0
