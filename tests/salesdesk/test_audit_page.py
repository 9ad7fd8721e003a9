"""The audit page: it speaks in plain words (labels, people's names, local time, page titles, the
action's code only in a tooltip), and each of its filters returns exactly the entries it names."""

import datetime
import re
from html import unescape

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import translation

from customers import services as archive
from customers.models import Customer, Dealer
from salesdesk import audit, registry, services
from salesdesk.models import AccessRequest, AuditEntry, Role
from tests.helpers import chinese

UTC = datetime.timezone.utc


@pytest.fixture
def manager(make_user):
    return make_user("manager", Role.MANAGER, name="钱明华")


@pytest.fixture
def developer(make_user):
    return make_user("developer", Role.DEVELOPER, name="周海涛")


@pytest.fixture
def member(make_user):
    return make_user("member", Role.MEMBER, name="李强")


def audit_page(client, user, **query):
    client.force_login(user)
    response = client.get(reverse("audit_list"), query)
    assert response.status_code == 200
    return response


def shown_text(response):
    """What a person reads on the page: the text between the tags, without any attribute (so
    without the `title` tooltips and the options' values)."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", html)))


def listed(response):
    return [entry.pk for entry in response.context["page"]]


def entry_at(moment, *, action="customers.customer.updated", by=None, record="", changes=None, data=None):
    entry = AuditEntry.objects.create(actor=by, action=action, object_repr=record, changes=changes or {}, data=data or {})
    AuditEntry.objects.filter(pk=entry.pk).update(at=moment)
    return entry


# What the page says ---------------------------------------------------------------------------


@pytest.fixture
def trail(client, manager, developer, member, make_dealer):
    """A phone change, an unmasked view through the dealer's edit form, and an access request
    approved at 2026-01-01 16:30 UTC (00:30 the next day in Asia/Shanghai)."""
    dealer = make_dealer()  # a draft, entered by the market developer
    archive.dealer_update(dealer=dealer, by=developer, data={"legal_rep_phone": "13903129999"}, expected_version=dealer.version)
    client.force_login(developer)
    assert client.get(reverse("customers:dealer_edit", kwargs={"pk": dealer.pk})).status_code == 200
    with time_machine.travel(datetime.datetime(2026, 1, 1, 16, 30, tzinfo=UTC), tick=False):
        request = services.access_request_create(by=member, scope="all", reason="核对客户回访记录", days=7)
        services.access_request_approve(request=request, by=manager)
    return dealer


def test_the_page_shows_no_column_route_or_action_name(client, manager, trail):
    text = shown_text(audit_page(client, manager))
    for word in ("legal_rep_phone", "principal_phone", "contact_phone", "customers.dealer_edit", "dealer_edit",
                 "valid_until", "valid_from", "decided_by", "decided_at"):
        assert word not in text
    for action in AuditEntry.objects.values_list("action", flat=True):
        assert action not in text
    assert not re.search(r"\b(customers|salesdesk)\.\w", text)


def test_the_page_says_fields_routes_and_actions_in_words(client, manager, trail):
    response = audit_page(client, manager)
    text = shown_text(response)
    assert chinese(Dealer._meta.get_field("legal_rep_phone").verbose_name) in text
    assert "经销商编辑页" in text  # the route customers.dealer_edit, as the page's title
    assert chinese("Personal data viewed unmasked") in text
    assert chinese("Access request approved") in text
    assert "139****9999" in text  # the new phone, masked as the trail keeps it
    html = response.content.decode()
    assert 'title="salesdesk.access_request.approved"' in html  # the code, for whoever needs it
    assert 'title="customers.dealer.updated"' in html


def test_the_page_names_people_and_shows_local_time(client, manager, trail):
    text = shown_text(audit_page(client, manager))
    assert "钱明华" in text and "周海涛" in text and "李强" in text
    # approved at 2026-01-01T16:30Z: the entry's time, its decision time and its start are local
    assert "2026-01-02 00:30" in text
    assert "2026-01-09 00:30" in text  # valid until, seven days on
    assert "2026-01-01 16:30" not in text and "+00:00" not in text


def test_decided_by_shows_the_deciders_name(manager, trail):
    approval = AuditEntry.objects.get(action="salesdesk.access_request.approved")
    with translation.override("zh-hans"):
        lines = {str(label): (before, after) for label, before, after in audit.change_lines(approval)}
    assert lines[chinese(AccessRequest._meta.get_field("decided_by").verbose_name)] == (None, "钱明华")
    assert approval.changes["decided_by"] == [None, "manager"]


def test_a_person_without_a_name_is_shown_by_user_name(client, manager, make_user):
    nameless = make_user("wangjia", Role.CLERK, name="")
    entry_at(datetime.datetime(2026, 3, 1, 2, 0, tzinfo=UTC), by=nameless, record="王佳")
    assert "wangjia" in shown_text(audit_page(client, manager))


def test_empty_to_empty_changes_are_not_shown(client, manager, make_customer):
    customer = make_customer(notes="")
    entry = AuditEntry.objects.get(action="customers.customer.created", object_id=str(customer.pk))
    assert entry.changes["notes"] == [None, ""] and entry.changes["machinery"] == [None, ""]
    notes, machinery, address = (chinese(Customer._meta.get_field(name).verbose_name) for name in ("notes", "machinery", "address"))
    with translation.override("zh-hans"):
        labels = [str(label) for label, before, after in audit.change_lines(entry)]
    assert notes not in labels and machinery not in labels
    assert address in labels
    text = shown_text(audit_page(client, manager))
    assert f"{notes}:" not in text and f"{address}:" in text


def test_the_action_is_chosen_by_its_label(client, manager):
    html = audit_page(client, manager).content.decode()
    choices = dict(registry.action_label_choices())
    assert "customers.dealer.updated" in choices and "salesdesk.pii.viewed" in choices
    label = chinese("Dealer dossier changed")
    assert f'<option value="customers.dealer.updated">{label}</option>' in html
    assert "操作代码前缀" not in html


def test_the_person_is_chosen_by_name(client, manager, developer):
    html = audit_page(client, manager).content.decode()
    assert f'<option value="{developer.pk}">周海涛</option>' in html


# Each filter returns exactly its entries ------------------------------------------------------


def test_one_day_is_the_local_day(client, manager):
    """Asia/Shanghai is UTC+8: the local 2 March runs from 1 March 16:00 UTC to 2 March 16:00 UTC."""
    before = entry_at(datetime.datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC))  # 1 March 23:59:59 local
    first = entry_at(datetime.datetime(2026, 3, 1, 16, 0, tzinfo=UTC))  # 2 March 00:00 local
    last = entry_at(datetime.datetime(2026, 3, 2, 15, 59, 59, tzinfo=UTC))  # 2 March 23:59:59 local
    after = entry_at(datetime.datetime(2026, 3, 2, 16, 0, tzinfo=UTC))  # 3 March 00:00 local
    assert listed(audit_page(client, manager, since="2026-03-02", until="2026-03-02")) == [last.pk, first.pk]
    assert listed(audit_page(client, manager, since="2026-03-02")) == [after.pk, last.pk, first.pk]
    assert listed(audit_page(client, manager, until="2026-03-01")) == [before.pk]


def test_the_day_filter_is_a_range_on_at_not_a_cast(db):
    from salesdesk.filters import AuditFilter

    query = AuditFilter({"since": "2026-03-02", "until": "2026-03-02"}, queryset=AuditEntry.objects.all()).qs.query
    sql, params = query.sql_with_params()
    in_utc = [p.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if isinstance(p, datetime.datetime) else p for p in params]
    assert in_utc == ["2026-03-01 16:00:00", "2026-03-02 16:00:00"]  # SQLite's parameters are UTC text
    assert '"at" >= %s' in sql and '"at" < %s' in sql  # the column itself, which its indexes serve
    assert "DATE" not in sql.upper() and "CAST" not in sql.upper()


def test_the_action_filter(client, manager):
    moment = datetime.datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    changed = [entry_at(moment + datetime.timedelta(minutes=n), action="customers.dealer.updated") for n in range(3)]
    entry_at(moment, action="customers.dealer.updated_extra")  # starts the same: not the same action
    entry_at(moment, action="customers.customer.updated")
    assert listed(audit_page(client, manager, action="customers.dealer.updated")) == [e.pk for e in reversed(changed)]


def test_the_person_filter(client, manager, developer, member):
    moment = datetime.datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    theirs = [entry_at(moment + datetime.timedelta(minutes=n), by=developer) for n in range(2)]
    entry_at(moment, by=member)
    entry_at(moment)
    assert listed(audit_page(client, manager, actor=developer.pk)) == [e.pk for e in reversed(theirs)]


@pytest.mark.parametrize("fragment", ["秀", "秀英", "张秀英", "sq-a", "丰收农机"])
def test_the_record_filter_finds_any_fragment_of_the_name(client, manager, fragment):
    moment = datetime.datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    names = ["张秀英", "李秀英", "王秀兰", "保定丰收农机销售有限公司", "SQ-A-HBBD-0001", "刘强"]
    entries = {name: entry_at(moment + datetime.timedelta(minutes=n), record=name) for n, name in enumerate(names)}
    expected = [entries[name].pk for name in reversed(names) if fragment.upper() in name.upper()]
    assert expected
    assert listed(audit_page(client, manager, record=fragment)) == expected


def test_the_filters_combine(client, manager, developer):
    moment = datetime.datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # 2 March local
    wanted = entry_at(moment, action="customers.dealer.updated", by=developer, record="保定丰收农机")
    entry_at(moment, action="customers.dealer.updated", by=developer, record="沧州金穗农机")
    entry_at(moment, action="customers.customer.updated", by=developer, record="保定丰收农机")
    entry_at(moment - datetime.timedelta(days=1), action="customers.dealer.updated", by=developer, record="保定丰收农机")
    query = {"action": "customers.dealer.updated", "actor": developer.pk, "record": "丰收", "since": "2026-03-02",
             "until": "2026-03-02"}
    assert listed(audit_page(client, manager, **query)) == [wanted.pk]


# The indexes behind the filters (PostgreSQL) --------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_record_search_indexes_exist_and_serve_the_filter():
    if connection.vendor != "postgresql":
        pytest.skip("GIN indexes are PostgreSQL's")
    from salesdesk.filters import AuditFilter

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [AuditEntry._meta.db_table])
        indexes = dict(cursor.fetchall())
        assert "gin" in indexes["audit_record_trgm"] and "gin_trgm_ops" in indexes["audit_record_trgm"]
        assert "upper" in indexes["audit_record_trgm"].lower()
        assert "salesdesk_short_grams" in indexes["audit_record_grams"]
        assert {"audit_action_at_id", "audit_actor_at_id", "audit_at_id"} <= set(indexes)
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # what is left is a bitmap scan, on the index that fits
        for fragment, index in (("秀英张", "audit_record_trgm"), ("秀英", "audit_record_grams"), ("秀", "audit_record_grams")):
            sql, params = AuditFilter({"record": fragment}, queryset=AuditEntry.objects.all()).qs.query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert f"Bitmap Index Scan on {index}" in plan, plan
