"""The empty choice of a drop-down says what it means: 全部 in a filter bar, 请选择 in a form;
never Django's "---------"."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize("url_name", ["customers:dealer_list", "customers:customer_list", "audit_list"])
def test_a_filter_bar_offers_all_not_dashes(url_name, login, manager, region):
    page = login(manager).get(reverse(url_name)).content.decode()
    assert "---------" not in page
    assert ">全部</option>" in page


@pytest.mark.parametrize("url_name", ["customers:customer_create", "customers:dealer_create", "customers:region_create"])
def test_a_form_asks_to_choose_not_dashes(url_name, login, clerk, region):
    page = login(clerk).get(reverse(url_name)).content.decode()
    assert "---------" not in page
    assert ">请选择</option>" in page
