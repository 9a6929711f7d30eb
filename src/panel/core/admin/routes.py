"""The admin area: staff pages (guarded by platform staff roles)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from panel.core.admin import services
from panel.core.authz.guard import requires
from panel.core.web.pages import allowed, page


@get("/admin", authz=requires("admin:dashboard", "read", scope="platform"))
async def admin_home(request: Request[Any, Any, Any]) -> Template:
    """Staff home page with platform totals."""
    return await page(request, "admin/home.html", area="admin", counts=await services.platform_counts())


@get("/admin/accounts", authz=requires("account:*", "list", scope="platform"))
async def admin_accounts(request: Request[Any, Any, Any]) -> Template:
    """Every account on the platform."""
    return await page(request, "admin/accounts.html", area="admin", rows=await services.list_accounts())


@get("/admin/users", authz=requires("user:*", "list", scope="platform"))
async def admin_users(request: Request[Any, Any, Any]) -> Template:
    """Every user, with staff roles."""
    rows = await services.list_users(request.app.state.authz)
    can_impersonate = allowed(request, "user:*", "impersonate", "platform")
    return await page(request, "admin/users.html", area="admin", rows=rows, can_impersonate=can_impersonate)


@get("/admin/plugins", authz=requires("admin:plugins", "read", scope="platform"))
async def admin_plugins(request: Request[Any, Any, Any]) -> Template:
    """Installed plugins and whether each is enabled."""
    return await page(request, "admin/plugins.html", area="admin", plugins=request.app.state.plugins.installed)


ROUTES = [admin_home, admin_accounts, admin_users, admin_plugins]
