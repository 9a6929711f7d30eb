"""Fixtures of the catalogue tests: staff logins, an app with the dummy product type, emptied tables."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import dummy_plugin
import factories as f
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from support import empty_tables

from panel.app import create_app
from panel.core import db
from panel.settings import Settings


@pytest.fixture
def staff_login() -> Callable[..., Any]:
    """`await staff_login(client, authz, "admin")`: a staff user of that role, logged in."""

    async def go(client: Any, authz: Any, role: str) -> int:
        email = f"{role}-staff@example.com"
        user_id = await f.user(authz, email, staff=role)
        client.cookies.clear()
        answer = await f.login(client, email)
        assert answer.status_code in (302, 303), answer.text
        return user_id

    return go


@pytest.fixture
async def typed_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client of an app with the dummy plugin installed, so `dummy.thing` is a registered product type."""
    application = create_app(settings, extra_plugins=[dummy_plugin], discover=False)
    await db.migrate()
    await empty_tables()
    try:
        async with AsyncTestClient(app=application, base_url="http://testserver.local") as c:
            yield c
    finally:
        await empty_tables()
