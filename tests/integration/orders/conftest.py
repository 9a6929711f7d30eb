"""The orders tests' app (with the test product types) and catalogue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from support import build_app, empty_tables

from panel.settings import Settings

from .shop import PAID, TEST_TYPES, Shop, build_shop


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Litestar]:
    """The app with the test product types, on an emptied database."""
    application = build_app(settings, TEST_TYPES)
    await empty_tables()
    PAID.clear()
    yield application
    PAID.clear()


@pytest.fixture
async def shop(app: Litestar) -> Shop:
    """The test catalogue (see `shop.Shop`)."""
    return await build_shop()


@pytest.fixture
def new_client(app: Litestar) -> Any:
    """`async with new_client() as other:` a second browser (another device) on the same app."""
    from litestar.testing import AsyncTestClient

    return lambda: AsyncTestClient(app=app, base_url="http://testserver.local")
