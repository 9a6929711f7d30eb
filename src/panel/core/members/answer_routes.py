"""Pages where someone answers: an invitation (from its emailed link) and an ownership offer.

The invitation page is public: the link's secret is the credential. Accepting needs
a user with the invited email, logged in, or created right there; then the session
switches to the account joined.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from panel.core.accounts import services as accounts
from panel.core.accounts.routes import switch_account
from panel.core.audit.context import audit_context
from panel.core.auth import sessions
from panel.core.auth.routes import set_session_cookie, start_session
from panel.core.authz.guard import LOGGED_IN, PUBLIC, requires
from panel.core.members import joining, ownership
from panel.core.members.routes import catalog, form_values
from panel.core.twofactor import gate as twofactor_gate  # two-factor: an account's requirement
from panel.core.twofactor import login as twofactor_login
from panel.core.web.pages import page, redirect
from panel.errors import ValidationFailed

PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}  # the URL holds a secret


async def _invitation_page(
    request: Request[Any, Any, Any],
    secret: str,
    errors: dict[str, str] | None = None,
    name: str = "",
    status_code: int = 200,
) -> Template:
    found = await joining.view(secret, catalog(request))
    session = request.state.get("session")
    who = "anonymous" if session is None else "invitee" if session.email == found.email else "other"
    answer = await page(
        request,
        "members/invitation.html",
        area="public",
        status_code=status_code,
        invitation=found,
        secret=secret,
        who=who,
        errors=errors or {},
        name=name,
    )
    answer.headers.update(PRIVATE)
    return answer


@get("/invitations/{secret:str}", authz=PUBLIC)
async def invitation_page(request: Request[Any, Any, Any], secret: FromPath[str]) -> Template:
    """What accepting gives, and how to accept: log in, create a user, or switch user."""
    return await _invitation_page(request, secret)


@post("/invitations/{secret:str}/accept", authz=LOGGED_IN)
async def accept_invitation(request: Request[Any, Any, Any], secret: FromPath[str]) -> Response[Any]:
    """The logged-in invitee accepts; the session switches to the account joined (or enrolment, if it requires it)."""
    account_id = await joining.accept(
        request.app.state.authz, secret, request.state.user_id, catalog=catalog(request), by=audit_context(request)
    )
    try:
        token = await switch_account(request, account_id)
    except twofactor_gate.EnrolmentRequired:  # two-factor: joined, but set it up before working there
        return twofactor_gate.to_enrolment(request)
    response = redirect(request, "/")
    set_session_cookie(response, request.app.state.settings, token)
    return response


@post("/invitations/{secret:str}/register", authz=PUBLIC)
async def register_and_accept(request: Request[Any, Any, Any], secret: FromPath[str]) -> Response[Any]:
    """Create a user with the invited email, accept, and log in to the account joined."""
    fields, _ = await form_values(request)
    name = fields.get("name", "")
    try:
        user_id, account_id = await joining.register_and_accept(
            request.app.state.authz,
            secret,
            name,
            fields.get("password", ""),
            catalog=catalog(request),
            by=audit_context(request),
        )
    except ValidationFailed as exc:
        return await _invitation_page(request, secret, exc.errors, name, 422)
    if enrol := await twofactor_login.begin_if_needed(request, user_id, "/"):  # two-factor: enrolment first
        await accounts.remember_choice(user_id, account_id)
        return enrol
    token, _, _ = await start_session(request, user_id)  # a new user: the account joined is their only one
    await accounts.remember_choice(user_id, account_id)
    response = redirect(request, "/")
    set_session_cookie(response, request.app.state.settings, token)
    return response


@post("/invitations/{secret:str}/decline", authz=PUBLIC)
async def decline_invitation(request: Request[Any, Any, Any], secret: FromPath[str]) -> Template:
    """The invitee says no; the link stops working."""
    found = await joining.view(secret, catalog(request))
    await joining.decline(secret, by=audit_context(request))
    answer = await page(request, "members/declined.html", area="public", invitation=found)
    answer.headers.update(PRIVATE)
    return answer


@post("/invitations/{secret:str}/logout", authz=LOGGED_IN)
async def switch_user(request: Request[Any, Any, Any], secret: FromPath[str]) -> Response[Any]:
    """Log out and come back to the invitation, to accept it as the invited user."""
    if current := request.state.get("session"):
        await sessions.end(current.id)
    response = redirect(request, f"/invitations/{secret}")
    response.delete_cookie(sessions.COOKIE_NAME)
    return response


# -- ownership offers ----------------------------------------------------------------------------


async def _offer_page(
    request: Request[Any, Any, Any], account_id: int, errors: dict[str, str] | None = None, status_code: int = 200
) -> Template:
    offer = await ownership.offer_to(request.state.user_id, account_id)
    perms = catalog(request)
    return await page(
        request,
        "members/ownership.html",
        status_code=status_code,
        offer=offer,
        permissions=perms,
        kept=set(ownership.default_kept(perms)),
        errors=errors or {},
    )


@get(
    "/accounts/{account_id:int}/ownership",
    authz=requires("account:ownership_offer", "read", account_param="account_id"),
)
async def offer_page(request: Request[Any, Any, Any], account_id: FromPath[int]) -> Template:
    """The ownership offer made to the current user in that account."""
    return await _offer_page(request, account_id)


@post(
    "/accounts/{account_id:int}/ownership/accept",
    authz=requires("account:ownership_offer", "accept", account_param="account_id"),
)
async def accept_offer(request: Request[Any, Any, Any], account_id: FromPath[int]) -> Response[Any]:
    """Take the ownership; the ticked boxes are what the old owner keeps."""
    form = await request.form()
    keep = [str(v) for v in form.getall("keep")] if "keep" in form else []
    try:
        await ownership.accept_offer(
            request.app.state.authz,
            request.state.user_id,
            account_id,
            keep=keep,
            catalog=catalog(request),
            by=audit_context(request),
        )
    except ValidationFailed as exc:
        return await _offer_page(request, account_id, exc.errors, 422)
    token = await switch_account(request, account_id)
    response = redirect(request, "/account/users")
    set_session_cookie(response, request.app.state.settings, token)
    return response


@post(
    "/accounts/{account_id:int}/ownership/decline",
    authz=requires("account:ownership_offer", "decline", account_param="account_id"),
)
async def decline_offer(request: Request[Any, Any, Any], account_id: FromPath[int]) -> Response[Any]:
    """Say no to the ownership offer."""
    await ownership.decline_offer(request.state.user_id, account_id, by=audit_context(request))
    return redirect(request, "/")


ROUTES = [
    invitation_page,
    accept_invitation,
    register_and_accept,
    decline_invitation,
    switch_user,
    offer_page,
    accept_offer,
    decline_offer,
]
