"""Pages reached from emailed links, open to everyone: confirming a new email, password reset.

A GET only shows what the link will do; the button (a POST) does it, so mail
scanners that open links change nothing. The secret is in the address, so these
pages send `Referrer-Policy: no-referrer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Template

from panel.core.audit.context import audit_context
from panel.core.auth import sessions as auth_sessions
from panel.core.auth.links import LinkInvalid
from panel.core.auth.routes import set_session_cookie
from panel.core.authz.guard import PUBLIC
from panel.core.profile import email_change, reset
from panel.core.profile.routes import form_failure, reset_limits, with_retry
from panel.core.web.pages import page, redirect
from panel.errors import TooManyAttempts, ValidationFailed
from panel.settings import Settings

NO_REFERRER = {"Referrer-Policy": "no-referrer"}


@dataclass
class ForgotForm:
    """The address to send a reset link to."""

    email: str = ""


@dataclass
class ResetForm:
    """The new password, twice."""

    password: str = ""
    confirm_password: str = ""


async def _link_invalid(request: Request[Any, Any, Any], exc: LinkInvalid, again: str, label: str) -> Template:
    return await page(
        request,
        "profile/link_invalid.html",
        area="public",
        status_code=exc.status_code,
        message=exc.message,
        again=again,
        again_label=label,
    )


# -- email change ---------------------------------------------------------------------


@get("/me/email/confirm/{secret:str}", authz=PUBLIC)
async def email_confirm_page(request: Request[Any, Any, Any], secret: FromPath[str]) -> Template:
    """What following the link will do, with the button that does it (scanners only GET)."""
    try:
        change = await email_change.preview_email_change(secret)
    except LinkInvalid as exc:
        return await _link_invalid(request, exc, "/me/email", "Change your email again")
    response = await page(request, "profile/email_confirm.html", area="public", change=change, secret=secret)
    response.headers.update(NO_REFERRER)
    return response


@post("/me/email/confirm/{secret:str}", authz=PUBLIC)
async def email_confirm_submit(request: Request[Any, Any, Any], secret: FromPath[str]) -> Response[Any]:
    """Change the email; this browser stays logged in if it is the user's."""
    current = request.state.get("session")
    try:
        _, token = await email_change.confirm_email_change(secret, audit_context(request), current)
    except LinkInvalid as exc:
        return await _link_invalid(request, exc, "/me/email", "Change your email again")
    except email_change.EmailTaken as exc:
        return await page(
            request, "profile/email_taken.html", area="public", status_code=exc.status_code, message=exc.message
        )
    if token is None:
        return redirect(request, "/me/email/changed")
    response = redirect(request, "/me/email?saved=email")
    set_session_cookie(response, request.app.state.settings, token)
    return response


@get("/me/email/changed", authz=PUBLIC)
async def email_changed_page(request: Request[Any, Any, Any]) -> Template:
    """Shown after a change confirmed from a browser that was not logged in as the user."""
    return await page(request, "profile/email_changed.html", area="public")


# -- password reset -------------------------------------------------------------------


@get("/password/forgot", authz=PUBLIC)
async def forgot_page(request: Request[Any, Any, Any], sent: FromQuery[str] = "") -> Template:
    """Ask for a reset link (or, after asking, the answer that never says more)."""
    return await page(
        request, "profile/forgot.html", area="public", sent=sent == "1", message=reset.SENT, email="", errors={}
    )


@post("/password/forgot", authz=PUBLIC)
async def forgot_submit(request: Request[Any, Any, Any], data: URLEncodedBody[ForgotForm]) -> Response[Any]:
    """Send a reset link if the address is a user's; the answer is the same either way."""
    settings: Settings = request.app.state.settings
    try:
        await reset.request_reset(
            data.email,
            address=request.state.client_address,
            counter=request.app.state.login_failures,
            limits=reset_limits(settings),
            base_url=settings.base_url,
        )
    except (ValidationFailed, TooManyAttempts) as exc:
        status, errors = form_failure(exc)
        failed = await page(
            request,
            "profile/forgot.html",
            area="public",
            status_code=status,
            sent=False,
            message=reset.SENT,
            email=data.email,
            errors=errors,
        )
        return with_retry(failed, exc)
    return redirect(request, "/password/forgot?sent=1")


@get("/password/reset/{secret:str}", authz=PUBLIC)
async def reset_page(request: Request[Any, Any, Any], secret: FromPath[str]) -> Template:
    """The new-password form of a reset link."""
    try:
        link = await reset.check_link(secret)
    except LinkInvalid as exc:
        return await _link_invalid(request, exc, "/password/forgot", "Ask for a new link")
    response = await page(request, "profile/reset.html", area="public", secret=secret, email=link.email, errors={})
    response.headers.update(NO_REFERRER)
    return response


@post("/password/reset/{secret:str}", authz=PUBLIC)
async def reset_submit(
    request: Request[Any, Any, Any], secret: FromPath[str], data: URLEncodedBody[ResetForm]
) -> Response[Any]:
    """Set the new password; every session of the user ends, nobody is logged in."""
    try:
        user_id = await reset.reset_password(
            secret,
            data.password,
            audit_context(request),
            request.app.state.login_failures,
            confirm=data.confirm_password,
        )
    except LinkInvalid as exc:
        return await _link_invalid(request, exc, "/password/forgot", "Ask for a new link")
    except ValidationFailed as exc:
        link = await reset.check_link(secret)
        failed = await page(
            request,
            "profile/reset.html",
            area="public",
            status_code=422,
            secret=secret,
            email=link.email,
            errors=exc.errors,
        )
        failed.headers.update(NO_REFERRER)
        return failed
    done = redirect(request, "/password/changed")
    if request.state.get("user_id") == user_id:
        done.delete_cookie(auth_sessions.COOKIE_NAME)  # that session has ended
    return done


@get("/password/changed", authz=PUBLIC)
async def reset_done_page(request: Request[Any, Any, Any]) -> Template:
    """After a reset: log in with the new password."""
    return await page(request, "profile/reset_done.html", area="public")


LINK_ROUTES = [
    email_confirm_page,
    email_confirm_submit,
    email_changed_page,
    forgot_page,
    forgot_submit,
    reset_page,
    reset_submit,
    reset_done_page,
]
