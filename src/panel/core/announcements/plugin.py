"""Hook implementations of the announcements feature (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.plugin import DashboardWidget, NavItem, PluginMeta, hookimpl
from panel.settings import Settings

PLUGIN_META = PluginMeta(name="core_announcements", version=__version__, summary="core: announcements", builtin=True)

# Every member of an account reads announcements (they are public anyway; this shows
# the nav item and the home-page widget). staff:admin holds everything already;
# staff:support writes them too; staff:billing does not.
POLICY_LINES = (
    "p, role:member, *, announcement:*, ^(read|list)$, allow",
    "p, staff:support, *, announcement:*, .*, allow",
)


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel.core.announcements.piccolo_app")


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    from panel.core.announcements import routes

    register(Router(path="/", route_handlers=routes.ROUTES, include_in_schema=False))


@hookimpl
def panel_register_policies(register: Callable[[str], None]) -> None:
    for line in POLICY_LINES:
        register(line)


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "client":
        register(NavItem("Announcements", "/announcements", "announcement:*", "list", order=72))
    elif area == "admin":
        register(NavItem("Announcements", "/admin/announcements", "announcement:*", "list", order=70))


async def _latest(request: Request[Any, Any, Any]) -> Mapping[str, Any]:
    from panel.core.announcements import services

    return {"items": await services.latest_for_home()}


@hookimpl
def panel_register_dashboard_widgets(register: Callable[[DashboardWidget], None]) -> None:
    register(
        DashboardWidget(
            "announcements",
            "Announcements",
            "announcements/widget.html",
            "announcement:*",
            "list",
            order=20,
            load=_latest,
        )
    )
