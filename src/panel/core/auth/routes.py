"""Log in and out (pages and API)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from panel.core.accounts import services as accounts
from panel.core.audit.context import audit_context
from panel.core.audit.services import record
from panel.core.auth import services, sessions
from panel.core.auth.ratelimit import FailureCounter
from panel.core.authz.guard import LOGGED_IN, PUBLIC
from panel.core.web.pages import page, redirect
from panel.errors import TooManyAttempts, ValidationFailed
from panel.settings import Settings


@dataclass
class LoginForm:
    """What the login form and the API login send."""

    email: str = ""
    password: str = ""
    next: str = ""


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else ""


def _limits(settings: Settings) -> services.LoginLimits:
    return services.LoginLimits(settings.login_limit_address, settings.login_limit_account)


def set_session_cookie(response: Response[Any], settings: Settings, token: str) -> None:
    """Attach the session cookie (HttpOnly, SameSite=Lax)."""
    response.set_cookie(
        sessions.COOKIE_NAME,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=settings.session_days * 86400,
    )


async def start_session(request: Request[Any, Any, Any], user_id: int) -> tuple[str, int | None, bool]:
    """Log a user in: new session (fresh token), initial account, plugin notice.

    Returns the token, the account chosen (the only one, or None when the user must
    pick) and whether the user is staff.
    """
    settings: Settings = request.app.state.settings
    authz = request.app.state.authz
    mine = await accounts.accounts_of(user_id)
    account_id = mine[0].id if len(mine) == 1 else None
    if old := request.state.get("session"):
        await sessions.end(old.id)
    token = await sessions.create(
        user_id, account_id, request.state.client_address, request.headers.get("user-agent", ""), settings.session_days
    )
    staff = bool(services.staff_roles(authz, user_id))
    await record(
        "auth.login",
        actor=user_id,
        account_id=account_id,
        target=f"user:{user_id}",
        summary="Logged in.",
        ip=request.state.client_address,
    )
    await request.app.state.plugins.on_user_logged_in(user_id, account_id, staff)
    return token, account_id, staff


@get("/login", authz=PUBLIC)
async def login_page(request: Request[Any, Any, Any], next: FromQuery[str] = "") -> Template | Redirect:
    """The login form; a logged-in user goes straight on."""
    if request.state.get("user_id") is not None:
        return Redirect("/")
    return await page(request, "auth/login.html", area="public", errors={}, email="", next=_safe_next(next))


@post("/login", authz=PUBLIC)
async def login_submit(
    request: Request[Any, Any, Any],
    data: URLEncodedBody[LoginForm],
) -> Response[Any]:
    """Check the login; on success redirect to the right area."""
    settings: Settings = request.app.state.settings
    counter: FailureCounter = request.app.state.login_failures
    try:
        user_id = await services.authenticate(
            data.email, data.password, request.state.client_address, counter, _limits(settings)
        )
    except ValidationFailed as exc:
        return await page(
            request,
            "auth/login.html",
            area="public",
            status_code=422,
            errors=exc.errors,
            email=data.email,
            next=_safe_next(data.next),
        )
    except TooManyAttempts as exc:
        limited = await page(
            request,
            "auth/login.html",
            area="public",
            status_code=429,
            errors={"form": exc.message},
            email=data.email,
            next=_safe_next(data.next),
        )
        limited.headers["Retry-After"] = str(exc.retry_after)
        return limited
    # -- two-factor (panel.core.twofactor): a second step before any session exists --
    from panel.core.twofactor.login import begin_if_needed

    if (second_step := await begin_if_needed(request, user_id, _safe_next(data.next))) is not None:
        return second_step
    # -- end two-factor --
    token, account_id, staff = await start_session(request, user_id)
    if account_id is not None:
        await accounts.remember_choice(user_id, account_id)
    target = _safe_next(data.next) or ("/admin" if staff else "/" if account_id else "/accounts/choose")
    response = redirect(request, target)
    set_session_cookie(response, settings, token)
    return response


async def end_current_session(request: Request[Any, Any, Any], summary: str) -> None:
    """End the request's session (page or API logout) and write it to the audit log."""
    if current := request.state.get("session"):
        await sessions.end(current.id)
        await record(
            "auth.logout",
            account_id=current.account_id,
            target=f"user:{current.user_id}",
            summary=summary,
            **audit_context(request),
        )


@post("/logout", authz=LOGGED_IN)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    """End this session."""
    await end_current_session(request, "Logged out.")
    response = Redirect("/login")
    response.delete_cookie(sessions.COOKIE_NAME)
    return response


ROUTES = [login_page, login_submit, logout]
