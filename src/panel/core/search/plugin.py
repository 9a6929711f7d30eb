"""Hook implementations of the client-area search (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from litestar import Router
from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.plugin import PluginMeta, hookimpl
from panel.settings import Settings

PLUGIN_META = PluginMeta(name="core_search", version=__version__, summary="core: client-area search", builtin=True)


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    from panel.core.search import routes

    register(Router(path="/", route_handlers=routes.PAGE_ROUTES, include_in_schema=False))
    register(routes.api_router())
