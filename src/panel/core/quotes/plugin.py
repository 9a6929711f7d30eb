"""Hook implementations of the quotes feature (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.core.jobs.queue import JobHandler
from panel.plugin import DashboardStat, NavItem, PluginMeta, hookimpl
from panel.settings import Settings

PLUGIN_META = PluginMeta(
    name="core_quotes", version=__version__, summary="core: quotes: staff offers a client accepts", builtin=True
)

# Clients reach quotes through perm:quotes (policies/policy.csv); staff:admin may do
# everything already; staff:billing writes and sends quotes.
POLICY_LINES = ("p, staff:billing, *, quote:*, .*, allow",)


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel.core.quotes.piccolo_app")


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    from panel.core.quotes import admin_routes, api, routes

    register(Router(path="/", route_handlers=[*routes.ROUTES, *admin_routes.ROUTES], include_in_schema=False))
    register(api.api_router())


@hookimpl
def panel_register_jobs(register: Callable[[JobHandler], None]) -> None:
    from panel.core.quotes.jobs import HANDLERS

    for handler in HANDLERS:
        register(handler)


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "client":
        register(NavItem("Quotes", "/quotes", "quote:*", "list", order=34))
    elif area == "admin":
        register(NavItem("Quotes", "/admin/quotes", "quote:*", "list", order=22))


@hookimpl
def panel_register_policies(register: Callable[[str], None]) -> None:
    for line in POLICY_LINES:
        register(line)


async def _awaiting(request: Request[Any, Any, Any]) -> int | None:
    """Quotes waiting for the client's answer; no tile while there are none."""
    from panel.core.accounts.home import cached
    from panel.core.quotes.queries import awaiting_answer

    account_id = int(request.state.account_id)
    return await cached(request, "quotes.awaiting", lambda: awaiting_answer(account_id)) or None


@hookimpl
def panel_register_dashboard_stats(register: Callable[[DashboardStat], None]) -> None:
    register(
        DashboardStat(
            "quotes.open", "Quotes to answer", "quote:*", "list", order=40, load=_awaiting, href="/quotes?status=sent"
        )
    )
