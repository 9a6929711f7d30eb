"""Hook implementations of the core stores feature (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.plugin import NavItem, Permission, PluginMeta, hookimpl
from panel.settings import Settings

PLUGIN_META = PluginMeta(name="core_stores", version=__version__, summary="core: stores", builtin=True)

RESELLER = Permission("reseller", "Reseller", "Manage this reseller's stores and clients.", 95)

# A member with the `reseller` permission runs the account's reseller stores and clients
# (the owner may anyway). Staff pages use `admin:stores`: only staff:admin has it.
POLICY_LINES = ("p, perm:reseller, *, reseller:*, .*, allow",)


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    from panel.core.stores import admin_routes, api, reseller_routes

    pages = [*admin_routes.ROUTES, *reseller_routes.ROUTES]
    register(Router(path="/", route_handlers=pages, include_in_schema=False))
    register(api.api_router())


async def _runs_a_store(request: Request[Any, Any, Any]) -> bool:
    """The reseller area is shown only in accounts that run a reseller store."""
    from panel.core.stores.services import runs_a_store

    return await runs_a_store(int(request.state.account_id))


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "admin":
        register(NavItem("Stores", "/admin/stores", "admin:stores", "list", order=40))
    else:
        register(NavItem("Reseller", "/reseller", "reseller:overview", "read", order=80, visible=_runs_a_store))


@hookimpl
def panel_register_permissions(register: Callable[[Permission], None]) -> None:
    register(RESELLER)


@hookimpl
def panel_register_policies(register: Callable[[str], None]) -> None:
    for line in POLICY_LINES:
        register(line)
