"""JSON API of the personal-data export: the same services and rules as the pages.

Download a ready archive from `download_url` (the same address as the page's link).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Request, Router, get, post
from litestar.params import FromPath

from panel.core.audit.context import audit_context
from panel.core.authz.guard import LOGGED_IN, requires
from panel.core.privacy import services
from panel.core.privacy.routes import not_impersonating


@dataclass(frozen=True)
class ExportOut:
    """An export: `state` is queued, running, ready or failed; `download_url` is set once ready."""

    id: int
    user_id: int
    account_id: int | None
    state: str
    size: int
    created_at: datetime
    expires_at: datetime | None
    download_url: str | None


def _out(view: services.ExportView) -> ExportOut:
    return ExportOut(
        id=view.id,
        user_id=view.user_id,
        account_id=view.account_id,
        state=view.state,
        size=view.size,
        created_at=view.created_at,
        expires_at=view.expires_at,
        download_url=f"/exports/{view.id}/download" if view.ready else None,
    )


@post("/me/exports", authz=LOGGED_IN, status_code=202)
async def api_request_own(request: Request[Any, Any, Any]) -> ExportOut:
    """Ask for an archive of all your data (the pending one is answered if there is one)."""
    not_impersonating(request)
    me = request.state.user_id
    export_id = await services.request_own(request.app.state.settings, me, audit_context(request))
    return _out(await services.get_for_requester(export_id, me))


@post(
    "/accounts/{account_id:int}/members/{user_id:int}/exports",
    authz=requires("userdata:{user_id}", "backup", account_param="account_id"),
    status_code=202,
)
async def api_request_member(
    request: Request[Any, Any, Any], account_id: FromPath[int], user_id: FromPath[int]
) -> ExportOut:
    """Ask for an archive of a member's data held by the account; the member is emailed (404 for non-members)."""
    export_id = await services.request_for_member(
        request.app.state.authz, request.app.state.settings, account_id, user_id, audit_context(request)
    )
    return _out(await services.get_for_requester(export_id, request.state.user_id))


@get("/exports/{export_id:int}", authz=LOGGED_IN)
async def api_export(request: Request[Any, Any, Any], export_id: FromPath[int]) -> ExportOut:
    """One export you asked for (404 for anyone else's)."""
    return _out(await services.get_for_requester(export_id, request.state.user_id))


def api_router() -> Router:
    """The privacy feature's API routes under /api/v1."""
    return Router(path="/api/v1", route_handlers=[api_request_own, api_request_member, api_export], tags=["privacy"])
