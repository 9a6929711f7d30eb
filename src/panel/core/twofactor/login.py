"""The second login step: after the right password, a code (or a recovery code) before any session.

Between the two steps the browser holds only a short-lived pending token (cookie
`panel_2fa_pending`, an `ActionToken` row of purpose `twofactor.login`); it opens no
page but this one. A user without two-factor who belongs to an account requiring it
gets the same pending state, with enrolment as the second step.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import URLEncodedBody
from litestar.response import Template

from panel.core.accounts import services as accounts
from panel.core.audit.services import record
from panel.core.auth import sessions
from panel.core.auth.ratelimit import FailureCounter
from panel.core.auth.tables import ActionToken, User
from panel.core.authz.guard import PUBLIC
from panel.core.twofactor import services
from panel.core.web.pages import page, redirect
from panel.errors import TooManyAttempts, ValidationFailed
from panel.settings import Settings, require_secret_key

PENDING_COOKIE = "panel_2fa_pending"
PURPOSE = "twofactor.login"
PENDING_MINUTES = 5


@dataclass
class CodeForm:
    """The code of the second step."""

    code: str = ""


@dataclass(frozen=True)
class Pending:
    """A login waiting for its second step."""

    token_id: int
    user_id: int
    next: str
    enrol: bool


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def begin_if_needed(request: Request[Any, Any, Any], user_id: int, next_target: str) -> Response[Any] | None:
    """After a right password: the redirect to the second step, or None when no second step is due."""
    enrolled = await services.is_enabled(user_id)
    if not enrolled and not await services.requiring_accounts(user_id):
        return None
    token = sessions.new_token()
    now = datetime.now(UTC)
    await ActionToken.insert(
        ActionToken(
            purpose=PURPOSE,
            token_hash=_hash(token),
            user_id=user_id,
            payload={"next": next_target, "enrol": not enrolled},
            created_at=now,
            expires_at=now + timedelta(minutes=PENDING_MINUTES),
        )
    )
    response = redirect(request, "/login/two-factor")
    settings: Settings = request.app.state.settings
    response.set_cookie(
        PENDING_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=PENDING_MINUTES * 60,
    )
    return response


async def _pending(request: Request[Any, Any, Any]) -> Pending | None:
    token = request.cookies.get(PENDING_COOKIE, "")
    if not token:
        return None
    row = (
        await ActionToken.select()
        .where((ActionToken.token_hash == _hash(token)) & (ActionToken.purpose == PURPOSE))
        .first()
    )
    if row is None or row["used_at"] is not None or row["expires_at"] <= datetime.now(UTC):
        return None
    payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
    if not isinstance(payload, dict):
        return None
    return Pending(row["id"], int(row["user_id"]), str(payload.get("next", "")), bool(payload.get("enrol")))


async def _finish(request: Request[Any, Any, Any], pending: Pending) -> tuple[str, str]:
    """Use up the pending token and log the user in; returns the session token and where to go."""
    from panel.core.auth.routes import start_session  # the login's own session start (no cycle at import)

    await ActionToken.update({ActionToken.used_at: datetime.now(UTC)}).where(ActionToken.id == pending.token_id)
    request.state.session = None
    token, account_id, staff = await start_session(request, pending.user_id)
    if account_id is not None:
        await accounts.remember_choice(pending.user_id, account_id)
    target = pending.next or ("/admin" if staff else "/" if account_id else "/accounts/choose")
    return token, target


async def _email(user_id: int) -> str:
    row = await User.select(User.email).where(User.id == user_id).first()
    return str(row["email"]) if row else ""


async def _step_page(
    request: Request[Any, Any, Any], pending: Pending, errors: dict[str, str], status_code: int = 200
) -> Template:
    if pending.enrol:
        settings: Settings = request.app.state.settings
        key = require_secret_key(settings)
        state = await services.status(pending.user_id, key)
        secret = state.pending_secret or await services.start(pending.user_id, key)
        email = await _email(pending.user_id)
        return await page(
            request,
            "twofactor/login_enrol.html",
            area="public",
            status_code=status_code,
            errors=errors,
            secret=secret,
            uri=services.otpauth_uri(secret, email),
            accounts=await services.requiring_accounts(pending.user_id),
        )
    return await page(request, "twofactor/login_code.html", area="public", status_code=status_code, errors=errors)


@get("/login/two-factor", authz=PUBLIC)
async def step_page(request: Request[Any, Any, Any]) -> Response[Any]:
    """The second step's form (or enrolment, when an account requires it); without a pending login, back to login."""
    pending = await _pending(request)
    if pending is None:
        return redirect(request, "/login")
    return await _step_page(request, pending, {})


@post("/login/two-factor", authz=PUBLIC)
async def step_submit(request: Request[Any, Any, Any], data: URLEncodedBody[CodeForm]) -> Response[Any]:
    """Check the code; wrong codes count against the login rate limit (per address and per email)."""
    pending = await _pending(request)
    if pending is None:
        return redirect(request, "/login")
    settings: Settings = request.app.state.settings
    key = require_secret_key(settings)
    counter: FailureCounter = request.app.state.login_failures
    address = request.state.client_address
    email = await _email(pending.user_id)
    try:
        counter.check(f"addr:{address}", settings.login_limit_address)
        counter.check(f"email:{email}", settings.login_limit_account)
    except TooManyAttempts as exc:
        limited = await _step_page(request, pending, {"form": exc.message}, 429)
        limited.headers["Retry-After"] = str(exc.retry_after)
        return limited
    codes: list[str] = []
    if pending.enrol:
        try:
            codes = await services.confirm(pending.user_id, data.code, key)
        except ValidationFailed as exc:
            counter.fail(f"addr:{address}")
            counter.fail(f"email:{email}")
            return await _step_page(request, pending, exc.errors, 422)
        await record(
            "twofactor.enable",
            actor=pending.user_id,
            account_id=None,
            target=f"user:{pending.user_id}",
            summary="Turned two-factor authentication on (required by an account, at login).",
            ip=address,
        )
    elif not await services.check_code(pending.user_id, data.code, key):
        counter.fail(f"addr:{address}")
        counter.fail(f"email:{email}")
        await record(
            "twofactor.login_failed",
            actor=None,
            account_id=None,
            target=f"user:{pending.user_id}",
            summary="A wrong two-factor code at login.",
            ip=address,
        )
        return await _step_page(request, pending, {"code": services.WRONG_CODE}, 422)
    counter.reset(f"email:{email}")
    token, target = await _finish(request, pending)
    response: Response[Any]
    if codes:
        response = await page(request, "twofactor/codes.html", area="public", codes=codes, next=target)
    else:
        response = redirect(request, target)
    response.delete_cookie(PENDING_COOKIE)
    from panel.core.auth.routes import set_session_cookie

    set_session_cookie(response, settings, token)
    return response


ROUTES = [step_page, step_submit]
