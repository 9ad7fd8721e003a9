"""End to end in chromium: a developer submits an intake, the manager approves it, the clerk
files it and sees its number."""

import re

import pytest
from playwright.sync_api import expect

from customers.models import Dealer


@pytest.mark.django_db(transaction=True)
def test_intake_is_submitted_approved_and_filed_with_its_number(page, live_server, log_in, developer, manager, clerk, region):
    # The developer fills in the Annex 1 intake and submits it.
    log_in(developer)
    page.goto(f"{live_server.url}/archives/dealers/new/")
    page.fill("#id_company", "保定金穗农机销售有限公司")
    page.select_option("#id_region", str(region.pk))
    page.fill("#id_address", "保定市莲池区东风路88号")
    page.fill("#id_contact", "王佳")
    page.fill("#id_contact_phone", "13903120001")
    page.fill("#id_legal_rep", "张伟")
    page.fill("#id_legal_rep_birthday", "1975-08-15")
    page.select_option("#id_legal_rep_birthday_calendar", "lunar")
    page.click("main form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("保定金穗农机销售有限公司")
    page.click("a[href$='/submit/']")
    page.click("main form button[type=submit]")
    expect(page.locator(".alert-success")).to_be_visible()
    dealer = Dealer.objects.get(company="保定金穗农机销售有限公司")
    assert dealer.status == Dealer.Status.SUBMITTED
    assert dealer.birthdays.get().calendar == "lunar"

    # The manager reviews it and signs.
    log_in(manager)
    page.goto(f"{live_server.url}/archives/dealers/{dealer.pk}/")
    page.click("a[href$='/approve/']")
    page.fill("#id_comment", "资料属实，同意建档。")
    page.click("main form button[type=submit]")
    expect(page.locator(".alert-success")).to_be_visible()

    # The clerk files it and sees its Annex 2 number.
    log_in(clerk)
    page.goto(f"{live_server.url}/archives/dealers/?status=approved")
    page.click("text=保定金穗农机销售有限公司")
    page.click("a[href$='/file/']")
    page.click("main form button[type=submit]")
    expect(page.locator("#resource-number")).to_have_text("ZY-HBBD-0001")
    expect(page.locator(".alert-success")).to_contain_text("ZY-HBBD-0001")
    dealer.refresh_from_db()
    assert (dealer.status, dealer.resource_number, dealer.reviewed_by, dealer.filed_by) == (
        Dealer.Status.FILED, "ZY-HBBD-0001", manager, clerk,
    )
    assert re.search(r"ZY-HBBD-0001", page.content())
