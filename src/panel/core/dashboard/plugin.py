"""Hook implementations of the arrangeable client dashboard (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from litestar import Router
from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.plugin import PluginMeta, hookimpl
from panel.settings import Settings

PLUGIN_META = PluginMeta(
    name="core_dashboard", version=__version__, summary="core: arrangeable client dashboard", builtin=True
)


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel.core.dashboard.piccolo_app")


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    from panel.core.dashboard import routes

    register(Router(path="/", route_handlers=routes.PAGE_ROUTES, include_in_schema=False))
    register(routes.api_router())
