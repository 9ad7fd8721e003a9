"""Two clerks edit the same dossier: the first save wins, the second is refused and told why."""

import pytest
from django.test import Client

from customers import services as archive
from customers.models import Customer, Dealer
from salesdesk.errors import ConflictError
from salesdesk.models import AuditEntry, Role
from tests.helpers import says


@pytest.fixture
def clerk2(make_user):
    return make_user("clerk2", Role.CLERK)


def browser_for(user):
    client = Client()
    client.force_login(user)
    return client


def form_data(response):
    """What the browser would send back for the form on `response`, as it was rendered."""
    form = response.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    return data


def both_save(record, first, second):
    """`first` and `second`, each (clerk, changes), open the edit form of `record`; then each saves
    their changes, in that order. Returns the two answers."""
    url = f"/archives/{record._meta.model_name}s/{record.pk}/edit/"
    (first_clerk, first_changes), (second_clerk, second_changes) = first, second
    first_browser, second_browser = browser_for(first_clerk), browser_for(second_clerk)
    mine, theirs = form_data(first_browser.get(url)), form_data(second_browser.get(url))
    assert mine["version"] == theirs["version"] == record.version
    return first_browser.post(url, {**mine, **first_changes}), second_browser.post(url, {**theirs, **second_changes})


# Either dossier ------------------------------------------------------------------------------


@pytest.mark.parametrize("dossier, mine, theirs", [
    ("customer", {"address": "保定市莲池区1号", "crops": "小麦"}, {"address": "保定市竞秀区2号", "crops": "玉米"}),
    ("dealer", {"contact": "赵敏", "notes": "第一位"}, {"contact": "钱峰", "notes": "第二位"}),
])
def test_second_save_is_refused_and_the_first_stays(request, clerk, clerk2, dossier, mine, theirs):
    record = request.getfixturevalue(dossier)
    assert record.version == 1

    saved, refused = both_save(record, (clerk, mine), (clerk2, theirs))

    assert saved.status_code == 302
    assert refused.status_code == 400
    assert says(refused, ConflictError().message)

    record.refresh_from_db()
    assert ({field: getattr(record, field) for field in mine}, record.version) == (mine, 2)
    updates = AuditEntry.objects.filter(action=f"customers.{dossier}.updated", object_id=str(record.pk))
    assert updates.count() == 1
    assert updates.get().actor == clerk


# End customers -------------------------------------------------------------------------------


@pytest.fixture
def customer(make_customer):
    return make_customer(name="李强", address="保定市清苑区")


def test_edit_form_carries_the_version_it_was_opened_at(clerk, customer):
    response = browser_for(clerk).get(f"/archives/customers/{customer.pk}/edit/")

    assert response.status_code == 200
    assert form_data(response)["version"] == 1
    assert 'name="version"' in response.content.decode()


def test_reopening_after_a_conflict_lets_the_second_clerk_save(clerk, clerk2, customer):
    first, second = browser_for(clerk), browser_for(clerk2)
    url = f"/archives/customers/{customer.pk}/edit/"
    theirs = form_data(second.get(url))
    first.post(url, {**form_data(first.get(url)), "crops": "小麦"})
    assert second.post(url, {**theirs, "crops": "玉米"}).status_code == 400

    fresh = form_data(second.get(url))
    response = second.post(url, {**fresh, "crops": "玉米"})

    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.crops, customer.version) == ("玉米", 3)


def test_second_customer_save_keeps_the_birthday_of_the_first(clerk, clerk2, customer):
    saved, refused = both_save(
        customer,
        (clerk, {"customer_birthday": "1970-03-15", "customer_birthday_calendar": "solar"}),
        (clerk2, {"customer_birthday": "1971-04-20", "customer_birthday_calendar": "solar"}),
    )

    assert (saved.status_code, refused.status_code) == (302, 400)
    birthday = customer.birthdays.get()
    assert (birthday.year, birthday.month, birthday.day) == (1970, 3, 15)


def test_customer_service_refuses_a_stale_version(clerk, clerk2, customer):
    archive.customer_update(customer=customer, by=clerk, data={"crops": "小麦"}, expected_version=1)

    stale = Customer.objects.get(pk=customer.pk)
    with pytest.raises(ConflictError):
        archive.customer_update(customer=stale, by=clerk2, data={"crops": "玉米"}, expected_version=1)

    customer.refresh_from_db()
    assert (customer.crops, customer.version) == ("小麦", 2)


# Dealers -------------------------------------------------------------------------------------


@pytest.fixture
def dealer(make_dealer):
    return make_dealer(Dealer.Status.DRAFT)


def test_a_dealer_step_taken_meanwhile_makes_an_open_edit_form_stale(clerk, developer, manager, dealer):
    """The developer submits while the clerk has the form open: the clerk's save is refused."""
    clerk_browser = browser_for(clerk)
    url = f"/archives/dealers/{dealer.pk}/edit/"
    mine = form_data(clerk_browser.get(url))
    archive.dealer_intake_submit(dealer=dealer, by=developer)
    archive.dealer_intake_return(dealer=dealer, by=manager, reason="补资料")  # editable again, version 3

    response = clerk_browser.post(url, {**mine, "notes": "旧表单"})

    assert response.status_code == 400
    assert says(response, ConflictError().message)
    assert Dealer.objects.get(pk=dealer.pk).notes == ""


def test_dealer_service_refuses_a_stale_version(clerk, clerk2, dealer):
    archive.dealer_update(dealer=dealer, by=clerk, data={"notes": "第一位"}, expected_version=1)

    stale = Dealer.objects.get(pk=dealer.pk)
    with pytest.raises(ConflictError):
        archive.dealer_update(dealer=stale, by=clerk2, data={"notes": "第二位"}, expected_version=1)

    dealer.refresh_from_db()
    assert (dealer.notes, dealer.version) == ("第一位", 2)


def test_refused_dealer_save_leaves_birthdays_alone(clerk, clerk2, dealer):
    archive.dealer_update(
        dealer=dealer, by=clerk, data={"notes": "第一位"}, expected_version=1,
        birthdays={"contact": {"calendar": "solar", "year": 1980, "month": 5, "day": 1, "is_leap_month": False}},
    )

    with pytest.raises(ConflictError):
        archive.dealer_update(
            dealer=Dealer.objects.get(pk=dealer.pk), by=clerk2, data={"notes": "第二位"}, expected_version=1,
            birthdays={"contact": {"calendar": "lunar", "year": 1980, "month": 6, "day": 2, "is_leap_month": False}},
        )

    birthday = dealer.birthdays.get(person="contact")
    assert (birthday.calendar, birthday.month, birthday.day) == ("solar", 5, 1)
