"""The invitation flow in a real browser: invite, the email over SMTP, accept, switch, see what was granted.

`panel serve` runs in its own process and sends its email to the test process's SMTP
server; the test reads the invitation link from the message that arrives.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

pytestmark = pytest.mark.browser
PASSWORD = "a long enough invitee password"


def _invitation_link(smtp_server: Any, to: str, base: str, count: int) -> str:
    """The link in the `count`-th invitation email to `to` (waits up to 10 seconds)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [m for m in list(smtp_server.messages) if to in str(m["To"])]
        if len(found) >= count:
            text = found[count - 1].get_body(preferencelist=("plain",)).get_content()
            match = re.search(re.escape(base) + r"/invitations/[A-Za-z0-9_\-]+", text)
            assert match, text
            return match.group(0)
        time.sleep(0.05)
    raise AssertionError(f"no invitation email #{count} to {to} arrived")


def _invite(page: Any, base: str, email: str, permission: str) -> None:
    page.goto(f"{base}/account/users")
    page.click("[data-testid=invite-link]")
    page.wait_for_selector("#email")
    page.fill("#email", email)
    page.check(f"input[data-permission={permission}]")
    page.click("button:has-text('Send the invitation')")
    page.wait_for_selector("[data-testid=invitations]")
    assert email in page.inner_text("[data-testid=invitations]")


def _nav(page: Any) -> str:
    return str(page.inner_text("nav.sidenav"))


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_invite_email_accept_switch_and_see_only_what_was_granted(mail_live_server, chromium, smtp_server, javascript):
    base, password = mail_live_server.base, mail_live_server.passwords["alice@example.com"]
    invitee = f"newcomer-{'js' if javascript else 'nojs'}@example.com"

    # the owner invites a new person into Alice Web Studio with Tickets only
    owner = chromium.new_context(java_script_enabled=javascript).new_page()
    owner.goto(f"{base}/login")
    owner.fill("#email", "alice@example.com")
    owner.fill("#password", password)
    owner.click("button[type=submit]")
    owner.wait_for_url(f"{base}/accounts/choose")
    owner.click("text=Alice Web Studio")
    owner.wait_for_url(f"{base}/")
    _invite(owner, base, invitee, "tickets")

    # the email arrives over SMTP; the invitee opens its link and creates a user there
    link = _invitation_link(smtp_server, invitee, base, 1)
    context = chromium.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(link)
    assert page.inner_text("[data-testid=invited-account]") == "Alice Web Studio"
    assert page.inner_text("[data-testid=invited-permissions]").strip() == "Tickets"
    page.fill("#name", "Nora Newcomer")
    page.fill("#password", PASSWORD)
    page.click("[data-testid=register]")
    page.wait_for_url(f"{base}/")
    assert page.inner_text("[data-testid=current-account]") == "Alice Web Studio"
    assert "You may use: Tickets." in page.inner_text("#widget-membership")
    nav = _nav(page)
    assert "Home" in nav and "Users" not in nav and "Emails" not in nav and "Audit log" not in nav
    assert page.goto(f"{base}/account/users").status == 403

    # a second invitation, into Alice Personal with Invoices, accepted by the now existing user
    owner.click("summary")
    owner.click("button:has-text('Alice Personal')")
    owner.wait_for_function("document.querySelector('[data-testid=current-account]')?.innerText === 'Alice Personal'")
    _invite(owner, base, invitee, "invoices")
    second = _invitation_link(smtp_server, invitee, base, 2)
    page.goto(second)
    assert page.inner_text("[data-testid=invited-account]") == "Alice Personal"
    page.click("[data-testid=accept]")
    page.wait_for_url(f"{base}/")
    assert page.inner_text("[data-testid=current-account]") == "Alice Personal"
    assert "You may use: Invoices." in page.inner_text("#widget-membership")

    # switch back with the switcher: each account shows only what it granted
    page.click("summary")
    page.click("button:has-text('Alice Web Studio')")
    page.wait_for_function("document.querySelector('[data-testid=current-account]')?.innerText === 'Alice Web Studio'")
    assert "You may use: Tickets." in page.inner_text("#widget-membership")
    assert "Users" not in _nav(page)
    context.close()
    owner.context.close()
