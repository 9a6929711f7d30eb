"""The customer's side: requests to answer, the account's partner, revoking it, the end date, inviting it back.

Answering a request is for the user it was sent to (by email, or as the owner of the
organization the partner created); the partner page and its buttons are for the
account's owner, as the rules engine decides (`partner_link`).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from panel.core.audit.context import audit_context
from panel.core.authz.guard import LOGGED_IN, requires
from panel.core.web.pages import allowed, page, redirect
from panel.errors import ValidationFailed

from panel_partner_console import services
from panel_partner_console.forms import text

READ = requires("partner_link", "read")
REVOKE = requires("partner_link", "delete")
INVITE = requires("partner_link", "create")

NOTICES = {
    "approved": "Your partner can now manage the account.",
    "declined": "You declined the request.",
    "revoked": "Your partner's access was revoked. It no longer sees or changes anything in this account.",
    "end_date": "The end date was saved.",
    "invited": "Your partner can manage the account again.",
}


async def _requests_page(
    request: Request[Any, Any, Any], errors: dict[str, str] | None = None, notice: str = ""
) -> Template:
    user_id = request.state.user_id
    return await page(
        request,
        "partner_console/requests.html",
        status_code=422 if errors else 200,
        requests=await services.requests_for(user_id),
        owned=await services.owned_accounts(user_id),
        errors=errors or {},
        notice=NOTICES.get(notice, ""),
    )


@get("/partner-requests", authz=LOGGED_IN)
async def requests_page(request: Request[Any, Any, Any], notice: FromQuery[str] = "") -> Template:
    """Partners asking to manage an account of this user's, with Approve and Decline."""
    return await _requests_page(request, notice=notice)


@post("/partner-requests/{link_id:int}/approve", authz=LOGGED_IN)
async def approve(request: Request[Any, Any, Any], link_id: FromPath[int]) -> Response[Any] | Template:
    """Let the partner manage the account (the one the partner created, or the one chosen here)."""
    form = await request.form()
    raw = text(form, "account_id")
    try:
        await services.approve(
            request.app.state.authz,
            link_id,
            request.state.user_id,
            int(raw) if raw.isdigit() else None,
            by=audit_context(request),
        )
    except ValidationFailed as exc:
        return await _requests_page(request, exc.errors)
    return redirect(request, "/partner-requests?notice=approved")


@post("/partner-requests/{link_id:int}/decline", authz=LOGGED_IN)
async def decline(request: Request[Any, Any, Any], link_id: FromPath[int]) -> Response[Any]:
    """Say no to a partner's request."""
    await services.decline(link_id, request.state.user_id, by=audit_context(request))
    return redirect(request, "/partner-requests?notice=declined")


async def _partner_page(
    request: Request[Any, Any, Any], notice: str = "", errors: dict[str, str] | None = None
) -> Template:
    account_id = int(request.state.account_id)
    dom = f"acct:{account_id}"
    return await page(
        request,
        "partner_console/partner.html",
        status_code=422 if errors else 200,
        link=await services.live_link_of(account_id),
        former=await services.former_partners(account_id),
        may_revoke=allowed(request, "partner_link", "delete", dom),
        may_invite=allowed(request, "partner_link", "create", dom),
        notice=NOTICES.get(notice, ""),
        errors=errors or {},
    )


@get("/account/partner", authz=READ)
async def partner_page(request: Request[Any, Any, Any], notice: FromQuery[str] = "") -> Template:
    """Who manages this account, since when and until when; revoke, change the end date, invite back."""
    return await _partner_page(request, notice)


@post("/account/partner/revoke", authz=REVOKE)
async def revoke(request: Request[Any, Any, Any]) -> Response[Any]:
    """Take the partner's access away at once, open sessions included."""
    await services.revoke(
        request.app.state.authz, int(request.state.account_id), request.state.user_id, by=audit_context(request)
    )
    return redirect(request, "/account/partner?notice=revoked")


@post("/account/partner/end-date", authz=REVOKE)
async def end_date(request: Request[Any, Any, Any]) -> Response[Any] | Template:
    """Set or clear the day the partner's access ends."""
    form = await request.form()
    try:
        await services.set_end_date(
            int(request.state.account_id),
            request.state.user_id,
            request.app.state.authz,
            text(form, "ends_on"),
            by=audit_context(request),
        )
    except ValidationFailed as exc:
        return await _partner_page(request, errors=exc.errors)
    return redirect(request, "/account/partner?notice=end_date")


@post("/account/partner/invite-back", authz=INVITE)
async def invite_back(request: Request[Any, Any, Any]) -> Response[Any] | Template:
    """Let a former partner manage the account again."""
    form = await request.form()
    raw = text(form, "partner_id")
    try:
        await services.invite_back(
            request.app.state.authz,
            int(request.state.account_id),
            request.state.user_id,
            int(raw) if raw.isdigit() else 0,
            by=audit_context(request),
        )
    except ValidationFailed as exc:
        return await _partner_page(request, errors=exc.errors)
    return redirect(request, "/account/partner?notice=invited")


def page_router() -> Router:
    """The customer's pages."""
    handlers = [requests_page, approve, decline, partner_page, revoke, end_date, invite_back]
    return Router(path="/", route_handlers=handlers, include_in_schema=False)
