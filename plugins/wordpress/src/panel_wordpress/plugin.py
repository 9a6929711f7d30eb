"""The wordpress plugin: PLUGIN_META and its hook implementations (thin; the work is in the services)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.types import ControllerRouterHandler
from panel.core.jobs.queue import JobHandler
from panel.plugin import DashboardStat, NavItem, Permission, PluginMeta, hookimpl
from panel.settings import Settings

from panel_wordpress.config import PLUGIN, SETTINGS
from panel_wordpress.digest_config import DIGEST_SETTINGS
from panel_wordpress.manage_config import MANAGE_SETTINGS

HERE = Path(__file__).resolve().parent

PLUGIN_META = PluginMeta(
    name=PLUGIN,
    version="0.1.0",
    summary="WordPress sites: connect them, see their versions, plugins, themes, users, health and pending updates",
    min_core_version="0.1.0",
    settings=SETTINGS + DIGEST_SETTINGS + MANAGE_SETTINGS,
)


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel_wordpress.piccolo_app")
    register("panel_wordpress.runs_piccolo_app")  # bulk changes (runs), migrated on their own


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(HERE / "templates")


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    from panel_wordpress import api, digest_routes, routes

    register(routes.page_router())
    register(api.api_router())
    register(digest_routes.page_router())  # update digests
    register(digest_routes.api_router())
    from panel_wordpress import manage_api, manage_routes

    register(manage_routes.page_router())  # bulk updates, installs, users, a site's plugins, themes and users
    register(manage_api.api_router())
    from panel_wordpress import fleet_routes

    register(fleet_routes.page_router())  # sites across clients: /admin/wordpress, /reseller/wordpress


@hookimpl
def panel_register_jobs(register: Callable[[JobHandler], None]) -> None:
    from panel_wordpress.digest_jobs import HANDLERS as DIGEST_HANDLERS
    from panel_wordpress.jobs import HANDLERS

    for handler in (*HANDLERS, *DIGEST_HANDLERS):
        register(handler)
    from panel_wordpress.run_jobs import HANDLERS as RUN_HANDLERS

    for handler in RUN_HANDLERS:
        register(handler)


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "client":
        register(NavItem("WordPress sites", "/wordpress/sites", "wordpress.site:*", "list", order=45))
    from panel_wordpress.fleet_routes import nav_items

    for item in nav_items(area):  # staff: every client's sites; resellers: their clients' sites
        register(item)


PENDING_SQL = (
    "SELECT COUNT(*) AS sites, COALESCE(SUM(plugin_updates + theme_updates"
    " + CASE WHEN core_update <> '' THEN 1 ELSE 0 END), 0) AS pending FROM wordpress_site WHERE account = {}"
)


async def _pending_updates(request: Request[Any, Any, Any]) -> int | None:
    """Updates waiting on the account's sites; no tile while it has no site.

    One query, kept while the account's data revision stays the same: the plugin's
    migration makes changes of `wordpress_site` rows move it (`revisions.watch`).
    """
    from panel.core import db
    from panel.core.accounts.home import cached

    account_id = int(request.state.account_id)
    rows = await cached(request, "wordpress.pending", lambda: db.fetch(PENDING_SQL, account_id))
    return int(rows[0]["pending"]) if rows and rows[0]["sites"] else None


@hookimpl
def panel_register_dashboard_stats(register: Callable[[DashboardStat], None]) -> None:
    register(
        DashboardStat(
            "wordpress.updates",
            "WordPress updates",
            "wordpress.site:*",
            "list",
            order=60,
            load=_pending_updates,
            href="/wordpress/sites",
        )
    )


@hookimpl
def panel_register_permissions(register: Callable[[Permission], None]) -> None:
    register(
        Permission("wordpress.sites", "WordPress sites", "See the account's WordPress sites and what they run.", 70)
    )
    register(
        Permission(
            "wordpress.manage",
            "Manage WordPress sites",
            "Connect, refresh and disconnect WordPress sites, and ignore their updates.",
            71,
        )
    )


@hookimpl
def panel_register_policies(register: Callable[[str], None]) -> None:
    from panel_wordpress.fleet_routes import POLICY_LINES as FLEET_LINES
    from panel_wordpress.guards import POLICY_LINES

    for line in (*POLICY_LINES, *FLEET_LINES):
        register(line)
