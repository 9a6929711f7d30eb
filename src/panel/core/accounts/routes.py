"""Client-area home, the account picker and the one-click switch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import URLEncodedBody
from litestar.response import Template

from panel.core.accounts import home, services
from panel.core.auth import sessions
from panel.core.auth.routes import set_session_cookie
from panel.core.authz.guard import LOGGED_IN, check, requires
from panel.core.twofactor import gate as twofactor_gate  # two-factor: an account's requirement
from panel.core.web.pages import allowed, page, redirect


@dataclass
class SwitchForm:
    """The account to switch to."""

    account_id: int
    next: str = ""


async def switch_account(request: Request[Any, Any, Any], account_id: int) -> str:
    """Make `account_id` current for this session; returns the new session token.

    The rules engine must allow the user onto that account's dashboard (so a
    non-member, or a member of a suspended account, is refused). The session token
    rotates, since what the session may do has changed. An account that requires
    two-factor authentication refuses a user without it (`EnrolmentRequired`, 403
    unless the caller sends the user to enrolment).
    """
    check(request, "account:dashboard", "read", f"acct:{account_id}", "You cannot work in that account.")
    current = request.state.session
    await twofactor_gate.check_switch(current.user_id, account_id)  # two-factor: the one check (see gate.py)
    token = await sessions.rotate(current.id, account_id=account_id, partner_account_id=None)  # ends managing
    await services.remember_choice(current.user_id, account_id)
    request.state.account_id = account_id
    request.state.partner_org = ""
    return token


@get("/", authz=requires("account:dashboard", "read"))
async def dashboard(request: Request[Any, Any, Any]) -> Template:
    """The client area's home page: who is logged in where, the tiles and widgets the user may see.

    Tiles and widgets follow the account's arrangement; "Arrange" is offered to who may change it.
    """
    authz = request.app.state.authz
    stats = await home.visible_stats(request)
    widgets = await home.visible_widgets(request)
    perms = services.permissions_of(authz, request.state.user_id, request.state.account_id)
    may_arrange = allowed(request, "account:dashboard", "update", f"acct:{request.state.account_id}")
    return await page(
        request, "client/dashboard.html", stats=stats, widgets=widgets, permissions=perms, may_arrange=may_arrange
    )


@get("/accounts/choose", authz=LOGGED_IN)
async def choose(request: Request[Any, Any, Any]) -> Template:
    """The account picker shown after login to users of several accounts."""
    last = await services.last_choice(request.state.user_id)
    return await page(request, "accounts/choose.html", area="public", last_choice=last)


@post("/accounts/switch", authz=LOGGED_IN)
async def switch(
    request: Request[Any, Any, Any],
    data: URLEncodedBody[SwitchForm],
) -> Response[Any]:
    """Switch the current account (one click from any page); to enrolment when it requires two-factor."""
    try:
        token = await switch_account(request, data.account_id)
    except twofactor_gate.EnrolmentRequired:  # two-factor: set it up before working in that account
        return twofactor_gate.to_enrolment(request)
    target = data.next if data.next.startswith("/") and not data.next.startswith("//") else "/"
    response = redirect(request, target)
    set_session_cookie(response, request.app.state.settings, token)
    return response


ROUTES = [dashboard, choose, switch]
