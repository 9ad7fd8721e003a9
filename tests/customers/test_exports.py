"""Exports of the dealer, end-customer and staff lists: the rows the person sees on the list, with
the Chinese headers of the import templates, personal data masked unless the policy unmasks it,
no cell a spreadsheet would evaluate, members refused, every export in the audit trail."""

import csv
import datetime
import io
from decimal import Decimal
from urllib.parse import quote

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl.utils.escape import unescape

from customers.exports import CUSTOMERS, DEALERS
from salesdesk import exports
from customers.models import Dealer
from salesdesk.models import AuditEntry
from salesdesk.services import staff_profile_ensure
from tests.helpers import id_card

CUSTOMER_HEADERS = ["姓名", "身份证号", "电话", "地址", "区域编码", "种植作物", "耕地面积（亩）", "现有农机", "备注"]
DEALER_HEADERS = [
    "公司名称", "区域编码", "法人代表", "法人代表电话", "主要负责人", "主要负责人电话", "主要联系人", "主要联系人电话",
    "地址", "经营范围", "门店面积（平方米）", "年销售额（元）", "经营品牌", "调研日期", "开业日期", "备注", "状态",
    "级别", "档案编号", "档案卡编号",
]
STAFF_HEADERS = ["登录名", "姓名", "职务", "手机", "QQ", "微信", "电子邮箱", "主要职责"]
EXPORTS = ["customers:dealer_export", "customers:customer_export", "staff_export"]
FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]
ZHANG_SAN_ID = id_card("13060219800101001")


def download(client, name, **params):
    response = client.get(reverse(name), params)
    assert response.status_code == 200, response.status_code
    return response, b"".join(response.streaming_content)


def read_xlsx(content):
    """The cells as Excel reads them (it turns an escaped _x000D_ back into a carriage return)."""
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [[unescape(value) if isinstance(value, str) else value for value in row] for row in sheet.iter_rows(values_only=True)]


def read_csv(content):
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content[3:].decode("utf-8"), newline="")))


def read(content, fmt):
    return read_xlsx(content) if fmt == "xlsx" else read_csv(content)


def exported(client, name, fmt="xlsx", **params):
    _response, content = download(client, name, format=fmt, **params)
    return read(content, fmt)


# What is exported ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_clerk_exports_customers_with_chinese_headers_and_full_numbers(login, clerk, make_customer, fmt):
    make_customer(name="张三", id_card=ZHANG_SAN_ID, phone="13912345678", address="保定市清苑区东街1号")

    rows = exported(login(clerk), "customers:customer_export", fmt)

    assert rows[0] == CUSTOMER_HEADERS
    name, id_number, phone, address, region, crops, acreage, machinery, notes = rows[1]
    assert (name, id_number, phone, address, region, crops) == ("张三", ZHANG_SAN_ID, "13912345678", "保定市清苑区东街1号", "HBBD", "小麦、玉米")
    assert len(rows) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_customer_export_holds_exactly_the_filtered_list_in_its_order(login, clerk, make_customer, other_region, fmt):
    for _ in range(3):
        make_customer()
    wanted = [make_customer(in_region=other_region) for _ in range(4)]
    client = login(clerk)
    listed = client.get(reverse("customers:customer_list"), {"region": other_region.pk}).context["page"]

    rows = exported(client, "customers:customer_export", fmt, region=other_region.pk)

    assert [row[0] for row in rows[1:]] == [customer.name for customer in listed] == [c.name for c in reversed(wanted)]
    assert len(rows) - 1 == 4


@pytest.mark.django_db
def test_customer_export_follows_the_search_of_the_list(login, clerk, make_customer):
    make_customer(name="李四")
    make_customer(name="王五")

    rows = exported(login(clerk), "customers:customer_export", q="李")

    assert [row[0] for row in rows[1:]] == ["李四"]


@pytest.mark.django_db
def test_numbers_stay_numbers_in_the_workbook(login, clerk, make_customer):
    make_customer(acreage_mu=Decimal("86.5"))

    rows = exported(login(clerk), "customers:customer_export")

    assert rows[1][6] == 86.5 and isinstance(rows[1][6], float)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_dealer_export_is_the_filtered_dealer_list_with_labels(login, clerk, make_dealer, other_region, fmt):
    authorized = make_dealer(Dealer.Status.AUTHORIZED, grade="A", company="保定丰收农机")
    make_dealer(Dealer.Status.AUTHORIZED, in_region=other_region)
    make_dealer(Dealer.Status.DRAFT)
    client = login(clerk)

    response, content = download(client, "customers:dealer_export", format=fmt, status="authorized", region=authorized.region_id)
    rows = read(content, fmt)

    assert rows[0] == DEALER_HEADERS
    assert len(rows) == 2
    row = dict(zip(DEALER_HEADERS, rows[1]))
    with translation.override(response["Content-Language"]):
        status, grade = gettext("Authorized dealer"), gettext("Grade A")
    assert row["公司名称"] == "保定丰收农机"
    assert row["区域编码"] == "HBBD"
    assert (row["状态"], row["级别"]) == (status, grade)  # the labels the pages show, not the codes
    assert row["档案卡编号"] == authorized.card_number
    assert row["主要联系人电话"] == "13903120001"  # the clerk sees the number in full


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_staff_export_follows_the_staff_search(login, clerk, make_user, fmt):
    staff_profile_ensure(user=clerk, name="陈静", title="销售服务专员", mobile="13811112222", email="chen@example.com")
    staff_profile_ensure(user=make_user("zhao"), name="赵强", mobile="13733334444")

    rows = exported(login(clerk), "staff_export", fmt, q="陈")

    assert rows[0] == STAFF_HEADERS
    assert len(rows) == 2
    assert rows[1][:4] == ["clerk", "陈静", "销售服务专员", "13811112222"]


# Personal data -----------------------------------------------------------------------------


def test_row_builder_masks_id_card_and_phone_numbers_when_not_unmasked():
    columns = CUSTOMERS.columns
    values = ("张三", "130602198001010018", "13912345678", "保定", "HBBD", "", None, "", "")

    masked = exports.row_builder(columns, unmask=False)(values)
    full = exports.row_builder(columns, unmask=True)(values)

    assert masked[:3] == ["张三", "1306**********0018", "139****5678"]
    assert full[:3] == ["张三", "130602198001010018", "13912345678"]


def test_row_builder_masks_every_phone_of_a_dealer_and_the_staff_mobile():
    dealer = dict(zip(DEALER_HEADERS, exports.row_builder(DEALERS.columns, unmask=False)(
        ("公司", "HB", "张伟", "13903120002", "李明", "13903120003", "王佳", "13903120001") + ("",) * 12
    )))
    staff = exports.row_builder(exports.STAFF.columns, unmask=False)(("clerk", "陈静", "", "13811112222", "", "", "", ""))

    assert [dealer["法人代表电话"], dealer["主要负责人电话"], dealer["主要联系人电话"]] == ["139****0002", "139****0003", "139****0001"]
    assert staff[3] == "138****2222"


@pytest.mark.django_db
def test_every_exporting_role_may_unmask(leader, manager, clerk):
    """The policy gives pii.unmask to every role that may export: masking in a file is for a
    future role that exports without it (tested on the row builder above)."""
    from salesdesk.access import can

    for user in (leader, manager, clerk):
        assert can(user, "archive.export") and can(user, "pii.unmask")


# Formulas ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_text_a_spreadsheet_would_evaluate_is_neutralised(login, clerk, make_customer, make_dealer, start, fmt):
    make_customer(name=f"{start}1+1", address=f"{start}HYPERLINK(\"http://x\")")
    make_dealer(company=f"{start}SUM(A1:A9)")
    client = login(clerk)

    customer = exported(client, "customers:customer_export", fmt)[1]
    dealer = exported(client, "customers:dealer_export", fmt)[1]

    assert customer[0] == f"'{start}1+1"
    assert customer[3] == f"'{start}HYPERLINK(\"http://x\")"
    assert dealer[0] == f"'{start}SUM(A1:A9)"


@pytest.mark.django_db
def test_the_customer_named_one_plus_one_comes_out_as_text(login, clerk, make_customer):
    make_customer(name="=1+1")

    for fmt in ("xlsx", "csv"):
        assert exported(login(clerk), "customers:customer_export", fmt)[1][0] == "'=1+1"


def test_neutralise_leaves_numbers_and_harmless_text_alone():
    assert exports.neutralise(-5) == -5
    assert exports.neutralise(Decimal("-1.5")) == Decimal("-1.5")
    assert exports.neutralise("张三=1") == "张三=1"
    assert exports.neutralise("") == ""
    assert exports.neutralise(None) is None
    assert exports.cell("\x01=1+1") == "'=1+1"  # a control character cannot hide a formula


# Who may export ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", EXPORTS)
def test_member_cannot_export_even_with_an_approved_grant(login, member_with_grant, make_customer, name):
    make_customer()
    client = login(member_with_grant)
    assert client.get(reverse(name.replace("export", "list"))).status_code == 200  # the grant lets them look

    for fmt in ("xlsx", "csv"):
        assert client.get(reverse(name), {"format": fmt}).status_code == 403
    assert not AuditEntry.objects.filter(action__endswith=".exported").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", EXPORTS)
def test_leadership_and_manager_export_too(login, leader, manager, name):
    for user in (leader, manager):
        assert login(user).get(reverse(name), {"format": "csv"}).status_code == 200


@pytest.mark.django_db
def test_an_unknown_format_is_refused(login, clerk):
    assert login(clerk).get(reverse("customers:customer_export"), {"format": "pdf"}).status_code == 400
    assert not AuditEntry.objects.filter(action__endswith=".exported").exists()


# Audit trail -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_every_export_writes_one_audit_entry_with_rows_format_and_filters(login, clerk, make_customer, other_region, fmt):
    for _ in range(2):
        make_customer()
    for _ in range(3):
        make_customer(in_region=other_region)

    exported(login(clerk), "customers:customer_export", fmt, region=other_region.pk)

    entry = AuditEntry.objects.get(action="customers.customers.exported")
    assert entry.actor == clerk
    assert entry.data == {"rows": 3, "format": fmt, "filters": {"region": str(other_region.pk)}, "unmasked": True}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, action", [("customers:dealer_export", "customers.dealers.exported"), ("staff_export", "salesdesk.staff.exported")]
)
def test_dealer_and_staff_exports_are_audited_too(login, clerk, make_dealer, name, action):
    make_dealer(Dealer.Status.FILED)
    staff_profile_ensure(user=clerk)

    rows = exported(login(clerk), name, "csv")

    entry = AuditEntry.objects.get(action=action)
    assert entry.data["rows"] == len(rows) - 1 == 1
    assert entry.data["format"] == "csv"


@pytest.mark.django_db
def test_an_id_card_search_is_kept_masked_in_the_audit_trail(login, clerk, make_customer):
    number = id_card("13060219800101007")
    make_customer(id_card=number)

    rows = exported(login(clerk), "customers:customer_export", q=number)

    assert len(rows) == 2
    filters = AuditEntry.objects.get(action="customers.customers.exported").data["filters"]
    assert filters == {"q": "1306**********" + number[-4:]}


# The file itself ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_csv_starts_with_the_utf8_bom_and_decodes_as_utf8(login, clerk, make_customer):
    make_customer(name="欧阳娜娜")

    response, content = download(login(clerk), "customers:customer_export", format="csv")

    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    assert content[:3] == b"\xef\xbb\xbf"
    text = content[3:].decode("utf-8")
    assert text.startswith("姓名,身份证号,电话,") and "欧阳娜娜" in text


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_file_is_named_in_chinese_with_the_date(login, clerk, fmt):
    response, content = download(login(clerk), "customers:customer_export", format=fmt)

    day = timezone.localdate().strftime("%Y%m%d")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(f'终端客户_{day}.{fmt}')}" in disposition
    assert f'filename="customers_{day}.{fmt}"' in disposition
    assert read(content, fmt) == [CUSTOMER_HEADERS]  # an empty list is still a file with its header


class Rows(list):
    """Stands in for a queryset: what `values_list(...).iterator(chunk_size=...)` yields."""

    def values_list(self, *lookups):
        return self

    def iterator(self, chunk_size):
        assert chunk_size == exports.CHUNK_SIZE
        return iter(self)


def test_the_csv_is_streamed_in_pieces_that_hold_every_row(monkeypatch):
    monkeypatch.setattr(exports, "CSV_ROWS_PER_CHUNK", 2)

    rows = Rows((f"客户{n}", "", "1380000000{n}", "", "HB", "", None, "", "") for n in range(5))
    pieces = list(exports.csv_chunks(CUSTOMERS, rows, unmask=True))

    assert len(pieces) == 1 + 3  # the BOM, then 2 + 2 + 1 rows (the header rides with the first)
    assert [row[0] for row in read_csv(b"".join(pieces))[1:]] == [f"客户{n}" for n in range(5)]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_query_count_does_not_grow_with_the_rows(login, clerk, make_customer, fmt):
    client = login(clerk)
    make_customer()
    client.get(reverse("customers:customer_export"), {"format": fmt})  # warm the caches

    with CaptureQueriesContext(connection) as few:
        download(client, "customers:customer_export", format=fmt)
    for _ in range(30):
        make_customer()
    with CaptureQueriesContext(connection) as many:
        download(client, "customers:customer_export", format=fmt)

    assert len(many) == len(few)


# The buttons -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", EXPORTS)
def test_a_member_sees_no_export_buttons(login, member_with_grant, name):
    page = login(member_with_grant).get(reverse(name.replace("export", "list")))
    assert page.status_code == 200
    assert reverse(name) not in page.content.decode()


@pytest.mark.django_db
def test_clerk_sees_export_buttons_carrying_the_filters(login, clerk, region):
    client = login(clerk)
    page = client.get(reverse("customers:customer_list"), {"region": region.pk}).content.decode()
    staff = client.get(reverse("staff_list"), {"q": "陈"}).content.decode()

    assert f'{reverse("customers:customer_export")}?region={region.pk}&amp;format=xlsx' in page
    assert f'{reverse("customers:customer_export")}?region={region.pk}&amp;format=csv' in page
    assert f'{reverse("staff_export")}?q=%E9%99%88&amp;format=xlsx' in staff


def test_dates_and_money_are_dates_and_numbers_in_the_workbook(tmp_path):
    values = ("公司", "HB", "", "", "", "", "王佳", "13903120001", "保定", "", Decimal("120.5"), Decimal("1500000.00"),
              "", datetime.date(2026, 3, 1), None, "", "authorized", "A", "ZY-HB-0001", "SQ-A-HB-0001")
    path = tmp_path / "dealers.xlsx"

    assert exports.write_xlsx(DEALERS, Rows([values]), str(path), unmask=True) == 1

    row = dict(zip(DEALER_HEADERS, read_xlsx(path.read_bytes())[1]))
    assert row["门店面积（平方米）"] == 120.5 and row["年销售额（元）"] == 1500000
    assert row["调研日期"] == datetime.datetime(2026, 3, 1) and row["开业日期"] is None
