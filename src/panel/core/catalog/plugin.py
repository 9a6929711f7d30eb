"""Hook implementations of the core catalog feature (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from litestar import Router
from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.plugin import NavItem, PluginMeta, hookimpl
from panel.settings import Settings

PLUGIN_META = PluginMeta(name="core_catalog", version=__version__, summary="core: catalog", builtin=True)


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel.core.catalog.piccolo_app")


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    from panel.core.catalog import admin_api, admin_routes, store_routes

    pages = [*admin_routes.ROUTES, *store_routes.PAGE_ROUTES]
    register(Router(path="/", route_handlers=pages, include_in_schema=False))
    register(store_routes.api_router())
    register(admin_api.api_router())


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "admin":
        register(NavItem("Catalogue", "/admin/catalog", "admin:catalog", "read", order=41))
