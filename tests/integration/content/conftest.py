"""Fixtures of the content tests (announcements, knowledgebase, downloads): the core app on an emptied database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from support import empty_tables, make_settings, shared_app

from panel.settings import Settings


@pytest.fixture
def settings(migrated: str, tmp_path: Path) -> Settings:
    """Uploads go to the test's own folder; downloads accept files up to 1 MB."""
    return make_settings(migrated, tmp_path, PANEL_CORE_DOWNLOADS_MAX_UPLOAD_MB="1")


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client of the core app (lifespan run) on emptied tables."""
    application = shared_app(settings)
    await empty_tables()
    async with AsyncTestClient(app=application, base_url="http://testserver.local") as c:
        yield c
