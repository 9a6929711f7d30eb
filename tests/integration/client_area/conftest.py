"""Fixtures of the client-area tests: an app with the dummy plugin, mail to the test SMTP server, jobs run by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import dummy_plugin
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from support import empty_tables, make_settings, shared_app

from panel.core import db
from panel.settings import Settings


@pytest.fixture
def settings(migrated: str, tmp_path: Path, smtp: Any) -> Settings:
    """Mail goes to the test SMTP server; the in-app worker is off (tests run jobs themselves)."""
    settings = make_settings(migrated, tmp_path, PANEL_CORE_JOBS_WORKER="false", PANEL_CORE_MAIL_POLL_SECONDS="60")
    settings.values["smtp_url"] = smtp.url
    return settings


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client of an app with the dummy plugin (`dummy.thing` provisions at once, `dummy.notes` is a home tile)."""
    application = shared_app(settings, dummy_plugin)
    await db.migrate()
    await empty_tables()
    try:
        async with AsyncTestClient(app=application, base_url="http://testserver.local") as c:
            yield c
    finally:
        await empty_tables()


@pytest.fixture
def authz(client: AsyncTestClient[Litestar]) -> Any:
    """The running app's rules engine."""
    return client.app.state.authz
