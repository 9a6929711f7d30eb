"""JSON API of the self-service feature, under /api/v1: the same services as the pages.

`GET /api/v1/me` belongs to the core API; this adds `PATCH` on the same path.
With a session cookie, a password change answers with the session's new cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from litestar import Request, Response, Router, delete, get, patch, post
from litestar.params import FromPath, JSONBody

from panel.core.audit.context import audit_context
from panel.core.auth.routes import set_session_cookie
from panel.core.authz.guard import LOGGED_IN, PUBLIC
from panel.core.profile import email_change, guards, reset, services
from panel.core.profile import sessions as own_sessions
from panel.core.profile.routes import attempts, reset_limits
from panel.core.stores import services as store_policy
from panel.errors import Forbidden
from panel.settings import Settings

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

PATCH_ME_PATH = "/api/v1/me"


@dataclass
class ProfileOut:
    """The user's own details."""

    id: int
    email: str
    name: str
    language: str
    pending_email: str


@dataclass
class ProfilePatch:
    """Fields to change; leave one out to keep it."""

    name: str | None = None
    language: str | None = None


@dataclass
class PasswordBody:
    """The current password and the new one."""

    current_password: str
    new_password: str


@dataclass
class EmailBody:
    """The new address and the current password."""

    email: str
    password: str


@dataclass
class EmailOut:
    """Where the confirmation link went."""

    pending_email: str
    detail: str


@dataclass
class SessionOut:
    """One live session."""

    id: int
    created_at: datetime
    last_seen_at: datetime
    ip: str
    user_agent: str
    browser: str
    current: bool


@dataclass
class EndedOut:
    """How many sessions ended."""

    ended: int


@dataclass
class ForgotBody:
    """The address to send a reset link to."""

    email: str


@dataclass
class ResetBody:
    """The secret from the reset link, and the new password."""

    token: str
    password: str


@dataclass
class DetailOut:
    """A message."""

    detail: str


def _out(profile: services.Profile) -> ProfileOut:
    return ProfileOut(profile.id, profile.email, profile.name, profile.language, profile.pending_email)


def _session_id(request: Request[Any, Any, Any]) -> int | None:
    current = request.state.get("session")
    return current.id if current is not None else None


@get("/me/profile", authz=LOGGED_IN)
async def api_profile(request: Request[Any, Any, Any]) -> ProfileOut:
    """Your name, language, email and any address waiting for confirmation."""
    return _out(await services.get_profile(request.state.user_id))


# Registered on its own, not in the router below: a router brings its own automatic
# OPTIONS handler for each path, which would clash with the one of core's GET /me.
@patch(PATCH_ME_PATH, authz=LOGGED_IN, tags=["profile"])
async def api_update_me(request: Request[Any, Any, Any], data: JSONBody[ProfilePatch]) -> ProfileOut:
    """Change your name and/or language (en, de, fr, es, nl, pl)."""
    profile = await services.update_profile(
        request.state.user_id, audit_context(request), name=data.name, language=data.language
    )
    return _out(profile)


@post("/me/password", authz=LOGGED_IN, status_code=204)
async def api_change_password(request: Request[Any, Any, Any], data: JSONBody[PasswordBody]) -> Response[None]:
    """Change your password; your other sessions end (all of them with an API token)."""
    guards.refuse_if_denied(request, guards.CHANGE_PASSWORD)
    token = await services.change_password(
        request.state.user_id,
        data.current_password,
        data.new_password,
        attempts(request),
        audit_context(request),
        session_id=_session_id(request),
    )
    response: Response[None] = Response(None, status_code=204)
    if token is not None:
        set_session_cookie(response, request.app.state.settings, token)
    return response


@post("/me/email", authz=LOGGED_IN, status_code=202)
async def api_change_email(request: Request[Any, Any, Any], data: JSONBody[EmailBody]) -> EmailOut:
    """Ask to change your email: a confirmation link goes to the new address (24 hours).

    403 when a store you are a client of manages your login email.
    """
    guards.refuse_if_denied(request, guards.CHANGE_EMAIL)
    if refusal := await store_policy.username_change_refusal(request.state.user_id):
        raise Forbidden(refusal, field="email")
    settings: Settings = request.app.state.settings
    new = await email_change.request_email_change(
        request.state.user_id, data.email, data.password, attempts(request), audit_context(request), settings.base_url
    )
    return EmailOut(new, f"We sent a confirmation link to {new}. Your email changes when it is followed.")


@get("/me/sessions", authz=LOGGED_IN)
async def api_sessions(request: Request[Any, Any, Any]) -> list[SessionOut]:
    """Your live sessions, the current one first."""
    rows = await own_sessions.list_sessions(request.state.user_id, _session_id(request))
    return [SessionOut(r.id, r.created_at, r.last_seen_at, r.ip, r.user_agent, r.browser, r.current) for r in rows]


@delete("/me/sessions/{session_id:int}", authz=LOGGED_IN)
async def api_end_session(request: Request[Any, Any, Any], session_id: FromPath[int]) -> None:
    """End one of your sessions (404 if it is not yours)."""
    await services.end_session(request.state.user_id, session_id, audit_context(request))


@post("/me/sessions/end-others", authz=LOGGED_IN, status_code=200)
async def api_end_other_sessions(request: Request[Any, Any, Any]) -> EndedOut:
    """End every session but the current one (all of them with an API token)."""
    ended = await services.end_other_sessions(request.state.user_id, _session_id(request), audit_context(request))
    return EndedOut(ended)


@post("/password/forgot", authz=PUBLIC, status_code=202)
async def api_forgot(request: Request[Any, Any, Any], data: JSONBody[ForgotBody]) -> DetailOut:
    """Email a reset link; the answer is the same whether or not the address is a user's."""
    settings: Settings = request.app.state.settings
    await reset.request_reset(
        data.email,
        address=request.state.client_address,
        counter=request.app.state.login_failures,
        limits=reset_limits(settings),
        base_url=settings.base_url,
    )
    return DetailOut(reset.SENT)


@post("/password/reset", authz=PUBLIC, status_code=204)
async def api_reset(request: Request[Any, Any, Any], data: JSONBody[ResetBody]) -> None:
    """Set a new password with the secret of a reset link (410 if it is used or expired)."""
    await reset.reset_password(data.token, data.password, audit_context(request), request.app.state.login_failures)


def api_handlers() -> list[ControllerRouterHandler]:
    """The feature's API routes under /api/v1 (`PATCH /api/v1/me` next to core's `GET`)."""
    return [api_update_me, api_router()]


def api_router() -> Router:
    """The feature's API routes under /api/v1 whose paths are its own."""
    return Router(
        path="/api/v1",
        route_handlers=[
            api_profile,
            api_change_password,
            api_change_email,
            api_sessions,
            api_end_session,
            api_end_other_sessions,
            api_forgot,
            api_reset,
        ],
        tags=["profile"],
    )
