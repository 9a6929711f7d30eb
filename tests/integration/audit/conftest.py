"""The audit tests run on an app with the probe plugin (`audit_probe`) registered."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from audit_probe import ProbePlugin
from litestar import Litestar
from support import build_app, empty_tables

from panel.settings import Settings


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Litestar]:
    """The core app plus the probe plugin, on emptied tables."""
    application = build_app(settings, ProbePlugin)
    await empty_tables()
    yield application
