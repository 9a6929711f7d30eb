"""What every test of the repository shares, core's (`tests/`) and the plugins' (`plugins/*/tests/`)."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator

import pytest


@pytest.fixture
async def _close_loop_connections() -> AsyncIterator[None]:
    """After an async test, close what the test's event loop opened (its PostgreSQL pool).

    The engines keep connections per event loop (PostgreSQL) or for the process
    (SQLite); each async test runs in a loop of its own, and an app under a test client
    in another one, whose shutdown closes that loop's pool. Given to every async test by
    `pytest_collection_modifyitems` (not autouse: sync tests, such as the browser tests
    whose Playwright runs a loop of its own in this thread, must not get an event loop).
    """
    yield
    from panel.core import db

    await db.disconnect()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give every async test `_close_loop_connections`, set up first so it is torn down last."""
    for item in items:
        if isinstance(item, pytest.Function) and inspect.iscoroutinefunction(item.obj):
            if "_close_loop_connections" not in item.fixturenames:
                item.fixturenames.insert(0, "_close_loop_connections")
