"""Billing tests run with the dummy plugin enabled: its `dummy.card` gateway and its hook log.

`app` replaces the root fixture: core plus the dummy plugin, on an emptied database,
with the dummy card network's ledger and the recorded events cleared before and
after each test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import dummy_plugin
import pytest
from dummy_plugin import card
from litestar import Litestar
from support import empty_tables

from panel.app import create_app
from panel.core import db
from panel.settings import Settings


async def _empty() -> None:
    await empty_tables()


@pytest.fixture
def events() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """What the dummy plugin was told during the test (invoice_paid, login ...)."""
    dummy_plugin.EVENTS.clear()
    yield dummy_plugin.EVENTS
    dummy_plugin.EVENTS.clear()


@pytest.fixture
def ledger() -> Iterator[dict[str, card.Charge]]:
    """The dummy card network's charges, by reference (emptied before and after)."""
    card.reset()
    yield card.LEDGER
    card.reset()


@pytest.fixture
async def app(settings: Settings, events: list[Any], ledger: Any) -> AsyncIterator[Litestar]:
    """Core and the dummy plugin on an emptied database."""
    application = create_app(settings, extra_plugins=[dummy_plugin], discover=False)
    await db.migrate()
    await _empty()
    events.clear()
    yield application
    await _empty()
