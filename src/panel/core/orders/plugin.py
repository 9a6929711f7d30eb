"""Hook implementations of the core orders feature (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from litestar import Router
from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.core.orders import admin_api, admin_routes, api, cart_routes, checkout_routes, routes
from panel.plugin import NavItem, PluginMeta, hookimpl
from panel.settings import Settings

PLUGIN_META = PluginMeta(name="core_orders", version=__version__, summary="core: orders", builtin=True)

# Support and billing staff read orders; billing may also cancel a pending one (it
# cancels the order's unpaid invoice too). Promo codes and tax rules
# (`admin:promos`, `admin:taxes`) are for staff admins only, who hold everything.
POLICY_LINES = (
    "p, staff:support, *, order:*, ^(read|list)$, allow",
    "p, staff:billing, *, order:*, ^(read|list|cancel)$, allow",
)


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel.core.orders.piccolo_app")


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    pages = [*cart_routes.ROUTES, *checkout_routes.ROUTES, *routes.ROUTES, *admin_routes.ROUTES]
    register(Router(path="/", route_handlers=pages, include_in_schema=False))
    register(api.api_router())
    register(admin_api.api_router())


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "client":
        register(NavItem("Orders", "/orders", "order:*", "list", order=60))
        register(NavItem("Cart", "/cart", "order:*", "create", order=61))
    else:
        register(NavItem("Orders", "/admin/orders", "order:*", "list", order=30))
        register(NavItem("Promo codes", "/admin/promos", "admin:promos", "list", order=34))
        register(NavItem("Taxes", "/admin/taxes", "admin:taxes", "list", order=35))


@hookimpl
def panel_register_policies(register: Callable[[str], None]) -> None:
    for line in POLICY_LINES:
        register(line)
