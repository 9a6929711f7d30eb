"""The partner's pages: the console (customers, requests, partner admins), Manage and back.

Pages work on the session's current account, which must be a partner account; a
customer that is not the partner's answers 404, whatever its id.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from panel.core.audit.context import audit_context
from panel.core.audit.services import record
from panel.core.auth import sessions
from panel.core.auth.routes import set_session_cookie
from panel.core.authz.guard import LOGGED_IN, check, requires
from panel.core.paging import Page
from panel.core.twofactor.gate import EnrolmentRequired, check_switch, to_enrolment
from panel.core.web.pages import allowed, page, redirect
from panel.errors import ValidationFailed

from panel_partner_console import services
from panel_partner_console.forms import text

CONSOLE = requires("partner:console", "read")
CHANGE = requires("partner:children", "update")
ADMINS = requires("partner:admins", "update")

NOTICES = {
    "created": "The organization was created. Its owner has been emailed to approve you as its partner.",
    "requested": "The request was sent. The customer's owner chooses which account you may manage.",
    "ended": "You no longer manage that customer.",
    "left": "You are back in your own account.",
    "revoked": "That customer's owner revoked your access.",
}


async def _console(
    request: Request[Any, Any, Any],
    page_no: int = 1,
    notice: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    partner_id = int(request.state.account_id)
    offset = (max(page_no, 1) - 1) * services.PAGE_SIZE
    rows, total = await services.children(partner_id, services.PAGE_SIZE, offset)
    return await page(
        request,
        "partner_console/console.html",
        status_code=status_code,
        found=Page(rows, total, services.PAGE_SIZE, offset),
        notice=NOTICES.get(notice, ""),
        errors=errors or {},
        values=values or {},
        may_change=allowed(request, "partner:children", "update", f"acct:{partner_id}"),
        may_admins=allowed(request, "partner:admins", "update", f"acct:{partner_id}"),
        page_url=lambda n: f"/partner?page_no={n}",
    )


@get("/partner", authz=CONSOLE)
async def console(
    request: Request[Any, Any, Any], page_no: FromQuery[int] = 1, notice: FromQuery[str] = ""
) -> Template:
    """The partner's customers with status, plan, users and services, and a Manage link for each active one."""
    await services.require_partner(int(request.state.account_id))
    return await _console(request, page_no, notice)


@post("/partner/children/new", authz=CHANGE)
async def create_child(request: Request[Any, Any, Any]) -> Response[Any] | Template:
    """Create an organization for a new customer; its owner approves before anything is managed."""
    form = await request.form()
    values = {k: text(form, k) for k in ("name", "owner_email", "owner_name", "ends_on")}
    try:
        await services.create_child(
            request.app.state.authz,
            int(request.state.account_id),
            values["name"],
            values["owner_email"],
            owner_name=values["owner_name"],
            ends_on=values["ends_on"],
            base_url=request.app.state.settings.base_url,
            by=audit_context(request),
        )
    except ValidationFailed as exc:
        return await _console(request, errors=exc.errors, values=values, status_code=422)
    return redirect(request, "/partner?notice=created")


@post("/partner/requests", authz=CHANGE)
async def request_existing(request: Request[Any, Any, Any]) -> Response[Any] | Template:
    """Ask an existing customer (by their email) to let the partner manage one of their accounts."""
    form = await request.form()
    values = {"email": text(form, "email"), "request_ends_on": text(form, "request_ends_on")}
    try:
        await services.request_existing(
            int(request.state.account_id),
            values["email"],
            ends_on=values["request_ends_on"],
            note=text(form, "note"),
            by=audit_context(request),
        )
    except ValidationFailed as exc:
        errors = {("request_ends_on" if k == "ends_on" else k): v for k, v in exc.errors.items()}
        return await _console(request, errors=errors, values=values, status_code=422)
    return redirect(request, "/partner?notice=requested")


@post("/partner/links/{link_id:int}/end", authz=CHANGE)
async def end_link(request: Request[Any, Any, Any], link_id: FromPath[int]) -> Response[Any]:
    """Stop managing a customer, or withdraw an unanswered request."""
    await services.end_by_partner(
        request.app.state.authz, int(request.state.account_id), link_id, by=audit_context(request)
    )
    return redirect(request, "/partner?notice=ended")


@post("/partner/children/{child_id:int}/manage", authz=CONSOLE)
async def manage(request: Request[Any, Any, Any], child_id: FromPath[int]) -> Response[Any]:
    """Open the customer's own screens as its partner admin (the session now acts for the partner).

    The rules engine must let this user act for the partner in the child (a partner
    admin of an active partnership); a customer that requires two-factor
    authentication sends a user without it to enrolment first.
    """
    partner_id = int(request.state.account_id)
    child = await services.manageable_child(partner_id, child_id)
    state = request.scope["state"]
    state["partner_org"] = f"acct:{partner_id}"
    check(request, "account:dashboard", "read", f"acct:{child_id}", "Only the partner's partner admins may manage it.")
    try:
        await check_switch(request.state.user_id, child_id)
    except EnrolmentRequired:
        return to_enrolment(request)
    token = await sessions.rotate(request.state.session.id, account_id=child_id, partner_account_id=partner_id)
    await record(
        "partner.manage.start",
        account_id=child_id,
        target=f"account:{child_id}",
        summary=f"{request.state.session.email} started managing {child.name} as its partner.",
        **audit_context(request),
    )
    response = redirect(request, "/")
    set_session_cookie(response, request.app.state.settings, token)
    return response


@post("/partner/leave", authz=LOGGED_IN)
async def leave(request: Request[Any, Any, Any]) -> Response[Any]:
    """Stop managing a customer: back to the partner's own account and console."""
    current = request.state.session
    if current is None or current.partner_account_id is None:
        return redirect(request, "/partner")
    partner_id = current.partner_account_id
    token = await sessions.rotate(current.id, account_id=partner_id, partner_account_id=None)
    response = redirect(request, "/partner?notice=left")
    set_session_cookie(response, request.app.state.settings, token)
    return response


@get("/partner/admins", authz=ADMINS)
async def admins(request: Request[Any, Any, Any]) -> Template:
    """The partner account's members and which of them act for it in customers' accounts."""
    partner_id = int(request.state.account_id)
    await services.require_partner(partner_id)
    found = await services.partner_admins(request.app.state.authz, partner_id)
    return await page(request, "partner_console/admins.html", admins=found)


@post("/partner/admins/{user_id:int}", authz=ADMINS)
async def set_admin(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
    """Give a member the partner-admin role or take it away."""
    form = await request.form()
    await services.set_partner_admin(
        request.app.state.authz,
        int(request.state.account_id),
        user_id,
        text(form, "admin") in ("on", "1", "true"),
        by=audit_context(request),
    )
    return redirect(request, "/partner/admins")


def page_router() -> Router:
    """The partner's pages."""
    handlers = [console, create_child, request_existing, end_link, manage, leave, admins, set_admin]
    return Router(path="/", route_handlers=handlers, include_in_schema=False)
