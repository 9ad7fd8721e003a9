"""One search box on the customer and dealer lists, and the quick search in the header, find any
fragment a clerk types: a character from the middle of a name, a given name without its surname,
pinyin, pinyin initials (zs → 张三), 4 or more digits of a phone (尾号) however it is typed, 4 or
more characters of an ID-card number (x in either case) or a dossier number. The numbers found
stay masked; each viewer sees only what the policy lets them. On SQLite and PostgreSQL alike."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import translation

from customers import services as archive
from customers.filters import CUSTOMER_SEARCH, DEALER_SEARCH, CustomerFilter, DealerFilter
from customers.models import Customer, Dealer
from salesdesk.access import can
from salesdesk.imports import importer_for
from salesdesk.models import AccessRequest, StaffProfile
from salesdesk.pii import id_card_check_digit, mask
from salesdesk.search import search_text
from tests.conftest import intake_data
from tests.customers.spreadsheet_files import customer as sheet_row
from tests.customers.spreadsheet_files import purchase, workbook
from tests.helpers import grant, id_card


def id_card_ending_in_x(birth="19800101"):
    """A valid ID-card number whose check character is X."""
    for serial in range(1000):
        first17 = f"130602{birth}{serial:03d}"
        if id_card_check_digit(first17) == "X":
            return first17 + "X"


ZHANG_ID = id_card_ending_in_x()
WANG_ID = id_card("11010519650505123")


@pytest.fixture
def on_file(make_customer, other_region):
    """Four customers: three in 保定市 (the `region` fixture), 李秀兰 in 山东省."""
    return {
        "张秀英": make_customer(name="张秀英", phone="13800138000", id_card=ZHANG_ID),
        "张三": make_customer(name="张三", phone="0312-5551234"),
        "王建国": make_customer(name="王建国", phone="13712345678", id_card=WANG_ID),
        "李秀兰": make_customer(name="李秀兰", phone="13900139001", in_region=other_region),
    }


def listed(client, url_name, typed):
    response = client.get(reverse(url_name), {"q": typed})
    assert response.status_code == 200
    return sorted(str(row) for row in response.context["page"])


@pytest.mark.parametrize("typed, names", [
    ("秀", ["李秀兰", "张秀英"]),  # a character from the middle
    ("秀英", ["张秀英"]),  # the given name, without the surname
    ("建国", ["王建国"]),
    ("张", ["张三", "张秀英"]),
    ("xiuying", ["张秀英"]),  # pinyin
    ("XiuLan", ["李秀兰"]),  # pinyin, any case
    ("zhang san", ["张三"]),  # pinyin in words
    ("zs", ["张三"]),  # initials (张秀英 is zxy)
    ("wjg", ["王建国"]),
    ("8000", ["张秀英"]),  # the last 4 digits of the phone (尾号)
    ("0138000", ["张秀英"]),  # more of them
    ("+86 138-0013-8000", ["张秀英"]),  # the whole phone as it is typed
    ("5551234", ["张三"]),  # a landline's number
    ("0312-5551234", ["张三"]),  # and with its area code
    (ZHANG_ID[-5:].lower(), ["张秀英"]),  # the ID-card number's end, with a lower-case x
    ("19800101", ["张秀英"]),  # its middle
    (WANG_ID, ["王建国"]),  # a whole number
    (WANG_ID.lower(), ["王建国"]),
    ("赵", []),
    ("138", []),  # 3 digits: no phone search, and no name holds them
])
def test_the_customer_list_finds_any_fragment(login, clerk, on_file, typed, names):
    assert listed(login(clerk), "customers:customer_list", typed) == sorted(names)


@pytest.fixture
def dealers(make_dealer, developer, region):
    """Three dealers: 丰收 authorized (ZY-HBBD-0001, SQ-B-HBBD-0001), 金穗 filed (ZY-HBBD-0002),
    沃野 a draft with its own people and phones. 丰收 and 金穗 have the intake's contact 王佳."""
    return {
        "丰收": make_dealer(Dealer.Status.AUTHORIZED, company="保定丰收农机销售有限公司"),
        "金穗": make_dealer(Dealer.Status.FILED, company="清苑金穗农机有限公司"),
        "沃野": archive.dealer_intake_create(by=developer, data=intake_data(
            region, "徐水沃野农机有限公司", contact="刘德华", contact_phone="13512345678", legal_rep="曾强",
            legal_rep_phone="13587654321", principal="赵六", principal_phone="0312-7778888",
        )),
    }


@pytest.mark.parametrize("typed, companies", [
    ("丰收", ["保定丰收农机销售有限公司"]),  # the company name's middle
    ("fengshou", ["保定丰收农机销售有限公司"]),
    ("bdfs", ["保定丰收农机销售有限公司"]),  # its initials
    ("刘德华", ["徐水沃野农机有限公司"]),  # the main contact
    ("ldh", ["徐水沃野农机有限公司"]),
    ("zeng", ["徐水沃野农机有限公司"]),  # the legal representative 曾强
    ("赵六", ["徐水沃野农机有限公司"]),  # the principal
    ("王佳", ["保定丰收农机销售有限公司", "清苑金穗农机有限公司"]),
    ("5678", ["徐水沃野农机有限公司"]),  # the contact's phone, 尾号
    ("7654321", ["徐水沃野农机有限公司"]),  # the legal representative's
    ("03127778888", ["徐水沃野农机有限公司"]),  # the principal's landline, typed without its dash
    ("zy-hbbd", ["保定丰收农机销售有限公司", "清苑金穗农机有限公司"]),  # the dossier (resource) number
    ("SQ-B", ["保定丰收农机销售有限公司"]),  # the dossier card number
    ("hbbd-0002", ["清苑金穗农机有限公司"]),
])
def test_the_dealer_list_finds_any_fragment(login, clerk, dealers, typed, companies):
    assert listed(login(clerk), "customers:dealer_list", typed) == sorted(companies)


def test_the_exports_follow_the_new_search(login, clerk, on_file):
    response = login(clerk).get(reverse("customers:customer_export"), {"q": "zs", "format": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "张三" in body and "张秀英" not in body


# The search column follows the names on every write ---------------------------------------------


def test_a_renamed_customer_is_found_by_the_new_name(clerk, on_file):
    customer = on_file["张三"]
    archive.customer_update(customer=customer, by=clerk, data={"name": "欧阳娜娜"}, expected_version=customer.version)
    assert Customer.objects.get(pk=customer.pk).search == search_text("欧阳娜娜")


def test_a_dealer_step_and_an_edit_keep_its_search_text(clerk, dealers):
    dealer = dealers["沃野"]
    archive.dealer_update(dealer=dealer, by=clerk, data={"contact": "周杰"}, expected_version=dealer.version)
    found = DealerFilter({"q": "zhoujie"}, queryset=Dealer.objects.all()).qs
    assert list(found) == [dealer]
    assert Dealer.objects.get(pk=dealer.pk).search == search_text(dealer.company, "周杰", "曾强", "赵六")


def test_an_update_of_one_of_a_dealers_names_alone_is_refused(dealers):
    with pytest.raises(TypeError, match="contact"):
        Dealer.objects.filter(pk=dealers["沃野"].pk).update(contact="周杰")


def import_sheet(clerk, rows, duplicates="skip"):
    with translation.override("en"):
        return importer_for("customers", by=clerk, duplicates=duplicates).apply(io.BytesIO(workbook(rows)))


def test_imported_customers_are_found_by_pinyin_and_phone_tail(clerk, region):
    """The bulk writer's path: COPY on PostgreSQL, bulk_create elsewhere; and its bulk_update of
    the customers on file that the file updates."""
    import_sheet(clerk, [sheet_row("欧阳娜娜", phone="13712340000", **purchase()), sheet_row("赵大山", phone="13712340001")])
    assert [c.name for c in CustomerFilter({"q": "oynn"}, queryset=Customer.objects.all()).qs] == ["欧阳娜娜"]
    assert [c.name for c in CustomerFilter({"q": "0001"}, queryset=Customer.objects.all()).qs] == ["赵大山"]
    assert all(c.search == search_text(c.name) for c in Customer.objects.all())
    import_sheet(clerk, [sheet_row("赵大山", phone="13712340001", address="保定市徐水区")], duplicates="update")
    updated = Customer.objects.get(phone="13712340001")
    assert updated.address == "保定市徐水区" and updated.search == search_text("赵大山")


def test_the_demo_data_is_searchable(db):
    call_command("seed_demo", password="pw-demo", stdout=io.StringIO())
    assert Customer.objects.exists() and Dealer.objects.exists() and StaffProfile.objects.exists()
    for row in Customer.objects.all():
        assert row.search == search_text(row.name)
    for row in Dealer.objects.all():
        assert row.search == search_text(row.company, row.contact, row.legal_rep, row.principal)
    for row in StaffProfile.objects.all():
        assert row.search == search_text(row.name)


# The quick search --------------------------------------------------------------------------------


def quick(client, user, typed):
    """The quick search's page and its groups: {list the group links to: [titles of the hits]}."""
    client.force_login(user)
    response = client.get(reverse("search"), {"q": typed})
    assert response.status_code == 200
    return response, {group["list_url"]: [hit.title for hit in group["hits"]] for group in response.context["groups"]}


CUSTOMERS, DEALERS, STAFF = "customers:customer_list", "customers:dealer_list", "staff_list"


def test_the_quick_search_groups_customers_dealers_and_staff_newest_first(client, clerk, on_file, dealers):
    StaffProfile.objects.create(user=clerk, name="张丽")
    response, groups = quick(client, clerk, "张")  # 丰收 and 金穗: their legal representative 张伟
    assert groups == {CUSTOMERS: ["张三", "张秀英"], DEALERS: ["清苑金穗农机有限公司", "保定丰收农机销售有限公司"], STAFF: ["张丽"]}
    assert list(groups) == [CUSTOMERS, DEALERS, STAFF]


def test_one_click_from_a_hit_to_its_record(client, clerk, on_file, dealers):
    page = quick(client, clerk, "zeng")[0].content.decode() + quick(client, clerk, "秀英")[0].content.decode()
    assert f'href="{reverse("customers:customer_detail", args=[on_file["张秀英"].pk])}"' in page
    assert f'href="{reverse("customers:dealer_detail", args=[dealers["沃野"].pk])}"' in page


def test_numbers_found_stay_masked_and_only_a_viewer_who_may_unmask_gets_the_reveal(client, clerk, member_with_grant, on_file):
    zhang = on_file["张秀英"]
    reveal = reverse("reveal", args=["customers.customer", zhang.pk, "phone"])
    for viewer, may_unmask in ((clerk, True), (member_with_grant, False)):
        assert can(viewer, "pii.unmask") is may_unmask
        response, groups = quick(client, viewer, "8000")
        assert groups[CUSTOMERS] == ["张秀英"]
        page = response.content.decode()
        assert "138****8000" in page and mask("id_card", ZHANG_ID) in page
        assert "13800138000" not in page and ZHANG_ID not in page
        assert (reveal in page) is may_unmask


def test_a_member_with_a_region_grant_finds_only_that_regions_records(client, make_user, manager, developer, region,
                                                                       other_region, on_file, dealers):
    member = make_user("member_hb", "member")
    grant(member, manager, scope=AccessRequest.Scope.REGION, region=region)
    archive.dealer_intake_create(by=developer, data=intake_data(other_region, "济南秀丰农机有限公司"))
    assert quick(client, member, "秀")[1] == {CUSTOMERS: ["张秀英"], DEALERS: []}  # 李秀兰 and 秀丰 are in 山东省
    assert quick(client, member, "13900139001")[1] == {CUSTOMERS: [], DEALERS: []}  # no staff: a region grant opens none
    assert quick(client, member, "丰收")[1] == {CUSTOMERS: [], DEALERS: ["保定丰收农机销售有限公司"]}


def test_a_market_developer_finds_only_their_own_intakes(client, developer, clerk, region, dealers):
    archive.dealer_intake_create(by=clerk, data=intake_data(region, "保定惠农农机有限公司"))
    assert quick(client, developer, "农机")[1] == {DEALERS: ["徐水沃野农机有限公司", "清苑金穗农机有限公司", "保定丰收农机销售有限公司"]}


def test_at_most_ten_of_a_kind_and_a_link_to_the_list_with_the_rest(client, clerk, make_customer):
    for n in range(12):
        make_customer(name=f"秀{n}", phone=f"1360000{n:04d}")
    response, _groups = quick(client, clerk, "秀")
    group = response.context["groups"][0]
    assert len(group["hits"]) == 10 and group["hits"][0].title == "秀11"
    assert group["more_url"] == reverse("customers:customer_list") + "?q=%E7%A7%80"
    assert listed(client, "customers:customer_list", "秀") == sorted(f"秀{n}" for n in range(12))


# PostgreSQL: the indexes that serve each kind of fragment ----------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("model, columns, typed, index", [
    (Customer, CUSTOMER_SEARCH, "秀英张", "customer_search_trgm"),  # 3 characters or more: trigrams
    (Customer, CUSTOMER_SEARCH, "xiuying", "customer_search_trgm"),
    (Customer, CUSTOMER_SEARCH, "秀英", "customer_search_pieces"),  # 1–2 characters: the pieces
    (Customer, CUSTOMER_SEARCH, "zs", "customer_search_pieces"),
    (Customer, CUSTOMER_SEARCH, "秀", "customer_search_pieces"),
    (Customer, CUSTOMER_SEARCH, "8000", "customer_phone_trgm"),
    (Customer, CUSTOMER_SEARCH, "8000", "customer_id_card_trgm"),
    (Customer, CUSTOMER_SEARCH, "0519x", "customer_id_card_trgm"),
    (Dealer, DEALER_SEARCH, "丰收农机", "dealer_search_trgm"),
    (Dealer, DEALER_SEARCH, "5678", "dealer_contact_phone_trgm"),
    (Dealer, DEALER_SEARCH, "5678", "dealer_principal_phone_trgm"),
])
def test_each_kind_of_fragment_has_an_index_that_serves_it(model, columns, typed, index):
    if connection.vendor != "postgresql":
        pytest.skip("GIN indexes are PostgreSQL's")
    from salesdesk.search import find

    sql, params = find(model.objects.all(), typed, **columns).order_by("-pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # what is left is a bitmap scan, on the index that fits
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"Bitmap Index Scan on {index}" in plan, plan


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_pieces_column_follows_the_search_text():
    if connection.vendor != "postgresql":
        pytest.skip("a generated column of PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SELECT salesdesk_short_grams(%s)", [search_text("张三")])
        pieces = set(cursor.fetchone()[0])
    assert {"张", "三", "张三", "zs", "s"} <= pieces
