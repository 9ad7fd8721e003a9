"""End to end in chromium: the clerk uploads a customers file with two bad rows, downloads the rows
with errors, fixes them in the workbook, uploads it again, confirms, and the customers are on file."""

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
    expect(page.locator("#error-count")).to_have_text("0")
    page.click("main #confirm-import")
    expect(page.locator("#import-done")).to_be_visible()

    assert sorted(Customer.objects.values_list("name", "phone", "id_card")) == [
        ("李老栓", "13812345670", LI_ID), ("钱二妹", "13812345679", ""),
    ]
    assert Customer.objects.get(name="钱二妹").purchases.get().product_model == "2BMQ-4"
    # The first upload wrote nothing (赵大山's good row included): it stays checked, with its errors.
    assert list(ImportJob.objects.order_by("pk").values_list("state", flat=True)) == ["checked", "done"]
