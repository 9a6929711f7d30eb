"""Fixtures of the support desk tests: an app on an empty database, mail to the test SMTP server.

This folder has no `__init__.py` on purpose: as a package it would be named `support`
and hide `tests/support.py`, which every conftest imports. Test file names here must
be unique across the whole suite.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from support import empty_tables, make_settings, shared_app

from panel.core import db
from panel.settings import Settings


@pytest.fixture
def settings(migrated: str, tmp_path: Path, smtp: Any) -> Settings:
    """Mail goes to the test SMTP server; small attachment limits keep the oversized-file test cheap."""
    settings = make_settings(
        migrated,
        tmp_path,
        PANEL_CORE_MAIL_POLL_SECONDS="60",
        PANEL_CORE_SUPPORT_MAX_ATTACHMENT_MB="1",
        PANEL_CORE_SUPPORT_MAX_ATTACHMENTS="3",
        PANEL_CORE_SUPPORT_REPLY_DOMAIN="desk.example.test",
    )
    settings.values["smtp_url"] = smtp.url
    return settings


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A test client of the app on an emptied database (its lifespan has run)."""
    application = shared_app(settings)
    await db.migrate()
    await empty_tables()
    async with AsyncTestClient(app=application, base_url="http://testserver.local") as c:
        yield c


@pytest.fixture
def authz(client: AsyncTestClient[Litestar]) -> Any:
    """The running app's rules engine."""
    return client.app.state.authz


@pytest.fixture
def upload_dir(client: AsyncTestClient[Litestar]) -> Path:
    """Where the running app keeps ticket attachments (the app is shared, so not this test's tmp_path)."""
    return Path(client.app.state.settings.data_path) / "uploads" / "support"
