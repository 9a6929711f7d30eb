"""Hook implementations of the core billing feature (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from litestar import Router
from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.core.billing import admin_credit_routes, admin_routes, api, queries, routes
from panel.core.billing.gateways import BankTransfer, CreditGateway
from panel.gateways import PaymentGateway
from panel.plugin import DashboardStat, DashboardWidget, NavItem, PluginMeta, hookimpl
from panel.settings import Setting, Settings

PLUGIN_META = PluginMeta(
    name="core_billing",
    version=__version__,
    summary="core: billing",
    builtin=True,
    settings=(
        Setting(
            "bank_instructions",
            "What clients read under 'Bank transfer' (bank account, reference to quote); "
            "empty: the store's contact instructions.",
            default="",
        ),
    ),
)

# staff:billing already holds invoice:* (policies/policy.csv); it also reads payments
# and manages account credit. Clients reach credit and payment methods through
# perm:invoices (policy.csv); impersonating staff are denied payment_method:* there.
POLICY_LINES = (
    "p, staff:billing, *, payment:*, ^(read|list)$, allow",
    "p, staff:billing, *, credit, .*, allow",
)


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel.core.billing.piccolo_app")


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    pages = [*routes.PAGE_ROUTES, *admin_routes.PAGE_ROUTES, *admin_credit_routes.ROUTES]
    register(Router(path="/", route_handlers=pages, include_in_schema=False))
    register(api.api_router())


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "client":
        register(NavItem("Invoices", "/invoices", "invoice:*", "list", order=30))
        register(NavItem("Credit", "/credit", "credit", "read", order=31))
        register(NavItem("Payment methods", "/payment-methods", "payment_method:*", "list", order=32))
        register(NavItem("Transactions", "/transactions", "invoice:*", "list", order=33))
    elif area == "admin":
        register(NavItem("Invoices", "/admin/invoices", "invoice:*", "list", order=20))
        register(NavItem("Payments", "/admin/payments", "payment:*", "list", order=21))


@hookimpl
def panel_register_policies(register: Callable[[str], None]) -> None:
    for line in POLICY_LINES:
        register(line)


@hookimpl
def panel_register_payment_gateways(register: Callable[[PaymentGateway], None]) -> None:
    register(CreditGateway())
    register(BankTransfer())


@hookimpl
def panel_register_dashboard_widgets(register: Callable[[DashboardWidget], None]) -> None:
    register(
        DashboardWidget(
            "billing", "Billing", "billing/widget.html", "invoice:*", "list", order=30, load=queries.dashboard_summary
        )
    )


@hookimpl
def panel_register_dashboard_stats(register: Callable[[DashboardStat], None]) -> None:
    register(
        DashboardStat(
            "billing.unpaid",
            "Unpaid",
            "invoice:*",
            "list",
            order=20,
            load=queries.unpaid_stat,
            href="/invoices?status=unpaid",
        )
    )
    register(
        DashboardStat(
            "billing.credit", "Credit balance", "credit", "read", order=30, load=queries.credit_stat, href="/credit"
        )
    )
