"""Hook implementations of the downloads feature (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from litestar import Router
from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.core.downloads.config import PLUGIN, SETTINGS, request_limit
from panel.plugin import NavItem, PluginMeta, hookimpl
from panel.settings import Settings

PLUGIN_META = PluginMeta(
    name=PLUGIN, version=__version__, summary="core: downloads: files per category", builtin=True, settings=SETTINGS
)

# Every member of an account may read the downloads list and get files for clients
# (restricted files further need an active service of one of their products).
# staff:admin holds everything already; staff:support manages downloads too.
POLICY_LINES = (
    "p, role:member, *, download:*, ^(read|list)$, allow",
    "p, staff:support, *, download:*, .*, allow",
)


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel.core.downloads.piccolo_app")


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    from panel.core.downloads import admin_routes, routes

    register(Router(path="/", route_handlers=routes.ROUTES, include_in_schema=False))
    # staff's pages take uploads: their body limit follows the setting (the guard runs before a body is read)
    register(
        Router(
            path="/",
            route_handlers=[*admin_routes.ROUTES, *admin_routes.UPLOAD_ROUTES],
            include_in_schema=False,
            request_max_body_size=request_limit(settings),
        )
    )


@hookimpl
def panel_register_policies(register: Callable[[str], None]) -> None:
    for line in POLICY_LINES:
        register(line)


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "client":
        register(NavItem("Downloads", "/downloads", "download:*", "list", order=74))
    elif area == "admin":
        register(NavItem("Downloads", "/admin/downloads", "download:*", "list", order=72))
