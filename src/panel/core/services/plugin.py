"""Hook implementations of the core services feature (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.core.jobs.queue import JobHandler
from panel.plugin import DashboardStat, DashboardWidget, NavItem, PluginMeta, hookimpl
from panel.product_types import ProductType
from panel.settings import Settings

PLUGIN_META = PluginMeta(name="core_services", version=__version__, summary="core: services", builtin=True)

# Support staff set up hand-provisioned services (they already read every service);
# admins may do everything already.
POLICY_LINES = ("p, staff:support, *, admin:tasks, .*, allow",)


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel.core.services.piccolo_app")


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_product_types(register: Callable[[ProductType], None]) -> None:
    from panel.core.services.hosting import HostingPlan, ManualService

    register(HostingPlan())
    register(ManualService())


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    from panel.core.services import admin_routes, routes

    pages = [*routes.PAGE_ROUTES, *admin_routes.ROUTES]
    register(Router(path="/", route_handlers=pages, include_in_schema=False))
    register(routes.api_router())


@hookimpl
def panel_register_jobs(register: Callable[[JobHandler], None]) -> None:
    from panel.core.services.jobs import HANDLERS

    for handler in HANDLERS:
        register(handler)


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "client":
        register(NavItem("Services", "/services", "service:*", "list", order=30))
    else:
        register(NavItem("Services", "/admin/services", "service:*", "list", order=30))
        register(NavItem("Tasks", "/admin/tasks", "admin:tasks", "list", order=31))


async def _active_services(request: Request[Any, Any, Any]) -> int:
    """The account's active services, counted once per request (the tile and the widget share it)."""
    from panel.core.accounts.home import cached
    from panel.core.services.services import count_active

    account_id = int(request.state.account_id)
    return await cached(request, "services.active", lambda: count_active(account_id))


async def _services_widget(request: Request[Any, Any, Any]) -> Mapping[str, Any]:
    return {"active": await _active_services(request)}


@hookimpl
def panel_register_dashboard_widgets(register: Callable[[DashboardWidget], None]) -> None:
    register(
        DashboardWidget(
            "services", "Services", "services/widget.html", "service:*", "list", order=30, load=_services_widget
        )
    )


@hookimpl
def panel_register_dashboard_stats(register: Callable[[DashboardStat], None]) -> None:
    register(
        DashboardStat(
            "services.active", "Active services", "service:*", "list", order=10, load=_active_services, href="/services"
        )
    )


@hookimpl
def panel_register_policies(register: Callable[[str], None]) -> None:
    for line in POLICY_LINES:
        register(line)
