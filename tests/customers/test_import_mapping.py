"""The clerk's own spreadsheet goes in as it is (issue 9): its header row is found below title and
group rows, each column is matched to a field by its header (the template's, or a usual name such
as 手机 or 区域), the clerk corrects a match on the mapping step and the choice is remembered for the
next file with the same headers; regions are found by name or code; defaults stand in for the
purchase and payment methods a clerk's sheet has no column for. Row numbers stay Excel's."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from customers.models import Customer, Dealer, Purchase
from salesdesk.imports import importer_for
from salesdesk.models import ColumnMapping, ImportJob
from salesdesk.services import region_create
from tests.customers import spreadsheet_files as files
from tests.customers.spreadsheet_files import id_card, workbook
from tests.helpers import chinese, match_columns

ZHAO_ID = id_card("13060219800101002")
# The columns a clerk actually keeps (finding 1): no 电话, no 区域编码, no 购买方式 or 付款方式.
CLERK_HEADERS = ["姓名", "身份证号", "手机", "地址", "区域", "购买日期", "产品型号", "数量", "单价", "金额"]


def clerk_row(name="赵大山", id_number=ZHAO_ID, phone="13812345678", region="保定市", model="4LZ-6 谷物联合收割机", **given):
    row = {"address": "保定市清苑区东闾乡", "date": "2026-03-05", "quantity": 1, "unit_price": 128000, "amount": 128000, **given}
    return [name, id_number, phone, row["address"], region, row["date"], model, row["quantity"], row["unit_price"], row["amount"]]


def check(by, content, **options):
    with translation.override("en"):
        return importer_for("customers", by=by, **options).check(io.BytesIO(content))


def apply(by, content, **options):
    with translation.override("en"):
        return importer_for("customers", by=by, **options).apply(io.BytesIO(content))


def proposal(headers, kind="customers"):
    return importer_for(kind, by=None).propose(headers)


def upload(client, content, name="客户.xlsx", **defaults):
    data = {"kind": "customers", "file": files.upload(content, name), "duplicates": "skip"}
    data.update({f"default_customers_{field}": code for field, code in defaults.items()})
    response = client.post(reverse("import_list"), data)
    assert response.status_code == 302
    return ImportJob.objects.latest("pk")


DIRECT_AND_CASH = {"purchase_method": Purchase.Method.DIRECT, "payment_method": Purchase.Payment.CASH}


# Finding 1: a clerk's own sheet ------------------------------------------------------------------


def test_a_clerks_own_sheet_imports_without_renaming_a_column_with_the_forms_defaults(login, clerk, region):
    """Found: "文件中缺少"电话"、"区域编码"列"; after renaming, every row failed on 区域编码 (a name,
    not a code) and on 购买方式 and 付款方式 (required, no default)."""
    client = login(clerk)
    content = workbook([clerk_row(), clerk_row("钱二妹", "", "13812345679", model="2BMQ-4", unit_price=9800, amount=9800)],
                       headers=CLERK_HEADERS)

    job = upload(client, content, **DIRECT_AND_CASH)

    assert job.state == ImportJob.State.MAPPING
    assert job.mapping["fields"] == [
        "name", "id_card", "phone", "address", "region", "date", "product_model", "quantity", "unit_price", "amount",
    ]
    assert [how for _field, how in job.mapping["proposed"]] == ["template", "template", "synonym", "template", "synonym",
                                                                "template", "template", "template", "template", "template"]
    assert job.mapping["defaults"] == DIRECT_AND_CASH
    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert 'id="import-columns"' in page and "138****5678" in page and "13812345678" not in page  # samples masked

    match_columns(client, job, defaults=DIRECT_AND_CASH)
    job.refresh_from_db()
    assert (job.state, job.counts) == (ImportJob.State.CHECKED, {"new": 2, "updated": 0, "unchanged": 0, "skipped": 0, "error": 0})
    client.post(reverse("import_confirm", args=[job.pk]))

    zhao = Customer.objects.get(name="赵大山")
    assert (zhao.id_card, zhao.phone, zhao.region, zhao.address) == (ZHAO_ID, "13812345678", region, "保定市清苑区东闾乡")
    bought = zhao.purchases.get()
    assert (bought.product_model, bought.unit_price, bought.purchase_method, bought.payment_method) == (
        "4LZ-6 谷物联合收割机", Decimal("128000.00"), Purchase.Method.DIRECT, Purchase.Payment.CASH)
    assert Customer.objects.get(name="钱二妹").purchases.get().amount == Decimal("9800.00")


def test_without_defaults_a_purchase_row_says_which_column_the_file_lacks(clerk, region):
    report = check(clerk, workbook([clerk_row()], headers=CLERK_HEADERS))

    lacking = "A purchase needs this column; the file has none (a default for it can be chosen with the columns)."
    assert report.error_lines() == [f"Row 2, column “购买方式”: {lacking}", f"Row 2, column “付款方式”: {lacking}"]


def test_a_default_fills_an_empty_cell_and_the_files_value_wins_where_it_has_one(clerk, region):
    headers = [*CLERK_HEADERS, "付款方式"]
    content = workbook([clerk_row() + ["分期付款"], clerk_row("钱二妹", "", "13812345679") + [None]], headers=headers)

    apply(clerk, content, defaults=DIRECT_AND_CASH)

    assert sorted(Purchase.objects.values_list("customer__name", "payment_method")) == [
        ("赵大山", Purchase.Payment.INSTALMENTS), ("钱二妹", Purchase.Payment.CASH),
    ]


def test_a_default_alone_makes_no_purchase(clerk, region):
    content = workbook([["赵大山", "13812345678", "保定市"]], headers=["姓名", "手机", "区域"])

    apply(clerk, content, defaults=DIRECT_AND_CASH)

    assert (Customer.objects.count(), Purchase.objects.count()) == (1, 0)


# Finding 5: where the header row is ---------------------------------------------------------------


def two_level_header(sheet):
    """A header in two rows, as clerks draw one: customer columns merged down over both rows, the
    purchase columns under a merged group cell "购买信息"."""
    sheet.insert_rows(1)
    for column in "ABCDE":
        sheet[f"{column}1"] = sheet[f"{column}2"].value
        sheet[f"{column}2"] = None
        sheet.merge_cells(f"{column}1:{column}2")
    sheet["F1"] = "购买信息"
    sheet.merge_cells("F1:J1")


def test_a_two_level_header_with_merged_group_cells_is_read_as_one(clerk, region):
    """Found: "missing 姓名" on a two-level header."""
    content = workbook([clerk_row(), clerk_row("钱二妹", "", "无")], headers=CLERK_HEADERS, arrange=two_level_header)

    report = check(clerk, content, defaults=DIRECT_AND_CASH)

    assert report.header_row == 2
    assert [field for _header, field, _how in report.columns] == [
        "name", "id_card", "phone", "address", "region", "date", "product_model", "quantity", "unit_price", "amount",
    ]
    assert report.error_lines() == ["Row 4, column “手机”: “无” is not a phone number."]  # Excel's row 4


def test_title_rows_and_a_group_row_above_the_header_are_passed_over(clerk, region):
    def titles(sheet):
        sheet.insert_rows(1, 3)
        sheet["A1"] = "保定市 2026 年终端客户档案"
        sheet.merge_cells("A1:J1")
        sheet["A2"] = "制表：销售服务部　2026年3月"
        sheet["A3"], sheet["F3"] = "客户信息", "购买信息"
        sheet.merge_cells("A3:E3")
        sheet.merge_cells("F3:J3")

    report = apply(clerk, workbook([clerk_row()], headers=CLERK_HEADERS, arrange=titles), defaults=DIRECT_AND_CASH)

    assert (report.header_row, report.written, report.preview[0][0]) == (4, True, 5)
    assert Customer.objects.get().name == "赵大山"


def test_the_mapping_step_says_on_which_row_it_found_the_headers(login, clerk, region):
    def title(sheet):
        sheet.insert_rows(1)
        sheet["A1"] = "2026年终端客户档案"

    client = login(clerk)
    job = upload(client, workbook([clerk_row()], headers=CLERK_HEADERS, arrange=title))

    assert job.mapping["header_row"] == 2
    page = client.get(reverse("import_detail", args=[job.pk]))
    assert "共10列，表头在第2行" in page.content.decode()


# Matching the columns ----------------------------------------------------------------------------------


@pytest.mark.parametrize("header, field", [
    ("手机", "phone"), ("手机号", "phone"), ("联系电话", "phone"), ("电话", "phone"),
    ("区域", "region"), ("地区", "region"), ("所属区域", "region"), ("区域名称", "region"), ("区域编码", "region"),
    ("单价", "unit_price"), ("单价（元）", "unit_price"), ("单价(元)", "unit_price"), ("金额", "amount"), ("金额（元）", "amount"),
    ("身份证", "id_card"), ("身份证号码", "id_card"), ("购机日期", "date"), ("日期", "date"),
    ("型号", "product_model"), ("机型", "product_model"), ("客户姓名", "name"), ("名字", "name"), ("姓 名", "name"),
    ("耕地面积", "acreage_mu"), ("phone", "phone"), ("Phone", "phone"),
])
def test_a_column_is_matched_by_the_usual_names_of_its_field(db, header, field):
    assert proposal([header])[0][0] == field


def test_a_unit_other_than_the_templates_is_not_matched(db):
    assert proposal(["单价（万元）", "金额（万元）"]) == [("", ""), ("", "")]


def test_each_field_goes_to_one_column_the_templates_name_first(db):
    assert proposal(["手机", "电话", "联系电话", "备注"]) == [("", ""), ("phone", "template"), ("", ""), ("notes", "template")]


def test_the_clerk_corrects_a_match_and_the_choice_is_remembered_for_the_same_headers(login, clerk, region):
    headers = ["姓名", "手机", "备用电话", "区域"]
    client = login(clerk)
    job = upload(client, workbook([["赵大山", "13800000000", "13812345678", "保定市"]], headers=headers))
    assert job.mapping["fields"] == ["name", "phone", "", "region"]

    response = match_columns(client, job, defaults=DIRECT_AND_CASH, 手机="", 备用电话="phone")

    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.state, job.counts["new"]) == (ImportJob.State.CHECKED, 1)
    assert job.report["columns"][1:3] == [["手机", "", "given"], ["备用电话", "phone", "given"]]
    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert 'id="change-columns"' in page
    client.post(reverse("import_confirm", args=[job.pk]))
    assert Customer.objects.get().phone == "13812345678"
    assert ColumnMapping.objects.get().fields == ["name", "", "phone", "region"]

    again = upload(client, workbook([["钱二妹", "13800000001", "13812345679", "保定市"]], headers=headers))

    assert again.mapping["proposed"] == [["name", "remembered"], ["", "remembered"], ["phone", "remembered"], ["region", "remembered"]]
    assert again.mapping["defaults"] == DIRECT_AND_CASH  # the upload form gave none: last time's
    assert chinese("as last time") in client.get(reverse("import_detail", args=[again.pk])).content.decode()
    other = upload(client, workbook([["孙小红", "13800000002", "保定市"]], headers=["姓名", "手机", "区域"]))
    assert other.mapping["fields"] == ["name", "phone", "region"]  # other headers: matched afresh


def test_the_columns_can_be_matched_again_after_the_check(login, clerk, region):
    client = login(clerk)
    job = upload(client, workbook([["赵大山", "13800000000", "13812345678", "保定市"]], headers=["姓名", "手机", "备用电话", "区域"]))
    match_columns(client, job)
    assert client.get(reverse("import_columns", args=[job.pk])).status_code == 200

    match_columns(client, job, 手机="", 备用电话="phone")

    job.refresh_from_db()
    assert (job.state, job.report["columns"][2][1]) == (ImportJob.State.CHECKED, "phone")


def test_a_field_chosen_twice_or_a_required_field_left_without_a_column_is_refused_with_the_reason(login, clerk, region):
    client = login(clerk)
    job = upload(client, workbook([["赵大山", "13800000000", "13812345678", "保定市"]], headers=["姓名", "手机", "备用电话", "区域"]))

    twice = match_columns(client, job, 备用电话="phone")
    missing = match_columns(client, job, 区域="")

    assert (twice.status_code, missing.status_code) == (400, 400)
    assert twice.context["form"].non_field_errors() == [
        chinese("“%(field)s” is chosen for more than one column: %(columns)s. Choose it for one only.",
                field="电话", columns="“手机”、“备用电话”")]
    assert missing.context["form"].non_field_errors() == [
        chinese("No column is matched to %(fields)s, which every row needs.", fields="“区域编码”")]
    job.refresh_from_db()
    assert job.state == ImportJob.State.MAPPING


# Regions by name or code ------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["保定市", "保定", "河北省保定市", "保定市 (HBBD)", "HBBD", "hbbd", "ＨＢＢＤ"])
def test_a_region_is_found_by_its_name_or_its_code(clerk, region, typed):
    apply(clerk, workbook([["赵大山", "13812345678", typed]], headers=["姓名", "手机", "区域"]))

    assert Customer.objects.get().region == region


@pytest.fixture
def two_chaoyang(clerk):
    beijing = region_create(by=clerk, data={"name": "北京市", "code": "BJ"})
    changchun = region_create(by=clerk, data={"name": "长春市", "code": "JLCC"})
    region_create(by=clerk, data={"name": "朝阳区", "code": "BJCY", "parent": beijing})
    region_create(by=clerk, data={"name": "朝阳区", "code": "JLCCCY", "parent": changchun})


def test_a_name_two_regions_share_is_a_row_error_naming_both(clerk, two_chaoyang):
    report = importer_for("customers", by=clerk).check(io.BytesIO(workbook([["赵大山", "13812345678", "朝阳区"]],
                                                                         headers=["姓名", "手机", "区域"])))

    assert report.error_lines() == [
        "第2行「区域」列：“朝阳区”有两个区域：北京市朝阳区 (BJCY)、长春市朝阳区 (JLCCCY)，请填区域编码。"
    ]


def test_a_shared_name_after_its_parents_name_or_with_the_code_is_found(clerk, two_chaoyang):
    rows = [["赵大山", "13812345678", "北京市朝阳区"], ["钱二妹", "13812345679", "朝阳区 (JLCCCY)"]]

    apply(clerk, workbook(rows, headers=["姓名", "手机", "区域"]))

    assert sorted(Customer.objects.values_list("name", "region__code")) == [("赵大山", "BJCY"), ("钱二妹", "JLCCCY")]


def test_a_region_nobody_has_is_named_in_the_error(clerk, region):
    report = check(clerk, workbook([["赵大山", "13812345678", "石家庄"]], headers=["姓名", "手机", "区域"]))

    assert report.error_lines() == ["Row 2, column “区域”: No region has the code or name “石家庄”."]


def test_a_dealers_file_finds_its_region_by_name_too(clerk, region):
    content = workbook([["保定丰收农机销售有限公司", "保定市", "王佳", "13903120001", "保定市莲池区东风路1号"]],
                       headers=["经销商名称", "所属区域", "联系人", "联系电话", "地址"])

    report = importer_for("dealers", by=clerk).apply(io.BytesIO(content))

    assert report.written
    assert Dealer.objects.get().region == region
