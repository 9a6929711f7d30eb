"""A real browser (Debian's Chromium, driven by Playwright) against a real server."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_log_in_choose_switch_and_see_dashboard(live_server, chromium, javascript, tmp_path):
    base, password = live_server.base, live_server.passwords["alice@example.com"]
    context = chromium.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#email", "alice@example.com")
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/accounts/choose")
    page.click("text=Alice Web Studio")
    page.wait_for_url(f"{base}/")
    assert page.inner_text("[data-testid=dashboard-account]") == "Alice Web Studio"
    # switch from the page's own switcher, one click on the other account
    page.click("summary")
    page.click("button:has-text('Alice Personal')")
    page.wait_for_function("document.querySelector('[data-testid=dashboard-account]')?.innerText === 'Alice Personal'")
    assert page.inner_text("[data-testid=current-account]") == "Alice Personal"
    page.screenshot(path=str(tmp_path / "dashboard.png"))
    context.close()


def test_wrong_password_shows_field_error_in_place(live_server, chromium):
    base = live_server.base
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#email", "alice@example.com")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    page.wait_for_selector("#password-error")
    assert "do not match" in page.inner_text("#password-error")
    assert page.input_value("#email") == "alice@example.com"
    context.close()
