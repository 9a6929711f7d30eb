"""Hook implementations of the core members feature (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.plugin import DashboardWidget, NavItem, PluginMeta, hookimpl
from panel.settings import Settings

PLUGIN_META = PluginMeta(name="core_members", version=__version__, summary="core: members", builtin=True)

POLICY_LINES = (
    # Every member may see and answer an ownership offer made to them (the service
    # checks that it is theirs). `account:owner` cannot be used for this: perm:all
    # and partners are denied everything on it.
    "p, role:member, *, account:ownership_offer, ^(read|accept|decline)$, allow",
    # Staff acting as a member must not take an account over on their behalf.
    "p, mode:impersonation, *, account:ownership_offer, ^accept$, deny",
)


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    from panel.core.members import admin_routes, answer_routes, api, routes

    for handler in [*routes.ROUTES, *answer_routes.ROUTES, *admin_routes.ROUTES]:
        register(handler)
    register(api.api_router())


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel.core.members.piccolo_app")


@hookimpl
def panel_register_policies(register: Callable[[str], None]) -> None:
    for line in POLICY_LINES:
        register(line)


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "client":
        register(NavItem("Users", "/account/users", "user:*", "list", order=85))


async def _membership_widget(request: Request[Any, Any, Any]) -> Mapping[str, Any]:
    from panel.core.accounts.home import cached
    from panel.core.members import ownership, services

    account_id = request.state.account_id
    user_id = request.state.user_id
    authz = request.app.state.authz
    owner = services.is_owner(authz, user_id, account_id)
    held = services.granted_permissions(authz, user_id, account_id)
    return {
        "is_owner": owner,
        "permissions": services.labels(request.app.state.permissions, held),
        "offer": await cached(
            request, "members.offer", lambda: ownership.open_offer_to(user_id, account_id), per_user=True
        ),
    }


@hookimpl
def panel_register_dashboard_widgets(register: Callable[[DashboardWidget], None]) -> None:
    register(
        DashboardWidget(
            "membership",
            "Your membership",
            "members/widget.html",
            "account:summary",
            order=20,
            load=_membership_widget,
        )
    )
