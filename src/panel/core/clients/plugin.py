"""Hook implementations of the core clients feature (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from litestar import Router
from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.core.clients import api, contact_routes, routes
from panel.plugin import NavItem, PluginMeta, hookimpl
from panel.settings import Settings

PLUGIN_META = PluginMeta(name="core_clients", version=__version__, summary="core: clients", builtin=True)


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    pages = [*routes.PAGE_ROUTES, *contact_routes.ROUTES]
    register(Router(path="/", route_handlers=pages, include_in_schema=False))  # HTML pages: not in the API schema
    register(api.api_router())


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "admin":
        register(NavItem("Clients", "/admin/clients", "account:*", "list", order=5))
