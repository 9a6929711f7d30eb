"""JSON API: a partner's customers; an account's partner and revoking it.

A token acts for a partner account by naming it in the `X-Partner-Account` header;
the rules engine then decides each call in a customer's account as it does for the
partner's browser session.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from litestar import Request, Router, delete, get
from litestar.params import FromPath, FromQuery
from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires

from panel_partner_console import services


@get(
    "/partner/accounts/{account_id:int}/children", authz=requires("partner:console", "read", account_param="account_id")
)
async def list_children(
    request: Request[Any, Any, Any], account_id: FromPath[int], limit: FromQuery[int] = 50, offset: FromQuery[int] = 0
) -> dict[str, Any]:
    """The partner's pending and active customers."""
    rows, total = await services.children(account_id, max(1, min(limit, 200)), max(0, offset))
    return {
        "total": total,
        "children": [
            {**asdict(c), "ends_on": c.ends_on.isoformat() if c.ends_on else None, "manageable": c.manageable}
            for c in rows
        ],
    }


@get("/accounts/{account_id:int}/partner", authz=requires("partner_link", "read", account_param="account_id"))
async def account_partner(account_id: FromPath[int]) -> dict[str, Any]:
    """Who manages the account (or asked to), or `{"partner": null}`."""
    link = await services.live_link_of(account_id)
    if link is None:
        return {"partner": None}
    return {
        "partner": {"account_id": link["partner"], "name": link["partner.name"]},
        "status": link["status"],
        "ends_on": link["ends_on"].isoformat() if link["ends_on"] else None,
    }


@delete(
    "/accounts/{account_id:int}/partner",
    authz=requires("partner_link", "delete", account_param="account_id"),
    status_code=200,
)
async def revoke_partner(request: Request[Any, Any, Any], account_id: FromPath[int]) -> dict[str, Any]:
    """Revoke the partner's access now."""
    await services.revoke(request.app.state.authz, account_id, request.state.user_id, by=audit_context(request))
    return {"revoked": True}


def api_router() -> Router:
    """The plugin's API under /api/v1."""
    return Router(path="/api/v1", route_handlers=[list_children, account_partner, revoke_partner])
