"""Hook implementations of the referral programme (a built-in plugin).

Who may do what is the rules engine's decision on `referral:*` objects (see
`POLICY_LINES` and docs/referrals.md); the partner deny list in policies/policy.csv
shuts partners out of a child's referral programme with no code here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from litestar import Router
from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.plugin import NavItem, PluginMeta, hookimpl
from panel.settings import Settings

PLUGIN_META = PluginMeta(
    name="core_referrals", version=__version__, summary="core: referral programme (links and credit)", builtin=True
)

log = logging.getLogger("panel.referrals")

# The owner (role:owner) and perm:all members hold every `referral:*` action through
# the core lines. Members with perm:invoices (who already see and spend the account's
# credit) may read the referral page and API, not claim a code.
POLICY_LINES = ("p, perm:invoices, *, referral:*, ^(read|list)$, allow",)


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel.core.referrals.piccolo_app")


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    from panel.core.referrals import admin_routes, api, routes

    register(Router(path="/", route_handlers=[*routes.ROUTES, *admin_routes.ROUTES], include_in_schema=False))
    register(api.api_router())


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    from panel.core.referrals.services import ADMIN_OBJECT, PROGRAMME_OBJECT

    if area == "client":
        register(NavItem("Referrals", "/account/referrals", PROGRAMME_OBJECT, "read", order=36))
    elif area == "admin":
        register(NavItem("Referrals", "/admin/referrals", ADMIN_OBJECT, "read", order=62))


@hookimpl
def panel_register_policies(register: Callable[[str], None]) -> None:
    for line in POLICY_LINES:
        register(line)


@hookimpl
async def panel_on_invoice_paid(invoice_id: int, account_id: int, order_id: int | None) -> None:
    """Reward the referrer when this is the referred account's first paid invoice with an amount."""
    from panel.core.referrals import services

    try:
        await services.reward_first_invoice(invoice_id, account_id)
    except Exception:  # the payment stands; the referral stays `signed_up` for staff to see
        log.exception("the referral reward for invoice %s of account %s failed", invoice_id, account_id)
