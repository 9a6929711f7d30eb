"""A client's day in a real browser: home -> services -> a service -> invoices -> pay ->
open a ticket -> reply -> close; with htmx and without JavaScript.

Runs against `panel serve` with the demo data: Alice Personal has two live Starter plans
(alice-personal.example, alice-blog.example), an unpaid $5.00 renewal invoice for each
and $25.00 of credit; each run of the test pays one of the invoices.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.browser
SERVICE = "alice-personal.example"


def _log_in(page: Any, base: str, email: str, password: str, account: str) -> None:
    """Log in and work in `account` (the login lands on the account picker or in the account chosen last)."""
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf"{re.escape(base)}/(accounts/choose)?$"))
    if page.url.endswith("/accounts/choose"):
        page.click(f"text={account}")
        page.wait_for_url(f"{base}/")
    elif page.inner_text("[data-testid=current-account]") != account:
        page.click("summary")
        page.click(f"button:has-text('{account}')")
    page.wait_for_selector(f"[data-testid=current-account]:text-is('{account}')")


def _nav(page: Any, label: str) -> None:
    page.click(f"nav.sidenav a:text-is('{label}')")
    page.wait_for_load_state()


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_client_walks_the_client_area(live_server: Any, chromium: Any, javascript: bool) -> None:
    base = live_server.base
    page = chromium.new_context(java_script_enabled=javascript).new_page()
    _log_in(page, base, "alice@example.com", live_server.passwords["alice@example.com"], "Alice Personal")

    # home: the statistics, and the unpaid invoices each with a pay button
    page.goto(f"{base}/")
    assert page.locator("[data-testid='stat-billing.unpaid']").count() == 1
    assert page.locator("[data-testid='stat-billing.credit']").count() == 1
    assert page.locator("main a:has-text('Pay'), main button:has-text('Pay')").count() >= 1

    # services -> the service
    _nav(page, "Services")
    page.wait_for_selector(f"text={SERVICE}")
    page.click(f"a:has-text('{SERVICE}')")
    page.wait_for_url(re.compile(r".*/services/\d+$"))
    assert "Starter" in page.inner_text("main") and "active" in page.inner_text("main").lower()

    # invoices -> an unpaid invoice -> pay from credit
    _nav(page, "Invoices")
    page.click("main tr:has-text('unpaid') a >> nth=0")
    page.wait_for_url(re.compile(r".*/invoices/\d+.*"))
    assert page.inner_text("[data-testid=invoice-status] >> nth=0").startswith("unpaid")
    page.click("[data-testid=pay-credit] button[type=submit]")
    page.wait_for_selector("text=the invoice is paid")
    assert page.inner_text("[data-testid=invoice-status] >> nth=0") == "paid"

    # support: open a ticket, reply, close
    subject = f"Mail bounces ({'js' if javascript else 'no js'})"
    _nav(page, "Support")
    page.click("[data-testid=open-ticket]")
    technical = page.locator("select[name=department] option", has_text="Technical support").get_attribute("value")
    page.select_option("select[name=department]", value=technical)
    page.fill("input[name=subject]", subject)
    page.fill("textarea[name=body]", "Mail to info@ bounces since this morning.")
    page.click("main form button[type=submit]:has-text('Open the ticket')")
    page.wait_for_url(re.compile(r".*/tickets/\d+.*"))
    assert subject in page.inner_text("main")
    assert "Mail to info@ bounces" in page.inner_text("main")

    page.fill("textarea[name=body]", "It works again, thank you.")
    page.click("main form button[type=submit]:has-text('Send the reply')")
    page.wait_for_selector("text=It works again, thank you.")
    page.click("[data-testid=close]")
    page.wait_for_selector("[data-testid=reopen]")
    assert "closed" in page.inner_text("dl.facts").lower()

    page.goto(f"{base}/tickets?show=closed")
    assert subject in page.inner_text("main")
    page.context.close()
