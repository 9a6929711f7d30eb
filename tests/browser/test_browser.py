"""A real browser (Debian's Chromium, driven by Playwright) against a real server."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import SECRET, _create_pg_database, _worker, need_service

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`panel demo` then `panel serve` in their own processes; yields (url, alice's password)."""
    tmp = tmp_path_factory.mktemp("live")
    if os.environ.get("PANEL_TEST_DATABASE") == "postgres":
        url = asyncio.run(_create_pg_database(os.environ["PANEL_TEST_PG_URL"], f"hostpanel_live_{_worker()}"))
    else:
        url = f"sqlite:///{tmp / 'live.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANEL_")}
    env.update({"PANEL_DATABASE_URL": url, "PANEL_SECRET_KEY": SECRET, "PANEL_DATA_DIR": str(tmp)})
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
    port = _free_port()
    server = subprocess.Popen(
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
            if server.poll() is not None or time.monotonic() > deadline:
                out = server.stdout.read().decode() if server.stdout else ""
                raise RuntimeError(f"panel serve did not start:\n{out}") from None
            time.sleep(0.2)
    try:
        yield f"http://127.0.0.1:{port}", password
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        need_service("Chromium (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield b
        finally:
            b.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_log_in_choose_switch_and_see_dashboard(live_server, browser, javascript, tmp_path):
    base, password = live_server
    context = browser.new_context(java_script_enabled=javascript)
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


def test_wrong_password_shows_field_error_in_place(live_server, browser):
    base, _ = live_server
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#email", "alice@example.com")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    page.wait_for_selector("#password-error")
    assert "do not match" in page.inner_text("#password-error")
    assert page.input_value("#email") == "alice@example.com"
    context.close()
