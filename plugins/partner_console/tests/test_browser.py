"""The partner console in a real browser, against a live `panel serve` with the demo data.

Staff make Alice Web Studio a partner; Alice asks Bob to manage his bakery and creates an
organization for a new customer, Zed; both owners approve (Zed first chooses a password
from the emailed link); Alice manages both, is stopped by the deny list with the reason,
goes back and forth; Bob revokes, and Alice's very next page no longer shows his bakery;
Bob sees what Alice did in his audit log. With JavaScript (htmx) and without.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))
from browser_support import LiveServer, launch_chromium, start_live_server

pytestmark = pytest.mark.browser
NEW_PASSWORD = "zed's long enough password"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, smtp_server: Any) -> Iterator[LiveServer]:
    """A live panel with the partner console enabled, sending email to the test's SMTP server."""
    env = {"PANEL_SMTP_URL": smtp_server.url, "PANEL_PLUGINS": "partner_console"}
    yield from start_live_server(tmp_path_factory.mktemp("partner-live"), "partners", env)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with launch_chromium() as browser:
        yield browser


def _login(browser: Any, live: LiveServer, email: str, password: str, javascript: bool, account: str = "") -> Any:
    page = browser.new_context(java_script_enabled=javascript).new_page()
    page.goto(f"{live.base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    if account and "/accounts/choose" in page.url:
        button = page.locator("ul.account-list button", has_text=account)
        button.first.click()
        page.wait_for_url(f"{live.base}/")
    return page


def _mail_link(smtp_server: Any, to: str, pattern: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for message in reversed([m for m in list(smtp_server.messages) if to in str(m["To"])]):
            found = re.search(pattern, message.get_body(preferencelist=("plain",)).get_content())
            if found:
                return found.group(0)
        time.sleep(0.05)
    raise AssertionError(f"no email to {to} with {pattern}")


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_a_partner_manages_two_customers_is_stopped_by_the_deny_list_and_loses_access_on_revocation(
    live: LiveServer, chromium: Any, smtp_server: Any, javascript: bool
) -> None:
    pw = live.passwords
    # the no-JavaScript run follows the htmx one: Bob revoked the studio there, so his bakery is free again
    partner_name = "Alice Web Studio" if javascript else "Alice Personal"
    bob_account = "Bob's Bakery"
    zed = "zed-js@example.test" if javascript else "zed-nojs@example.test"
    new_org = "Zed Co" if javascript else "Zed Nojs Co"

    # staff make the account a partner
    admin = _login(chromium, live, "admin@example.com", pw["admin@example.com"], javascript)
    admin.goto(f"{live.base}/admin/clients")
    assert admin.locator("tr", has_text=partner_name).count() == 1, admin.content()[:3000]
    row = admin.locator("tr", has_text=partner_name).first.inner_html()
    account_id = re.search(r"/admin/clients/(\d+)", row).group(1)  # type: ignore[union-attr]
    admin.goto(f"{live.base}/admin/partners")
    admin.fill("#account_id", account_id)
    admin.click("button:has-text('Make partner')")
    admin.wait_for_selector(f"[data-testid=partner-{account_id}]")

    # Alice asks Bob, and creates an organization for Zed
    alice = _login(chromium, live, "alice@example.com", pw["alice@example.com"], javascript, partner_name)
    alice.click("nav.sidenav >> text=Partner console")
    alice.wait_for_selector("[data-testid=children]")
    alice.fill("#email", "bob@example.com")
    alice.click("button:has-text('Send the request')")
    alice.wait_for_selector("[data-testid=notice]")
    alice.fill("#name", new_org)
    alice.fill("#owner_email", zed)
    alice.click("button:has-text('Create and ask the owner')")
    alice.wait_for_selector("[data-testid=notice]")
    assert alice.locator("text=waiting for the owner").count() == 2

    # both owners approve
    bob = _login(chromium, live, "bob@example.com", pw["bob@example.com"], javascript, bob_account)
    bob.goto(f"{live.base}/partner-requests")
    request = bob.locator("section", has_text=partner_name).first
    request.locator("select").select_option(label=bob_account)
    request.locator("button:has-text('Approve')").click()
    bob.wait_for_selector("[data-testid=notice]")
    link = _mail_link(smtp_server, zed, re.escape(live.base) + r"/password/reset/\S+")
    zpage = chromium.new_context(java_script_enabled=javascript).new_page()
    zpage.goto(link)
    zpage.fill("#password", NEW_PASSWORD)
    zpage.fill("#confirm_password", NEW_PASSWORD)
    zpage.click("button[type=submit]")
    zpage.wait_for_url(lambda url: "/password/reset/" not in url)
    zpage = _login(chromium, live, zed, NEW_PASSWORD, javascript)
    zpage.goto(f"{live.base}/partner-requests")
    zpage.click("button:has-text('Approve')")
    zpage.wait_for_selector("[data-testid=notice]")

    # Alice manages the bakery: the banner, an owner's page, and the deny list with its reason
    alice.goto(f"{live.base}/partner")
    alice.locator("tr", has_text=bob_account).locator("button:has-text('Manage')").click()
    alice.wait_for_selector("[data-testid=managing-banner]")
    assert bob_account in alice.inner_text("[data-testid=managing-banner]")
    assert alice.locator("[data-testid=arrange-dashboard]").count() == 0
    assert "Referrals" not in alice.inner_text("nav.sidenav")
    alice.goto(f"{live.base}/account/referrals")
    assert "denied by p, role:partner_delegate, *, referral:*" in alice.inner_text("[data-testid=deny-reason]")
    alice.goto(f"{live.base}/account/users")
    assert alice.locator("form[action='/account/users/ownership']").count() == 0
    alice.goto(f"{live.base}/account/details")
    alice.fill("#own-phone", "+1 555 0199")
    alice.locator("form[action='/account/details'] button[type=submit]").first.click()
    alice.wait_for_url("**/account/details?done=saved")
    assert alice.input_value("#own-phone") == "+1 555 0199"

    # back to the console, then the second customer
    alice.click("[data-testid=stop-managing]")
    alice.wait_for_selector("[data-testid=children]")
    alice.locator("tr", has_text=new_org).locator("button:has-text('Manage')").click()
    alice.wait_for_selector("[data-testid=managing-banner]")
    assert new_org in alice.inner_text("[data-testid=managing-banner]")
    alice.click("[data-testid=stop-managing]")
    alice.wait_for_selector("[data-testid=children]")
    alice.locator("tr", has_text=bob_account).locator("button:has-text('Manage')").click()
    alice.wait_for_selector("[data-testid=managing-banner]")

    # Bob revokes; Alice's next page is her own account, and the bakery is gone from her list
    bob.goto(f"{live.base}/account/partner")
    bob.click("[data-testid=revoke]")
    bob.wait_for_selector("text=no longer sees or changes anything")
    alice.goto(f"{live.base}/")
    assert alice.locator("[data-testid=managing-banner]").count() == 0
    assert alice.inner_text("[data-testid=current-account]") == partner_name
    alice.goto(f"{live.base}/partner")
    assert alice.locator("tr", has_text=bob_account).count() == 0
    assert alice.locator("tr", has_text=new_org).count() == 1

    # Bob sees what the partner did
    bob.goto(f"{live.base}/account/audit")
    log = bob.inner_text("[data-testid=audit-events]")
    assert f"for partner {partner_name}" in log and "partner.manage.start" in log
