"""Fixtures of the services tests: an app with the dummy plugin and a test product type that fails on demand."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import dummy_plugin
import factories as f
import pytest
from litestar import Litestar
from support import build_app, empty_tables

from panel.core import db
from panel.errors import PanelError
from panel.plugin import PluginMeta, hookimpl
from panel.product_types import ClientAction, OperationResult, ProductType, ServiceContext
from panel.settings import Settings


class Flaky(ProductType):
    """Provisioning fails while `failure` is set (a PanelError message, or an exception); counts its calls."""

    name = "flaky.thing"
    label = "Flaky thing"
    failure: str | Exception | None = None
    calls: int = 0

    async def provision(self, ctx: ServiceContext) -> OperationResult:
        type(self).calls += 1
        if isinstance(self.failure, Exception):
            raise self.failure
        if self.failure:
            raise PanelError(self.failure)
        return OperationResult(data={"flaky_id": f"f-{ctx.service_id}"})

    async def suspend(self, ctx: ServiceContext, reason: str) -> OperationResult:
        if self.failure:
            return OperationResult(ok=False, message="The flaky server said no.")
        return OperationResult(data={"suspended_because": reason})

    def client_actions(self, ctx: ServiceContext) -> list[ClientAction]:
        return [ClientAction("reboot", "Reboot"), ClientAction("wipe", "Wipe", action="wipe", confirm="Sure?")]

    async def run_client_action(self, ctx: ServiceContext, action: str, data: Any) -> OperationResult:
        if action == "reboot" and self.failure:
            return OperationResult(ok=False, message="Reboot refused: the server is busy.")
        return OperationResult(message=f"{action} done", data={"last_action": action})


class FlakyPlugin:
    """A test plugin registering `flaky.thing`."""

    PLUGIN_META = PluginMeta(name="flaky", version="0.1.0", summary="a product type that fails on demand")

    @staticmethod
    @hookimpl
    def panel_register_product_types(register: Callable[[ProductType], None]) -> None:
        register(Flaky())


@pytest.fixture
def flaky() -> Any:
    """The flaky type's class: set `failure`, read `calls`; reset after the test."""
    Flaky.failure, Flaky.calls = None, 0
    yield Flaky
    Flaky.failure, Flaky.calls = None, 0


@pytest.fixture
async def app(settings: Settings, flaky: Any) -> AsyncIterator[Litestar]:
    """The app with the dummy plugin (`dummy.thing`) and the flaky plugin installed and enabled."""
    application = build_app(settings, dummy_plugin, FlakyPlugin)
    await db.migrate()
    await empty_tables()
    try:
        yield application
    finally:
        await empty_tables()


@pytest.fixture
def login_as() -> Callable[..., Any]:
    """`await login_as(client, email)`: forget any earlier login, log in through the form."""

    async def go(client: Any, email: str) -> Any:
        client.cookies.clear()
        response = await f.login(client, email)
        assert response.status_code in {302, 303}, response.text
        return response

    return go


@pytest.fixture
def types(client: Any) -> Any:
    """The running app's product types by name."""
    return client.app.state.product_types
