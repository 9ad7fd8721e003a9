"""Every response that carries personal data says `Cache-Control: no-store` (issue 10, finding 8):
no browser cache or proxy keeps a customer's page, a scan or an export after the clerk has gone."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from customers import document_services
from customers.models import Dealer
from salesdesk.services import staff_profile_ensure
from tests.conftest import PDF


@pytest.fixture
def records(clerk, make_dealer, make_customer):
    return {
        "customer": make_customer(),
        "draft": make_dealer(Dealer.Status.DRAFT),
        "authorized": make_dealer(Dealer.Status.AUTHORIZED),
        "document": document_services.document_create(
            by=clerk, file=ContentFile(PDF, name="部门制度.pdf"),
            data={"title": "售后服务规范", "category": "rule", "document_date": timezone.localdate(), "author": "部门经理"},
        ),
        "profile": staff_profile_ensure(user=clerk, mobile="13903110001"),
    }


PAGES = {  # url name -> kwargs from the records, query
    "customers:customer_detail": (lambda r: {"pk": r["customer"].pk}, {}),
    "customers:customer_edit": (lambda r: {"pk": r["customer"].pk}, {}),
    "customers:customer_list": (None, {}),
    "customers:dealer_detail": (lambda r: {"pk": r["authorized"].pk}, {}),
    "customers:dealer_edit": (lambda r: {"pk": r["draft"].pk}, {}),
    "customers:dealer_card": (lambda r: {"pk": r["authorized"].pk}, {}),
    "customers:dealer_agreement": (lambda r: {"pk": r["authorized"].pk}, {}),
    "customers:document_download": (lambda r: {"pk": r["document"].pk, "number": 1}, {}),
    "customers:customer_export": (None, {"format": "xlsx"}),
    "customers:dealer_export": (None, {"format": "csv"}),
    "staff_export": (None, {"format": "xlsx"}),
    "staff_list": (None, {}),
    "staff_edit": (lambda r: {"pk": r["profile"].pk}, {}),
}


def no_store(response):
    return "no-store" in response.get("Cache-Control", "")


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_personal_data_is_never_stored(client, clerk, records, name):
    kwargs_of, query = PAGES[name]
    client.force_login(clerk)
    response = client.get(reverse(name, kwargs=kwargs_of(records) if kwargs_of else None), query)
    assert response.status_code == 200
    assert no_store(response), response.get("Cache-Control")
    assert "private" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_revealed_number_is_never_stored(client, manager, records):
    client.force_login(manager)
    url = reverse("reveal", kwargs={"model": "customers.customer", "pk": records["customer"].pk, "field": "phone"})
    response = client.post(url)
    assert response.status_code == 200 and records["customer"].phone in response.content.decode()
    assert no_store(response)

