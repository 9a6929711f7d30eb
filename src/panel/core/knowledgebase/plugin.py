"""Hook implementations of the knowledgebase feature (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from litestar import Router
from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.plugin import NavItem, PluginMeta, hookimpl
from panel.settings import Settings

PLUGIN_META = PluginMeta(
    name="core_knowledgebase",
    version=__version__,
    summary="core: knowledgebase: categories, articles, search",
    builtin=True,
)

# Every member of an account reads the knowledgebase (it is public anyway; this shows
# the nav item in the client area). staff:admin holds everything already; staff:support
# writes articles too.
POLICY_LINES = (
    "p, role:member, *, knowledgebase:*, ^(read|list)$, allow",
    "p, staff:support, *, knowledgebase:*, .*, allow",
)


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel.core.knowledgebase.piccolo_app")


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    from panel.core.knowledgebase import admin_routes, routes

    register(Router(path="/", route_handlers=[*routes.ROUTES, *admin_routes.ROUTES], include_in_schema=False))


@hookimpl
def panel_register_policies(register: Callable[[str], None]) -> None:
    for line in POLICY_LINES:
        register(line)


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "client":
        register(NavItem("Knowledgebase", "/knowledgebase", "knowledgebase:*", "list", order=73))
    elif area == "admin":
        register(NavItem("Knowledgebase", "/admin/knowledgebase", "knowledgebase:*", "list", order=71))
