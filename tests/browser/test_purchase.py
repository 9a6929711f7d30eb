"""Buying in a real browser: catalogue -> cart -> checkout as a new customer -> invoice ->
pay with credit -> the service is listed (and staff finish setting it up).

Runs against `panel serve` with the demo data: the main store sells the "Starter"
hosting plan at $50.00 a year without setup fee.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.browser
PASSWORD = "a long enough customer password"


def _log_in_staff(page: Any, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin")


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_buy_a_hosting_plan_end_to_end(live_server, chromium, javascript):
    base = live_server.base
    tag = "js" if javascript else "nojs"
    email, domain = f"new-{tag}@customer.example", f"shop-{tag}.example"
    customer = chromium.new_context(java_script_enabled=javascript).new_page()

    # the catalogue: the product page shows prices and the store's terms
    customer.goto(f"{base}/store/main")
    customer.click("text=Starter")
    customer.wait_for_selector("form.add-to-cart")
    assert "$50.00" in customer.inner_text("main")
    customer.check("#cycle-annual")
    customer.fill("#field-domain", domain)
    customer.click("button:has-text('Add to cart')")

    # the cart, then checkout as a new customer
    customer.wait_for_selector("[data-testid=cart-items]")
    assert domain in customer.inner_text("[data-testid=cart-items]")
    assert customer.inner_text("[data-testid=total]") == "$50.00"
    customer.click("[data-testid=to-checkout]")
    customer.wait_for_selector("#signup")
    customer.fill("#signup-name", "Nina Newbuyer")
    customer.fill("#signup-email", email)
    customer.select_option("#signup-country", "US")
    customer.fill("#signup-password", PASSWORD)
    customer.fill("#signup-confirm_password", PASSWORD)
    customer.fill("#signup-account_name", f"Nina Shop {tag}")
    customer.click("[data-testid=place-order]")

    # logged in, on the order's invoice
    customer.wait_for_url(re.compile(r".*/invoices/\d+.*"))
    invoice_url = customer.url.split("?")[0]
    invoice = customer.inner_text("main")
    assert "Thank you for your order" in invoice and "$50.00" in invoice
    assert customer.inner_text("[data-testid=invoice-status] >> nth=0").startswith("unpaid")
    assert customer.inner_text("[data-testid=current-account]") == f"Nina Shop {tag}"

    # staff give the new account $60 of credit (the client area shows the same balance)
    admin = chromium.new_context(java_script_enabled=javascript).new_page()
    _log_in_staff(admin, base, "admin@example.com", live_server.passwords["admin@example.com"])
    admin.goto(f"{base}/admin/clients?q={email}")
    admin.click(f"text=Nina Shop {tag}")
    admin.click("[data-testid=credit-link]")
    admin.wait_for_selector("[data-testid=adjust-credit]")
    admin.select_option("#adj-currency", "USD")
    admin.fill("#adj-amount", "60.00")
    admin.fill("#adj-reason", "Welcome credit")
    admin.click("button:has-text('Change the credit')")
    admin.wait_for_selector("text=Welcome credit")
    assert "$60.00" in admin.inner_text("[data-testid=credit-balances]")

    # the customer pays from credit: invoice paid, $10 left, the service is listed
    customer.goto(invoice_url)
    customer.click("[data-testid=pay-credit] button[type=submit]")
    customer.wait_for_selector("text=the invoice is paid")
    assert customer.inner_text("[data-testid=invoice-status] >> nth=0") == "paid"
    customer.goto(f"{base}/credit")
    assert "$10.00" in customer.inner_text("main")
    customer.goto(f"{base}/services")
    row = customer.inner_text("[data-testid=services]")
    assert domain in row and "Starter" in row and "$50.00" in row
    assert "pending" in row.lower()  # a hosting plan waits for staff to set it up

    # the provisioning job (the server's worker) opens a set-up task; staff complete it
    task_link = f"tr:has-text('{domain}') a[href^='/admin/tasks/']"
    for _ in range(50):  # the worker looks for jobs every second
        admin.goto(f"{base}/admin/tasks")
        if admin.locator(task_link).count():
            break
        admin.wait_for_timeout(200)
    admin.click(task_link)
    admin.wait_for_selector("[data-testid=task-title]")
    admin.fill("#task-note", "Created on web1")
    for field in ("username", "server"):
        if admin.is_visible(f"#task-{field}"):
            admin.fill(f"#task-{field}", "nina" if field == "username" else "web1.example")
    admin.click("button:has-text('Complete the task')")
    admin.wait_for_url(re.compile(r".*/admin/services/\d+\?done=task"))
    assert admin.inner_text("[data-testid=service-status]") == "active"
    customer.goto(f"{base}/services")
    assert "active" in customer.inner_text("[data-testid=services]").lower()
    customer.context.close()
    admin.context.close()
