"""Core's own contributions, made through the same hooks a plugin uses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from litestar import Request

from panel import __version__
from panel.core.accounts import services as accounts
from panel.core.accounts.tables import Membership
from panel.plugin import DashboardWidget, NavItem, Permission, PluginMeta, StaticFiles, hookimpl

PLUGIN_META = PluginMeta(name="core", version=__version__, summary="hostpanel core", builtin=True)

CORE_PERMISSIONS = (
    Permission("profile", "Profile", "Edit the account's details.", 10),
    Permission("contacts", "Contacts", "See and edit the account's contacts.", 20),
    Permission("services", "Services", "See services.", 30),
    Permission("manage_services", "Manage services", "Order, change and cancel services.", 31),
    Permission("domains", "Domains", "See domains.", 40),
    Permission("manage_domains", "Manage domains", "Register, renew and change domains.", 41),
    Permission("invoices", "Invoices", "See and pay invoices, manage payment methods.", 50),
    Permission("quotes", "Quotes", "See and accept quotes.", 51),
    Permission("orders", "Orders", "Place orders.", 60),
    Permission("tickets", "Tickets", "Open and answer support tickets.", 70),
    Permission("emails", "Emails", "See emails sent to the account.", 80),
    Permission("users", "Users", "Invite users and set their permissions.", 90),
    Permission("all", "Everything", "Everything except transferring ownership.", 99),
)


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel.core.piccolo_app")


@hookimpl
def panel_register_static(register: Callable[[StaticFiles], None]) -> None:
    register(StaticFiles("core", Path(__file__).parent / "static"))


@hookimpl
def panel_register_permissions(register: Callable[[Permission], None]) -> None:
    for perm in CORE_PERMISSIONS:
        register(perm)


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "client":
        register(NavItem("Home", "/", "account:dashboard", order=0))
    else:
        register(NavItem("Dashboard", "/admin", "admin:dashboard", order=0))
        register(NavItem("Accounts", "/admin/accounts", "account:*", "list", order=10))
        register(NavItem("Users", "/admin/users", "user:*", "list", order=20))
        register(NavItem("Plugins", "/admin/plugins", "admin:plugins", order=90))


MEMBER_COUNT_SQL = f"SELECT count(*) AS n FROM {Membership._meta.tablename} WHERE account = {{}}"  # noqa: S608


async def _account_widget(request: Request[Any, Any, Any]) -> Mapping[str, Any]:
    """Name, status and members of the current account (its row as the page's account menu read it)."""
    from panel.core.accounts.home import cached
    from panel.core.web.pages import my_accounts

    account_id = request.state.account_id
    known = next((a for a in await my_accounts(request) if a.id == account_id), None)
    name, status = (known.name, known.status) if known else (await _name_and_status(account_id))
    members = await cached(request, "core.members", lambda: _member_count(account_id))
    perms = accounts.permissions_of(request.app.state.authz, request.state.user_id, account_id)
    return {
        "account_name": name,
        "status": status,
        "members": members,
        "access": "owner" if "owner" in perms else ", ".join(perms) or "member",
    }


async def _member_count(account_id: int) -> int:
    from panel.core import db

    return int((await db.fetch(MEMBER_COUNT_SQL, account_id))[0]["n"])


async def _name_and_status(account_id: int) -> tuple[str, str]:
    account = await accounts.get_account(account_id)
    return account.name, account.status


@hookimpl
def panel_register_dashboard_widgets(register: Callable[[DashboardWidget], None]) -> None:
    register(
        DashboardWidget("account", "This account", "widgets/account.html", "account:summary", load=_account_widget)
    )
