"""Fixtures of the referral tests: the orders tests' catalogue and product types, mail to the test SMTP server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from orders.shop import PAID, TEST_TYPES, Shop, build_shop  # tests/integration/orders
from support import build_app, empty_tables, mailing_to

from panel.settings import Settings


@pytest.fixture
def settings(settings: Settings, smtp: Any) -> Settings:
    """Test settings that send email to `smtp` (the deliverer wakes when a message is queued)."""
    return mailing_to(settings, smtp, "http://testserver.local")


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Litestar]:
    """The app with the orders tests' product types, on an emptied database."""
    application = build_app(settings, TEST_TYPES)
    await empty_tables()
    PAID.clear()
    yield application
    PAID.clear()


@pytest.fixture
async def shop(app: Litestar) -> Shop:
    """The orders tests' catalogue (Main store in USD sells Starter at 10.00 a month, setup 5.00)."""
    return await build_shop()
