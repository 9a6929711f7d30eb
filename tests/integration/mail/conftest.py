"""Fixtures of the email tests: apps that send to the in-process SMTP server.

`client` (from the root conftest) here is an app whose background deliverer sends
to `smtp_server`; its regular look at the outbox is a minute away, so mail that
arrives within a test's few seconds was sent because queuing it woke the
deliverer. `manual` is an app that sends nothing by itself: the test calls
`deliver_due` with the time it wants.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from support import build_app

from panel.settings import Settings

from .helpers import WELCOME, Client, MailTestPlugin, running, set_env, write_templates


@pytest.fixture
def settings(settings: Settings, smtp: Any) -> Settings:
    """The test settings, sending to the test SMTP server, looking at the outbox only when woken."""
    settings.values["smtp_url"] = smtp.url
    settings.values["mail_from"] = "Hostpanel <panel@example.net>"
    return set_env(settings, PANEL_CORE_MAIL_POLL_SECONDS="60")


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where no SMTP server listens (yet)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture
async def manual(settings: Settings) -> AsyncIterator[Client]:
    """A client of an app without a background deliverer."""
    set_env(settings, PANEL_CORE_MAIL_BACKGROUND="false")
    async with running(build_app(settings)) as c:
        yield c


@pytest.fixture
async def no_smtp(settings: Settings) -> AsyncIterator[Client]:
    """A client of an app with no SMTP server configured (`PANEL_SMTP_URL` unset)."""
    settings.values["smtp_url"] = ""
    async with running(build_app(settings)) as c:
        yield c


@pytest.fixture
async def plugin_client(settings: Settings, tmp_path: Path) -> AsyncIterator[Client]:
    """A client of an app with `MailTestPlugin` and its welcome templates."""
    folder = write_templates(tmp_path / "mailtest-templates", WELCOME)
    async with running(build_app(settings, MailTestPlugin(folder))) as c:
        yield c
