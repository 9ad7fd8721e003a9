"""The download templates (issue 9, delivery 5): the Chinese headers, an example row (left out if
the clerk leaves it in), and a second sheet of the allowed values — regions with their codes,
purchase and payment methods, after-sales by — that the columns offer as Excel drop-downs. A
wrong value is an error that names the allowed ones."""

import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from customers.models import Customer, Purchase
from salesdesk.imports import importer_for
from salesdesk.models import Region
from tests.customers.spreadsheet_files import CUSTOMER_HEADERS, customer, purchase, workbook
from tests.helpers import chinese


def template(client, kind):
    response = client.get(reverse("import_template", args=[kind]))
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.content))


def drop_downs(sheet):
    """{column header: the formula of its list} of the sheet's data validations."""
    headers = [cell.value for cell in sheet[1]]
    found = {}
    for validation in sheet.data_validations.dataValidation:
        assert validation.type == "list"
        for cell_range in validation.sqref.ranges:
            assert (cell_range.min_row, cell_range.max_row) == (2, 2001)
            found[headers[cell_range.min_col - 1]] = validation.formula1
    return found


def test_the_customers_template_lists_the_allowed_values_on_a_second_sheet_with_drop_downs(login, clerk, region, other_region):
    book = template(login(clerk), "customers")

    main, allowed = book.worksheets
    assert allowed.title == chinese("Allowed values")
    columns = {cell.value: cell.column_letter for cell in allowed[1] if cell.value}
    values = {header: [row[0].value for row in allowed[f"{letter}2:{letter}{allowed.max_row}"] if row[0].value]
              for header, letter in columns.items()}
    assert values["区域编码"] == ["HB", "HBBD", "SD"]
    assert [row[0].value for row in allowed["B2:B4"]] == ["河北省", "河北省保定市", "山东省"]  # what each code means
    assert values["购买方式"] == [chinese(str(label)) for _code, label in Purchase.Method.choices]
    assert values["付款方式"] == [chinese(str(label)) for _code, label in Purchase.Payment.choices]
    sheet = f"'{allowed.title}'"
    assert drop_downs(main) == {
        "区域编码": f"{sheet}!$A$2:$A$4", "购买方式": f"{sheet}!$C$2:$C$4", "付款方式": f"{sheet}!$D$2:$D$5",
    }
    assert [cell.value for cell in main[1]] == CUSTOMER_HEADERS
    example = dict(zip(CUSTOMER_HEADERS, [cell.value for cell in main[2]]))
    assert (example["姓名"], example["区域编码"], example["购买方式"]) == ("张三", "HB", chinese("Direct from the company"))


def test_the_regions_template_offers_the_after_sales_choices(login, clerk):
    main, allowed = template(login(clerk), "regions").worksheets

    assert [row[0].value for row in allowed["A2:A3"]] == [chinese(str(label)) for _code, label in Region.AftersalesBy.choices]
    assert list(drop_downs(main)) == ["售后归属"]


def test_a_template_filled_in_with_its_example_row_left_in_imports_only_the_clerks_rows(login, clerk, region):
    book = template(login(clerk), "customers")
    book.worksheets[0].append(customer("赵大山", region="HBBD", **purchase()))
    out = io.BytesIO()
    book.save(out)

    report = importer_for("customers", by=clerk).apply(io.BytesIO(out.getvalue()))

    assert (report.written, report.total, report.notes) == (True, 1, [chinese(
        "Row %(row)s is the template's example row; it was left out.", row=2)])
    assert list(Customer.objects.values_list("name", flat=True)) == ["赵大山"]


def test_a_value_not_among_the_choices_is_an_error_naming_the_allowed_ones(clerk, region):
    content = workbook([customer("赵大山", **purchase(payment="刷卡"))])

    with translation.override("zh-hans"):
        report = importer_for("customers", by=clerk).check(io.BytesIO(content))

    allowed = "、".join(chinese(str(label)) for _code, label in Purchase.Payment.choices)
    assert report.error_lines() == [
        chinese("Row %(row)s, column “%(column)s”: %(message)s", row=2, column="付款方式",
                message=chinese("“%(value)s” is not one of the allowed values: %(allowed)s.", value="刷卡", allowed=allowed))
    ]


@pytest.mark.parametrize("kind", ["staff", "dealers"])
def test_every_kind_has_a_template(login, clerk, region, kind):
    assert template(login(clerk), kind).worksheets[0].max_row >= 1
