"""The invitation flow in a real browser: invite, the email over SMTP, accept, switch, see what was granted.

`panel serve` runs in its own process and sends its email to the test process's SMTP
server; the test reads the invitation link from the message that arrives.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import SECRET, _create_pg_database, _worker, need_service

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--disable-quic"]
PASSWORD = "a long enough invitee password"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, smtp_server: Any) -> Iterator[tuple[str, str]]:
    """Demo data, then `panel serve` sending email to `smtp_server`; yields (url, alice's password)."""
    tmp = tmp_path_factory.mktemp("invite-live")
    if os.environ.get("PANEL_TEST_DATABASE") == "postgres":
        url = asyncio.run(_create_pg_database(os.environ["PANEL_TEST_PG_URL"], f"hostpanel_invite_{_worker()}"))
    else:
        url = f"sqlite:///{tmp / 'live.sqlite3'}"
    port = _port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANEL_")}
    env.update(
        {
            "PANEL_DATABASE_URL": url,
            "PANEL_SECRET_KEY": SECRET,
            "PANEL_DATA_DIR": str(tmp),
            "PANEL_SMTP_URL": smtp_server.url,
            "PANEL_BASE_URL": base,
        }
    )
    demo = subprocess.run(
        [sys.executable, "-m", "panel", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp,
        check=True,
    )
    password = next(line.split()[1] for line in demo.stdout.splitlines() if line.strip().startswith("alice@"))
    process = subprocess.Popen(
        [sys.executable, "-m", "panel", "serve", "--port", str(port)],
        env=env,
        cwd=tmp,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                out = process.stdout.read().decode() if process.stdout else ""
                raise RuntimeError(f"panel serve did not start:\n{out}") from None
            time.sleep(0.2)
    try:
        yield base, password
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        need_service("Chromium (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield b
        finally:
            b.close()


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
def test_invite_email_accept_switch_and_see_only_what_was_granted(server, chromium, smtp_server, javascript):
    base, password = server
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
