"""Shared fixtures of the browser tests: a live `panel serve` with demo data, and Chromium (`browser_support`).

The server runs in its own process on a free port, on this run's database (SQLite
file or a fresh PostgreSQL database); Chromium is Debian's, driven by Playwright.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser_support import LiveServer, launch_chromium, start_live_server


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live panel with demo data and no outgoing email."""
    yield from start_live_server(tmp_path_factory.mktemp("live"), "live")


@pytest.fixture(scope="module")
def mail_live_server(tmp_path_factory: pytest.TempPathFactory, smtp_server: Any) -> Iterator[LiveServer]:
    """A live panel with demo data sending its email to the `smtp_server` fixture."""
    yield from start_live_server(tmp_path_factory.mktemp("mail-live"), "mail", {"PANEL_SMTP_URL": smtp_server.url})


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless."""
    with launch_chromium() as browser:
        yield browser


@pytest.fixture(autouse=True)
def _close_loop_connections() -> None:
    """Replaces the suite's async clean-up of per-loop database connections for browser tests.

    They talk to a server in another process, and Playwright's sync API runs an event
    loop of its own in this thread, which an async fixture cannot share.
    """
