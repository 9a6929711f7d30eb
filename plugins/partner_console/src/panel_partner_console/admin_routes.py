"""Staff pages: which accounts are partners; make an account a partner or stop it being one."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath
from litestar.response import Template
from panel.core.accounts.tables import Account
from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires
from panel.core.web.pages import page, redirect

from panel_partner_console import services
from panel_partner_console.tables import LinkStatus, PartnerAccount, PartnerLink

LIST = requires("partner:*", "list", scope="platform")
CHANGE = requires("partner:*", "update", scope="platform")


async def _list_page(request: Request[Any, Any, Any], error: str = "") -> Template:
    rows = await PartnerAccount.select(
        PartnerAccount.account, PartnerAccount.account.name, PartnerAccount.enabled_at
    ).order_by(PartnerAccount.account.name)
    live = await PartnerLink.select(PartnerLink.partner).where(PartnerLink.status == LinkStatus.ACTIVE)
    counts: dict[int, int] = {}
    for r in live:
        counts[int(r["partner"])] = counts.get(int(r["partner"]), 0) + 1
    return await page(
        request,
        "partner_console/admin.html",
        area="admin",
        status_code=422 if error else 200,
        partners=rows,
        counts=counts,
        error=error,
    )


@get("/admin/partners", authz=LIST)
async def partner_list(request: Request[Any, Any, Any]) -> Template:
    """Partner accounts with how many customers each manages."""
    return await _list_page(request)


@post("/admin/partners", authz=CHANGE)
async def enable(request: Request[Any, Any, Any]) -> Response[Any] | Template:
    """Make an account (by id) a partner; its owner becomes a partner admin."""
    form = await request.form()
    raw = str(form.get("account_id", "")).strip()
    if not raw.isdigit() or not await Account.exists().where(Account.id == int(raw)):
        return await _list_page(request, "No account has that number.")
    await services.enable_partner(request.app.state.authz, int(raw), by=audit_context(request))
    return redirect(request, "/admin/partners")


@post("/admin/partners/{account_id:int}/disable", authz=CHANGE)
async def disable(request: Request[Any, Any, Any], account_id: FromPath[int]) -> Response[Any]:
    """Stop an account being a partner; its partnerships end."""
    await services.disable_partner(request.app.state.authz, account_id, by=audit_context(request))
    return redirect(request, "/admin/partners")


def page_router() -> Router:
    """The staff pages."""
    return Router(path="/", route_handlers=[partner_list, enable, disable], include_in_schema=False)
