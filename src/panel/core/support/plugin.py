"""Hook implementations of the support feature (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.core.support.config import PLUGIN, SETTINGS
from panel.plugin import DashboardStat, DashboardWidget, NavItem, PluginMeta, hookimpl
from panel.settings import Settings

PLUGIN_META = PluginMeta(
    name=PLUGIN,
    version=__version__,
    summary="core: support desk: departments, tickets, replies, attachments, email piping",
    builtin=True,
    settings=SETTINGS,
)


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel.core.support.piccolo_app")


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    from panel.core.support import api, routes

    for router in routes.routers(settings):
        register(router)
    register(api.api_router())


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "client":
        register(NavItem("Support", "/tickets", "ticket:*", "list", order=60))


async def _open_tickets(request: Request[Any, Any, Any]) -> Any:
    """The account's latest open tickets, read once per page for the tile and the widget."""
    from panel.core.accounts.home import cached
    from panel.core.support import queries

    account_id = request.state.account_id
    return await cached(request, "support.open", lambda: queries.account_tickets(account_id, "open", 5, 0))


async def _open_tickets_stat(request: Request[Any, Any, Any]) -> int:
    return int((await _open_tickets(request)).total)


async def _open_tickets_widget(request: Request[Any, Any, Any]) -> Mapping[str, Any]:
    """The account's latest open tickets (one query, and a count only when there are more than shown)."""
    from panel.core.web.pages import allowed

    account_id = request.state.account_id
    found = await _open_tickets(request)
    return {
        "rows": found.rows,
        "total": found.total,
        "can_create": allowed(request, "ticket:*", "create", f"acct:{account_id}"),
    }


@hookimpl
def panel_register_dashboard_widgets(register: Callable[[DashboardWidget], None]) -> None:
    register(
        DashboardWidget(
            "support", "Open tickets", "support/widget.html", "ticket:*", "list", order=60, load=_open_tickets_widget
        )
    )


@hookimpl
def panel_register_dashboard_stats(register: Callable[[DashboardStat], None]) -> None:
    register(
        DashboardStat(
            "support.open", "Open tickets", "ticket:*", "list", order=40, load=_open_tickets_stat, href="/tickets"
        )
    )


# -- the staff desk and tickets by email (staff_*.py, inbound_*.py) --------------------------


@hookimpl(specname="panel_register_routes")
def register_staff_desk_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    """The staff desk's pages under /admin/support."""
    from panel.core.support import staff_routes, staff_settings_routes

    for router in staff_routes.routers(settings):
        register(router)
    register(staff_settings_routes.router())


@hookimpl(specname="panel_register_nav_items")
def register_staff_desk_nav(register: Callable[[NavItem], None], area: str) -> None:
    """The desk in the admin navigation (staff who may list tickets)."""
    if area == "admin":
        register(NavItem("Support", "/admin/support", "ticket:*", "list", order=25))


@hookimpl(specname="panel_register_cli_commands")
def register_support_cli(register: Callable[[Any], None]) -> None:
    """`panel support receive`: the mail receiver as its own process."""
    from panel.core.support.inbound_cli import support_group

    register(support_group)


@hookimpl(specname="panel_on_startup")
async def start_inbound_mail(app: Any, settings: Settings) -> None:
    """Start the mail receiver in the app when `inbound_smtp` is set."""
    from panel.core.support.inbound_server import start_in_app

    await start_in_app(app, settings)


@hookimpl(specname="panel_on_shutdown")
async def stop_inbound_mail(app: Any) -> None:
    """Stop the mail receiver started at start-up."""
    from panel.core.support.inbound_server import stop_in_app

    await stop_in_app(app)
