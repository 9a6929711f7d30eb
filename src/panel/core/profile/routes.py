"""Pages of the logged-in user: their profile, email, password and sessions.

Every form works as a plain POST followed by a redirect, and with htmx (errors
swap into `#main`, success sends `HX-Redirect`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Template

from panel.core import uploads
from panel.core.audit.context import audit_context
from panel.core.auth import sessions as auth_sessions
from panel.core.auth.routes import _limits, set_session_cookie
from panel.core.auth.services import staff_roles
from panel.core.authz.guard import LOGGED_IN
from panel.core.profile import email_change, guards, images, reset, services
from panel.core.profile import sessions as own_sessions
from panel.core.stores import services as store_policy
from panel.core.web.pages import page, redirect
from panel.errors import TooManyAttempts, ValidationFailed
from panel.settings import Settings

PLUGIN_NAME = "core_profile"

NOTICES = {
    "profile": "Your profile was saved.",
    "email": "Your email address was changed.",
    "email_sent": "We sent a confirmation link to your new address. Your email changes when you follow it.",
    "password": "Your password was changed. Your other sessions were logged out.",
    "ended": "The session was ended.",
    "others": "Every other session was ended.",
    "image": "Your profile image was saved.",
    "image_removed": "Your profile image was removed.",
}


@dataclass
class ProfileForm:
    """Name and language."""

    name: str = ""
    language: str = ""


@dataclass
class EmailForm:
    """A new address, confirmed with the current password."""

    email: str = ""
    password: str = ""


@dataclass
class PasswordForm:
    """The current password and the new one, twice."""

    current_password: str = ""
    new_password: str = ""
    confirm_password: str = ""


def attempts(request: Request[Any, Any, Any]) -> services.Attempts:
    """Where wrong current passwords are counted: the login counter."""
    settings: Settings = request.app.state.settings
    return services.Attempts(request.app.state.login_failures, _limits(settings), request.state.client_address)


def reset_limits(settings: Settings) -> reset.ResetLimits:
    """Reset requests allowed per 15 minutes (`PANEL_CORE_PROFILE_RESET_LIMIT_*`)."""
    own = settings.for_plugin(PLUGIN_NAME)
    return reset.ResetLimits(int(own.get("reset_limit_address", 10)), int(own.get("reset_limit_email", 3)))


def _notice(key: str) -> str:
    return NOTICES.get(key, "")


async def _me_page(
    request: Request[Any, Any, Any], template: str, tab: str, status_code: int = 200, **context: Any
) -> Template:
    profile = await services.get_profile(request.state.user_id)
    return await page(request, template, status_code=status_code, tab=tab, profile=profile, **context)


def form_failure(exc: ValidationFailed | TooManyAttempts) -> tuple[int, dict[str, str]]:
    """The status and the form errors of a refused form: beside the field, or above the form."""
    if isinstance(exc, TooManyAttempts):
        return 429, {"form": exc.message}
    return 422, exc.errors


def with_retry(failed: Template, exc: ValidationFailed | TooManyAttempts) -> Template:
    """`failed` with a `Retry-After` header when `exc` is a rate limit."""
    if isinstance(exc, TooManyAttempts):
        failed.headers["Retry-After"] = str(exc.retry_after)
    return failed


# -- profile --------------------------------------------------------------------------


@get("/me", authz=LOGGED_IN)
async def profile_page(request: Request[Any, Any, Any], saved: FromQuery[str] = "") -> Template:
    """Name and language."""
    profile = await services.get_profile(request.state.user_id)
    return await page(
        request,
        "profile/profile.html",
        tab="profile",
        profile=profile,
        form={"name": profile.name, "language": profile.language},
        languages=services.LANGUAGES,
        errors={},
        notice=_notice(saved),
    )


@post("/me", authz=LOGGED_IN)
async def profile_submit(request: Request[Any, Any, Any], data: URLEncodedBody[ProfileForm]) -> Response[Any]:
    """Save name and language."""
    try:
        await services.update_profile(
            request.state.user_id, audit_context(request), name=data.name, language=data.language
        )
    except ValidationFailed as exc:
        return await _me_page(
            request,
            "profile/profile.html",
            "profile",
            422,
            form={"name": data.name, "language": data.language},
            languages=services.LANGUAGES,
            errors=exc.errors,
            notice="",
        )
    return redirect(request, "/me?saved=profile")


# -- email ----------------------------------------------------------------------------


@get("/me/email", authz=LOGGED_IN)
async def email_page(request: Request[Any, Any, Any], saved: FromQuery[str] = "") -> Template:
    """The login email, and the form to change it."""
    refusal = await store_policy.username_change_refusal(request.state.user_id)
    return await _me_page(
        request,
        "profile/email.html",
        "email",
        form={"email": ""},
        errors={"email": refusal} if refusal else {},
        notice=_notice(saved),
        refused=guards.denied(request, guards.CHANGE_EMAIL),
    )


@post("/me/email", authz=LOGGED_IN)
async def email_submit(request: Request[Any, Any, Any], data: URLEncodedBody[EmailForm]) -> Response[Any]:
    """Send a confirmation link to the new address."""
    guards.refuse_if_denied(request, guards.CHANGE_EMAIL)
    if refusal := await store_policy.username_change_refusal(request.state.user_id):
        return await _me_page(
            request,
            "profile/email.html",
            "email",
            403,
            form={"email": data.email},
            errors={"email": refusal},
            notice="",
            refused=False,
        )
    settings: Settings = request.app.state.settings
    try:
        await email_change.request_email_change(
            request.state.user_id,
            data.email,
            data.password,
            attempts(request),
            audit_context(request),
            settings.base_url,
        )
    except (ValidationFailed, TooManyAttempts) as exc:
        status, errors = form_failure(exc)
        failed = await _me_page(
            request,
            "profile/email.html",
            "email",
            status,
            form={"email": data.email},
            errors=errors,
            notice="",
            refused=False,
        )
        return with_retry(failed, exc)
    return redirect(request, "/me/email?saved=email_sent")


# -- password -------------------------------------------------------------------------


@get("/me/password", authz=LOGGED_IN)
async def password_page(request: Request[Any, Any, Any], saved: FromQuery[str] = "") -> Template:
    """The form to change the password."""
    return await _me_page(
        request,
        "profile/password.html",
        "password",
        errors={},
        notice=_notice(saved),
        refused=guards.denied(request, guards.CHANGE_PASSWORD),
    )


@post("/me/password", authz=LOGGED_IN)
async def password_submit(request: Request[Any, Any, Any], data: URLEncodedBody[PasswordForm]) -> Response[Any]:
    """Change the password; other sessions end, this one gets a new token."""
    guards.refuse_if_denied(request, guards.CHANGE_PASSWORD)
    current = request.state.get("session")
    try:
        token = await services.change_password(
            request.state.user_id,
            data.current_password,
            data.new_password,
            attempts(request),
            audit_context(request),
            confirm=data.confirm_password,
            session_id=current.id if current else None,
        )
    except (ValidationFailed, TooManyAttempts) as exc:
        status, errors = form_failure(exc)
        failed = await _me_page(
            request, "profile/password.html", "password", status, errors=errors, notice="", refused=False
        )
        return with_retry(failed, exc)
    done = redirect(request, "/me/password?saved=password")
    if token is not None:
        set_session_cookie(done, request.app.state.settings, token)
    return done


# -- sessions -------------------------------------------------------------------------


@get("/me/sessions", authz=LOGGED_IN)
async def sessions_page(request: Request[Any, Any, Any], saved: FromQuery[str] = "") -> Template:
    """The user's live sessions."""
    current = request.state.get("session")
    rows = await own_sessions.list_sessions(request.state.user_id, current.id if current else None)
    return await _me_page(request, "profile/sessions.html", "sessions", rows=rows, notice=_notice(saved))


@post("/me/sessions/{session_id:int}/end", authz=LOGGED_IN)
async def session_end(request: Request[Any, Any, Any], session_id: FromPath[int]) -> Response[Any]:
    """End one session; ending this one logs out."""
    await services.end_session(request.state.user_id, session_id, audit_context(request))
    current = request.state.get("session")
    if current is not None and current.id == session_id:
        response = redirect(request, "/login")
        response.delete_cookie(auth_sessions.COOKIE_NAME)
        return response
    return redirect(request, "/me/sessions?saved=ended")


@post("/me/sessions/end-others", authz=LOGGED_IN)
async def sessions_end_others(request: Request[Any, Any, Any]) -> Response[Any]:
    """End every session but this one."""
    current = request.state.get("session")
    await services.end_other_sessions(request.state.user_id, current.id if current else None, audit_context(request))
    return redirect(request, "/me/sessions?saved=others")


# -- profile image --------------------------------------------------------------------

PLACEHOLDER_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    b'<circle cx="16" cy="16" r="16" fill="#cbd5e1"/><circle cx="16" cy="13" r="6" fill="#f8fafc"/>'
    b'<path d="M5 27c2-6 6-8 11-8s9 2 11 8" fill="#f8fafc"/></svg>'
)
"""Shown in place of a user who has no image (our own constant, never an upload)."""


def image_max_bytes(settings: Settings) -> int:
    """The largest profile image accepted (`PANEL_CORE_PROFILE_IMAGE_MAX_BYTES`, 1 MB by default)."""
    return int(settings.for_plugin(PLUGIN_NAME).get("image_max_bytes", images.DEFAULT_MAX_BYTES))


@post("/me/image", authz=LOGGED_IN)
async def image_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    """Upload a new profile image (replaces the old one); a refusal shows beside the file field."""
    form = await request.form()
    upload = form.get(images.FIELD)
    try:
        if not isinstance(upload, UploadFile) or not (upload.filename or "").strip():
            raise ValidationFailed({images.FIELD: "Choose a PNG, JPEG or WebP image."})
        await images.set_image(
            request.state.user_id, upload, image_max_bytes(request.app.state.settings), audit_context(request)
        )
    except ValidationFailed as exc:
        profile = await services.get_profile(request.state.user_id)
        return await _me_page(
            request,
            "profile/profile.html",
            "profile",
            422,
            form={"name": profile.name, "language": profile.language},
            languages=services.LANGUAGES,
            errors=exc.errors,
            notice="",
        )
    return redirect(request, "/me?saved=image")


@post("/me/image/remove", authz=LOGGED_IN)
async def image_remove(request: Request[Any, Any, Any]) -> Response[Any]:
    """Remove the profile image."""
    await images.remove_image(request.state.user_id, audit_context(request))
    return redirect(request, "/me?saved=image_removed")


@get("/users/{user_id:int}/image", authz=LOGGED_IN)
async def image_show(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
    """A user's profile image (a placeholder if they have none); 404 unless the viewer shares an account or is staff."""
    viewer = request.state.user_id
    is_staff = viewer != user_id and bool(staff_roles(request.app.state.authz, viewer))
    found = await images.visible_image(viewer, user_id, is_staff)
    if found is None:
        return Response(
            PLACEHOLDER_SVG,
            media_type="image/svg+xml",
            headers={
                "x-content-type-options": "nosniff",
                "content-security-policy": "sandbox",
                "cache-control": "private, no-store",
            },
        )
    return uploads.file_response(images.AREA, images.stored_file(*found), inline=True)


ROUTES = [
    image_submit,
    image_remove,
    image_show,
    profile_page,
    profile_submit,
    email_page,
    email_submit,
    password_page,
    password_submit,
    sessions_page,
    session_end,
    sessions_end_others,
]
