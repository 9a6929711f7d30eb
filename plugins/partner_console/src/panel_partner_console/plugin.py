"""The partner console plugin: PLUGIN_META and its hook implementations (thin; the work is in the services).

The deny list that keeps a customer in control of its account is not here: it is a
set of lines in the provider's `policies/policy.csv` ("Partners"), read by the core's
rules engine, so a provider changes it by editing that file. The plugin adds the
lines for its own pages only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.types import ControllerRouterHandler
from panel.core.jobs.queue import JobHandler
from panel.plugin import NavItem, PluginMeta, hookimpl
from panel.settings import Settings

HERE = Path(__file__).resolve().parent

PLUGIN_META = PluginMeta(
    name="partner_console",
    version="0.1.0",
    summary="Partner console: partners manage their customers' accounts under a deny list the customer controls",
    min_core_version="0.1.0",
)

# The console's own objects. role:partner_admin (held in the partner account) and the
# partner account's owner (role:owner allows everything) use the console; who may make
# members partner admins is the owner's (and perm:all's) call. Staff admins manage the
# list of partner accounts (staff:admin allows everything); support staff may read it.
POLICY_LINES = (
    "p, role:partner_admin, *, partner:console, ^read$, allow",
    "p, role:partner_admin, *, partner:children, .*, allow",
    "p, staff:support, *, partner:*, ^(read|list)$, allow",
)


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel_partner_console.piccolo_app")


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(HERE / "templates")


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    from panel_partner_console import admin_routes, api, child_routes, routes, store_routes

    register(routes.page_router())
    register(child_routes.page_router())
    register(store_routes.page_router())
    register(admin_routes.page_router())
    register(api.api_router())


@hookimpl
def panel_register_policies(register: Callable[[str], None]) -> None:
    for line in POLICY_LINES:
        register(line)


@hookimpl
def panel_register_jobs(register: Callable[[JobHandler], None]) -> None:
    from panel_partner_console.jobs import HANDLERS

    for handler in HANDLERS:
        register(handler)


async def _is_partner(request: Request[Any, Any, Any]) -> bool:
    from panel_partner_console import services

    return int(request.state.account_id) in await services.partner_accounts() and not request.state.partner_org


async def _has_partner(request: Request[Any, Any, Any]) -> bool:
    """The account is managed by a partner, or was (the grants are in memory: no query)."""
    from panel_partner_console import services

    dom = services.dom(int(request.state.account_id))
    roles = {g[2] for g in request.app.state.authz.grants_in(dom)}
    return bool(roles & {services.DELEGATE, services.REVOKED, services.MANAGED})


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "client":
        register(NavItem("Partner console", "/partner", "partner:console", "read", order=5, visible=_is_partner))
        register(NavItem("Partner", "/account/partner", "partner_link", "read", order=96, visible=_has_partner))
    else:
        register(NavItem("Partners", "/admin/partners", "partner:*", "list", order=35))


@hookimpl
def panel_render_page_slot(slot: str, request: Request[Any, Any, Any], context: dict[str, Any]) -> str | None:
    """`client.banner`: "You are managing <customer>" with the way back, on every page while managing."""
    if slot != "client.banner" or not request.scope.get("state", {}).get("partner_org"):
        return None
    import html

    from litestar.utils.scope.state import ScopeState

    token = ScopeState.from_scope(request.scope).csrf_token or ""
    engine: Any = request.app.template_engine
    template = engine.get_template("partner_console/_banner.html")
    csrf = f'<input type="hidden" name="_csrf_token" value="{html.escape(str(token))}" />'
    return str(template.render(account=context.get("current_account"), csrf_input=csrf))
