"""Search by fragment in the core (salesdesk.search): the searchable text of names, what a typed
fragment is, finding by it, the search column kept right on every write, and the quick search in
the header, on the staff archive. Customers and dealers: tests/customers/test_search.py. Runs on
SQLite and on PostgreSQL (DATABASE_URL), where the short fragments take another path."""

import re

import pytest
from django.urls import reverse

from salesdesk import audit, registry
from salesdesk.models import AccessRequest, AuditEntry, Role, StaffProfile
from salesdesk.search import Query, parse, search_text
from salesdesk.services import staff_profile_ensure, staff_profile_update
from tests.helpers import grant, says

# The searchable text --------------------------------------------------------------------------


@pytest.mark.parametrize("names, text", [
    (["张秀英"], "张秀英 zhangxiuying zxy"),
    (["ABC农机"], "abc农机 abcnongji abcnj"),  # Latin and digits stay whole in every form
    (["中联重科（ZOOMLION）"], "中联重科zoomlion zhonglianzhongkezoomlion zlzkzoomlion"),  # full-width folded
    (["阿依古丽·买买提"], "阿依古丽买买提 ayigulimaimaiti ayglmmt"),  # punctuation dropped
    (["曾强"], "曾强 cengqiang cq zengqiang zq"),  # 曾 as a surname is Zēng
    (["张三", "", None, "李四"], "张三 zhangsan zs 李四 lisi ls"),  # blank names skipped
    (["Smith"], "smith"),
])
def test_the_search_text_holds_each_name_its_pinyin_and_initials(names, text):
    assert search_text(*names) == text


# What was typed -------------------------------------------------------------------------------


@pytest.mark.parametrize("typed, expected", [
    ("秀", Query("秀", terms=("秀",))),  # a character from the middle of a name
    ("ZS", Query("ZS", terms=("zs",))),  # initials, any case
    ("zhang san", Query("zhang san", terms=("zhang", "san"))),  # each word must be found
    ("8000", Query("8000", phone="8000", id_card="8000", number="8000")),  # 尾号, or part of an ID or dossier number
    ("+86 138-0013-8000", Query("+86 138-0013-8000", phone="13800138000", whole_phone=True)),  # a whole mobile
    ("0086 13800138000", Query("0086 13800138000", phone="13800138000", whole_phone=True)),
    ("12812345678", Query("12812345678", phone="12812345678", id_card="12812345678", number="12812345678")),  # no mobile
    ("0312-5551234", Query("0312-5551234", phone="03125551234", number="0312-5551234")),
    ("１３８０", Query("1380", phone="1380", id_card="1380", number="1380")),  # full-width digits
    ("0519x", Query("0519x", id_card="0519X")),  # an ID-card number's end, x in either case
    ("11010519491231002x", Query("11010519491231002x", id_card="11010519491231002X")),
    ("zy-hb", Query("zy-hb", number="ZY-HB")),  # a dossier number's piece
    ("SQ-A", Query("SQ-A", number="SQ-A")),
    ("HB01", Query("HB01", terms=("hb01",), number="HB01")),  # a code: in a company name or a number
    ("12", Query("12", terms=("12",))),  # too short for a phone: text
])
def test_a_typed_fragment_is_told_by_its_kind(typed, expected):
    assert parse(typed) == expected


def test_an_empty_box_or_bare_punctuation_is_no_search():
    assert not parse("   ") and not parse("-") and not parse("·")


# Finding staff by fragment ---------------------------------------------------------------------


@pytest.fixture
def staff(make_user):
    people = {}
    for username, name, mobile in [("zxy", "张秀英", "13800138000"), ("zs", "张三", "13912345678"),
                                   ("zq", "曾强", "13603120001"), ("lxl", "李秀兰", "0312-5551234")]:
        people[name] = staff_profile_ensure(user=make_user(username), name=name, mobile=mobile)
    return people


def found(typed):
    return sorted(StaffProfile.objects.search(typed).values_list("name", flat=True))


@pytest.mark.parametrize("typed, names", [
    ("秀", ["张秀英", "李秀兰"]),  # a character from the middle
    ("秀英", ["张秀英"]),  # the given name without the surname
    ("张", ["张三", "张秀英"]),
    ("xiuying", ["张秀英"]),  # pinyin
    ("Zhang San", ["张三"]),  # pinyin in words, any case
    ("zs", ["张三"]),  # initials: 张秀英 is zxy
    ("zxy", ["张秀英"]),
    ("zeng", ["曾强"]),  # a surname's own reading
    ("8000", ["张秀英"]),  # 尾号
    ("+86 138-0013-8000", ["张秀英"]),  # a phone as it is typed
    ("5551234", ["李秀兰"]),  # a landline's number
    ("03125551234", ["李秀兰"]),  # with its area code, without the dash
    ("王", []),
    ("12", []),
])
def test_staff_are_found_by_any_fragment_of_name_pinyin_or_mobile(staff, typed, names):
    assert found(typed) == names


def test_the_staff_list_searches_by_pinyin_initials(login, clerk, staff):
    page = login(clerk).get(reverse("staff_list"), {"q": "zs"})
    assert [row.name for row in page.context["page"]] == ["张三"]


# The search column follows the names -----------------------------------------------------------


def test_a_renamed_profile_is_found_by_its_new_name_and_the_trail_does_not_show_the_column(clerk, staff):
    profile = staff["张三"]
    staff_profile_update(profile=profile, by=clerk, data={"name": "王五"}, expected_version=profile.version)
    assert found("ww") == ["王五"] and found("zs") == []
    entry = AuditEntry.objects.filter(action="salesdesk.staff_profile.updated").latest("pk")
    assert "search" not in entry.changes and entry.changes["name"] == ["张三", "王五"]
    assert "search" not in audit.snapshot(profile)


def test_every_orm_write_keeps_the_search_column(make_user, staff):
    profile = staff["张三"]
    profile.name = "赵六"
    profile.save(update_fields=["name"])
    assert StaffProfile.objects.get(pk=profile.pk).search == search_text("赵六")
    made = StaffProfile.objects.bulk_create([StaffProfile(user=make_user("qian"), name="钱七")])
    assert StaffProfile.objects.get(pk=made[0].pk).search == search_text("钱七")
    rows = list(StaffProfile.objects.filter(name__in=["钱七", "赵六"]))
    for row in rows:
        row.name = row.name + "甲"
    StaffProfile.objects.bulk_update(rows, ["name"])
    assert found("zlj") == ["赵六甲"] and found("qqj") == ["钱七甲"]
    StaffProfile.objects.filter(pk=profile.pk).update(name="孙八")
    assert found("sb") == ["孙八"]


# The quick search in the header ----------------------------------------------------------------


def quick(client, user, typed):
    client.force_login(user)
    response = client.get(reverse("search"), {"q": typed})
    assert response.status_code == 200
    return response


def test_every_page_has_the_quick_search_in_its_header(login, clerk):
    page = login(clerk).get(reverse("dashboard")).content.decode()
    assert re.search(r'<form action="%s" method="get"[^>]*role="search"' % reverse("search"), page)


def test_the_quick_search_finds_staff_with_their_mobile_masked(client, clerk, staff):
    response = quick(client, clerk, "8000")
    groups = response.context["groups"]
    staff_group = next(group for group in groups if group["hits"] and group["hits"][0].record.__class__ is StaffProfile)
    assert [hit.title for hit in staff_group["hits"]] == ["张秀英"]
    page = response.content.decode()
    assert "138****8000" in page and "13800138000" not in page
    assert reverse("reveal", args=["salesdesk.staffprofile", staff["张秀英"].pk, "mobile"]) in page  # the clerk may unmask
    assert reverse("staff_edit", args=[staff["张秀英"].pk]) in page  # one click to the record


def test_a_member_granted_the_staff_archive_sees_it_masked_without_a_reveal(client, make_user, manager, staff):
    member = make_user("member_staff", Role.MEMBER)
    grant(member, manager, scope=AccessRequest.Scope.CATEGORY, category="staff")
    page = quick(client, member, "8000").content.decode()
    assert "138****8000" in page and "13800138000" not in page
    assert reverse("reveal", args=["salesdesk.staffprofile", staff["张秀英"].pk, "mobile"]) not in page
    assert f'{reverse("staff_list")}?q=' in page  # the list with that person, not the edit form


def test_someone_who_may_search_nothing_is_told_so(client, repair, staff):
    response = quick(client, repair, "张")
    assert response.context["groups"] == []
    assert says(response, "There is nothing you may search.")


def test_each_registered_provider_is_asked_and_its_more_link_keeps_the_query(client, clerk, staff, monkeypatch):
    asked = []

    def provider(user, query, limit):
        asked.append((user, query.terms, limit))
        return [audit_hit(n) for n in range(limit)]

    def audit_hit(n):
        from salesdesk.search import Hit

        return Hit(f"第{n}条", "/")

    providers = registry.search_providers() + [registry.SearchProvider("测试", provider, "staff_list", 99)]
    monkeypatch.setattr(registry, "search_providers", lambda: providers)
    response = quick(client, clerk, "张")
    assert asked == [(clerk, ("张",), 11)]
    group = response.context["groups"][-1]
    assert len(group["hits"]) == 10 and group["more_url"] == f"{reverse('staff_list')}?q=%E5%BC%A0"
