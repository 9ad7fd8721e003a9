"""End to end in chromium: the clerk types a phone's last 4 digits into the header's search box,
sees the customer with the number masked, and opens the record in one click; the box fits the
header on a desktop and on a phone."""

import pytest
from playwright.sync_api import expect


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width, height", [(1366, 800), (390, 844)])
def test_the_clerk_finds_a_customer_by_the_phone_tail_from_the_header(page, live_server, log_in, clerk, make_customer,
                                                                      width, height):
    customer = make_customer(name="张秀英", phone="13800138000")
    page.set_viewport_size({"width": width, "height": height})
    log_in(clerk)
    if width < 992:
        page.click(".navbar-toggler")  # the header folds behind its menu button on a phone
    box = page.locator("form.sd-quick-search input[name=q]")
    box.fill("8000")
    box.press("Enter")
    expect(page.locator("h1")).to_contain_text("8000")
    hit = page.locator(".sd-search-group a", has_text="张秀英")
    expect(hit).to_be_visible()
    expect(page.locator(".sd-search-group").first).to_contain_text("138****8000")
    assert "13800138000" not in page.content()
    hit.click()
    page.wait_for_url(f"{live_server.url}/archives/customers/{customer.pk}/")
