"""End to end in chromium: the clerk uploads a customers file with two bad rows, downloads the rows
with errors, fixes them in the workbook, uploads it again, confirms, and the customers are on file;
the clerk uploads their own sheet (a title row, 手机 and 区域), corrects one match of its columns,
sees the preview, confirms, and finds the new customer by the last 4 digits of the phone."""

import io

import openpyxl
import pytest
from playwright.sync_api import expect

from customers.models import Customer
from salesdesk.models import ImportJob
from tests.customers.spreadsheet_files import customer, id_card, purchase, workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LI_ID = id_card("13060219800101002")


def choose_file(page, content, name):
    page.set_input_files("#id_file", files=[{"name": name, "mimeType": XLSX, "buffer": content}])


def fixed(error_workbook):
    """The clerk's fixes in the downloaded workbook: the two wrong cells typed again, and the row-number
    and error columns removed so the columns are those of the template again."""
    book = openpyxl.load_workbook(io.BytesIO(error_workbook))
    sheet = book.worksheets[0]
    sheet.delete_cols(sheet.max_column)
    sheet.delete_cols(1)
    headers = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        name = row[headers.index("姓名")].value
        if name == "钱二妹":
            row[headers.index("电话")].value = "13812345679"
        if name == "李老栓":
            row[headers.index("身份证号")].value = LI_ID
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_clerk_fixes_the_rows_with_errors_and_imports_them(page, live_server, log_in, clerk, region):
    content = workbook([
        customer("赵大山", **purchase()),
        customer("钱二妹", phone="无", **purchase(model="2BMQ-4")),
        customer("李老栓", phone="13812345670", id_card=4.10102199003071e17),
    ])

    # The clerk uploads the file; the check finds two rows with errors and imports nothing.
    log_in(clerk)
    page.goto(f"{live_server.url}/imports/")
    page.select_option("#id_kind", "customers")
    choose_file(page, content, "客户档案.xlsx")
    page.click("main form button[type=submit]")
    expect(page.locator("#import-columns")).to_be_visible()  # the template's headers, all matched
    page.click("#check-columns")
    expect(page.locator("#error-count")).to_have_text("2")
    expect(page.locator("#confirm-import")).to_have_count(0)
    assert Customer.objects.count() == 0

    # They download the rows with errors: only those two rows, with what is wrong.
    with page.expect_download() as download:
        page.click("#download-errors")
    with open(download.value.path(), "rb") as errors:
        error_workbook = errors.read()
    rows = list(openpyxl.load_workbook(io.BytesIO(error_workbook)).worksheets[0].iter_rows(values_only=True))
    assert [(row[0], row[1]) for row in rows[1:]] == [(3, "钱二妹"), (4, "李老栓")]
    assert download.value.suggested_filename == "客户档案-错误.xlsx"

    # They fix the two cells, upload the workbook, see no errors and confirm.
    page.goto(f"{live_server.url}/imports/")
    page.select_option("#id_kind", "customers")
    choose_file(page, fixed(error_workbook), "客户档案-已改.xlsx")
    page.click("main form button[type=submit]")
    page.click("#check-columns")
    expect(page.locator("#error-count")).to_have_text("0")
    page.click("main #confirm-import")
    expect(page.locator("#import-done")).to_be_visible()

    assert sorted(Customer.objects.values_list("name", "phone", "id_card")) == [
        ("李老栓", "13812345670", LI_ID), ("钱二妹", "13812345679", ""),
    ]
    assert Customer.objects.get(name="钱二妹").purchases.get().product_model == "2BMQ-4"
    # The first upload wrote nothing (赵大山's good row included): it stays checked, with its errors.
    assert list(ImportJob.objects.order_by("pk").values_list("state", flat=True)) == ["checked", "done"]


def clerks_sheet():
    """The clerk's own sheet: a title row, then 客户, 手机, 区域, 村组 (not a name the import knows),
    购买日期, 机型, 数量, 单价, and no purchase or payment method."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["清苑区 2026 年春季购机客户"])
    sheet.merge_cells("A1:H1")
    sheet.append(["客户", "手机", "区域", "村组", "购买日期", "机型", "数量", "单价"])
    sheet.append(["孙秀英", "+86 139 3120 7788", "保定市", "东闾乡北王庄村三组", "2026-03-05", "4LZ-6 谷物联合收割机", 1, 128000])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_clerk_imports_their_own_sheet_correcting_one_column_and_finds_the_customer_by_the_phones_last_digits(
    page, live_server, log_in, clerk, region,
):
    log_in(clerk)
    page.goto(f"{live_server.url}/imports/")
    page.select_option("#id_kind", "customers")
    expect(page.locator("#defaults-customers")).to_be_visible()
    expect(page.locator("#defaults-staff")).to_have_count(0)  # the staff import offers no defaults
    page.select_option("#id_default_customers_purchase_method", "direct")
    page.select_option("#id_default_customers_payment_method", "cash")
    choose_file(page, clerks_sheet(), "春季购机客户.xlsx")
    page.click("main form button[type=submit]")

    # The mapping step: the headers found on row 2, 手机 and 区域 matched by their usual names, 村组 not.
    expect(page.locator("#import-columns")).to_contain_text("表头在第2行")
    expect(page.locator("#id_column_1")).to_have_value("phone")
    expect(page.locator("#id_column_2")).to_have_value("region")
    expect(page.locator("#id_column_3")).to_have_value("")
    expect(page.locator("#id_default_purchase_method")).to_have_value("direct")
    page.select_option("#id_column_3", "address")  # the clerk's one correction
    page.click("#check-columns")

    # The preview: one new customer, no errors; the clerk confirms.
    expect(page.locator("#error-count")).to_have_text("0")
    expect(page.locator("#import-matched")).to_contain_text("村组 → 地址")
    expect(page.locator("#import-status table")).to_contain_text("孙秀英")
    page.click("main #confirm-import")
    expect(page.locator("#import-done")).to_be_visible()

    farmer = Customer.objects.get()
    assert (farmer.name, farmer.phone, farmer.address, farmer.region) == ("孙秀英", "13931207788", "东闾乡北王庄村三组", region)
    assert farmer.purchases.get().purchase_method == "direct"

    # The customer list finds her by the last 4 digits of her phone (尾号).
    page.goto(f"{live_server.url}/archives/customers/")
    page.fill("main input[name=q]", "7788")
    page.press("main input[name=q]", "Enter")
    expect(page.locator("main table tbody")).to_contain_text("孙秀英")
