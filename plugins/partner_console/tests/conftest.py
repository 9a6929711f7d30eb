"""Fixtures of the partner console's tests: a migrated database, an app with the plugin and the test card gateway.

The core suite's helpers (`support`, `factories`, `plugin_fixtures`, the dummy plugin
with its card gateway that fakes the card network at the wire) live in the
repository's `tests/` folder, put on the path here. The database is this plugin's own
(`..._pc`), so a worker that also runs another plugin's tests never shares one.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests"))  # the core suite's helpers
sys.path.insert(0, str(REPO / "tests" / "integration"))  # services.commerce: orders and services for tests

import dummy_plugin  # noqa: E402
from litestar import Litestar  # noqa: E402
from litestar.testing import AsyncTestClient  # noqa: E402
from panel.settings import Settings  # noqa: E402
from plugin_fixtures import _cheap_password_hashes, _no_env_leak, migrated_database, smtp, smtp_server  # noqa: E402,F401
from support import SmtpServer, empty_tables, mailing_to, make_settings, shared_app  # noqa: E402

import panel_partner_console.plugin  # noqa: E402
from panel_partner_console import services  # noqa: E402


@pytest.fixture(scope="session")
def pc_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """This worker's database for the partner console's tests (the dummy plugin's tables too)."""
    return migrated_database(tmp_path_factory, "pc", extra=[dummy_plugin])


@pytest.fixture
def settings(pc_database_url: str, tmp_path: Path, smtp: SmtpServer) -> Settings:  # noqa: F811 (the fixture)
    """Settings whose email goes to the test's SMTP server."""
    return mailing_to(make_settings(pc_database_url, tmp_path), smtp, wake_only=False)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client of an app with the partner console and the test card gateway, on emptied tables."""
    from panel.core import db

    application = shared_app(settings, panel_partner_console.plugin, dummy_plugin)
    await empty_tables()
    services.forget_partners()
    try:
        async with AsyncTestClient(app=application, base_url="http://testserver.local") as c:
            yield c
    finally:
        await db.disconnect()


@pytest.fixture
def authz(client: AsyncTestClient[Litestar]) -> Any:
    """The running app's rules engine."""
    return client.app.state.authz
