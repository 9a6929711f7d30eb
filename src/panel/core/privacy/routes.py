"""Pages of the personal-data export: your own (`/me/export`) and a member's (`/account/users/{id}/export`).

Asking is a plain POST and redirect. While an archive is being made its row asks
for news every two seconds with htmx (`/exports/{id}/status`); without JavaScript
the page reloads itself. Downloads (`/exports/{id}/download`) answer only the person
who asked; to anyone else the export does not exist (404).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from panel.core import uploads
from panel.core.audit.context import audit_context
from panel.core.authz.guard import LOGGED_IN, requires
from panel.core.members.services import get_member
from panel.core.privacy import services
from panel.core.web.pages import page, redirect
from panel.errors import Forbidden


def not_impersonating(request: Request[Any, Any, Any]) -> None:
    """Refuse (403) while staff act as the user: their data stays with them."""
    if request.state.get("impersonator_id"):
        raise Forbidden("Staff acting as a user cannot export or download the user's data.")


# -- your own data ----------------------------------------------------------------------------


@get("/me/export", authz=LOGGED_IN)
async def me_page(request: Request[Any, Any, Any]) -> Template:
    """Your data exports: ask for one, see each one's state, download the ready ones."""
    me = request.state.user_id
    exports = await services.list_requested(me, me, None)
    return await page(
        request,
        "privacy/me.html",
        tab="export",
        notice="",
        exports=exports,
        live=any(e.live for e in exports),
        keep_days=services.KEEP.days,
    )


@post("/me/export", authz=LOGGED_IN)
async def me_request(request: Request[Any, Any, Any]) -> Response[Any]:
    """Ask for an archive of all your data (one at a time: asking again while one is made changes nothing)."""
    not_impersonating(request)
    await services.request_own(request.app.state.settings, request.state.user_id, audit_context(request))
    return redirect(request, "/me/export")


# -- a member's data (account admins) ------------------------------------------------------------


@get("/account/users/{user_id:int}/export", authz=requires("userdata:{user_id}", "backup"))
async def member_page(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Template:
    """The exports you asked for of a member's data held by this account."""
    account_id = request.state.account_id
    member = await get_member(request.app.state.authz, account_id, user_id)
    exports = await services.list_requested(request.state.user_id, user_id, account_id)
    return await page(
        request,
        "privacy/member.html",
        member=member,
        exports=exports,
        live=any(e.live for e in exports),
        keep_days=services.KEEP.days,
    )


@post("/account/users/{user_id:int}/export", authz=requires("userdata:{user_id}", "backup"))
async def member_request(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
    """Ask for an archive of a member's data held by this account; the member is told by email."""
    await services.request_for_member(
        request.app.state.authz,
        request.app.state.settings,
        request.state.account_id,
        user_id,
        audit_context(request),
    )
    return redirect(request, f"/account/users/{user_id}/export")


# -- one export --------------------------------------------------------------------------------


@get("/exports/{export_id:int}/status", authz=LOGGED_IN)
async def export_status(request: Request[Any, Any, Any], export_id: FromPath[int]) -> Template:
    """One export's row (the htmx poll); 404 unless you asked for it."""
    export = await services.get_for_requester(export_id, request.state.user_id)
    return Template(template_name="privacy/_export.html", context={"export": export})


@get("/exports/{export_id:int}/download", authz=LOGGED_IN)
async def export_download(request: Request[Any, Any, Any], export_id: FromPath[int]) -> Response[Any]:
    """The archive, to the person who asked for it only (404 to anyone else, and once expired)."""
    not_impersonating(request)
    stored = await services.download(export_id, request.state.user_id, audit_context(request))
    return uploads.file_response(services.AREA, stored)


ROUTES = [me_page, me_request, member_page, member_request, export_status, export_download]
