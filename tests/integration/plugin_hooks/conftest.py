"""Fixtures that build an app with the dummy plugin for one test, then forget it.

The dummy plugin is passed to `create_app` as an installed plugin (no entry point);
its table is migrated into the worker's test database before the app is used, and
its rows and recorded events are emptied before and after each test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import dummy_plugin
import pytest
from factories import login
from litestar import Litestar
from litestar.testing import AsyncTestClient
from support import empty_tables

from panel.app import create_app
from panel.core import db
from panel.settings import Settings, load_settings


def _settings_with(settings: Settings, **env: str) -> Settings:
    environ = {**settings.values["_environ"], **env}
    return load_settings(environ=environ, config=Path("/nonexistent/panel.toml"))


@pytest.fixture
def settings_with(settings: Settings) -> Callable[..., Settings]:
    """`settings_with(PANEL_DUMMY_COLOR="green")`: the test settings plus environment variables."""
    return lambda **env: _settings_with(settings, **env)


@pytest.fixture
def login_as() -> Callable[..., Any]:
    """`await login_as(client, email)`: forget any earlier login, log in through the form."""

    async def go(client: AsyncTestClient[Litestar], email: str) -> Any:
        client.cookies.clear()
        response = await login(client, email)
        assert response.status_code in {302, 303}, response.text
        return response

    return go


@pytest.fixture
def events() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """What the dummy plugin recorded during the test."""
    dummy_plugin.EVENTS.clear()
    try:
        yield dummy_plugin.EVENTS
    finally:
        dummy_plugin.EVENTS.clear()


@pytest.fixture
def make_app(events: list[Any]) -> Callable[..., Any]:
    """Build an app with the dummy plugin installed; migrate and empty its database.

    Call as `await make_app(settings)`; the settings decide whether it is enabled.
    """

    async def build(settings: Settings, *extra: object) -> Litestar:
        application = create_app(settings, extra_plugins=[dummy_plugin, *extra], discover=False)
        await db.migrate()
        await empty_tables()
        events.clear()
        return application

    return build


@pytest.fixture
async def dummy_app(settings: Settings, make_app: Callable[..., Any]) -> AsyncIterator[Litestar]:
    """An app with the dummy plugin installed and enabled."""
    application = await make_app(settings)
    try:
        yield application
    finally:
        await empty_tables()


@pytest.fixture
async def dummy_client(dummy_app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client of `dummy_app` whose start-up (rules engine, plugin start-up hook) ran."""
    async with AsyncTestClient(app=dummy_app, base_url="http://testserver.local") as c:
        yield c


@pytest.fixture
def dummy_authz(dummy_client: AsyncTestClient[Litestar]) -> Any:
    """The rules engine of `dummy_app`."""
    return dummy_client.app.state.authz


@pytest.fixture
def disabled_settings(settings: Settings) -> Settings:
    """Settings that enable only core: the dummy plugin is installed but off."""
    return _settings_with(settings, PANEL_PLUGINS="core")


@pytest.fixture
async def disabled_app(disabled_settings: Settings, make_app: Callable[..., Any]) -> AsyncIterator[Litestar]:
    """An app where the dummy plugin is installed but not enabled."""
    application = await make_app(disabled_settings)
    try:
        yield application
    finally:
        await empty_tables()


@pytest.fixture
async def disabled_client(disabled_app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client of `disabled_app`."""
    async with AsyncTestClient(app=disabled_app, base_url="http://testserver.local") as c:
        yield c
