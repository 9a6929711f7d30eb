"""One place that turns errors into answers.

JSON for the API, fragments for htmx, pages (or a redirect to log in) for browsers.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, NotFoundException
from litestar.response import Redirect, Template

from panel.core.authz.guard import NoAccountChosen
from panel.errors import Forbidden, PanelError, TooManyAttempts, ValidationFailed

log = logging.getLogger("panel.web")

TITLES = {
    400: "Bad request",
    401: "Log in required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Choose an account",
    422: "Please check your input",
    429: "Too many attempts",
    500: "Something went wrong",
}


def _is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/")


def _is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def _answer(
    request: Request[Any, Any, Any], status: int, message: str, extra: dict[str, Any] | None = None
) -> Response[Any]:
    headers: dict[str, str] = {}
    if extra and "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    if _is_api(request):
        body = {"status_code": status, "detail": message, **(extra or {})}
        return Response(body, status_code=status, headers=headers)
    context = {
        "status_code": status,
        "title": TITLES.get(status, "Error"),
        "message": message,
        "reason": (extra or {}).get("reason", ""),
        "area": "public",
    }
    if _is_htmx(request):
        headers["HX-Retarget"] = "#main" if status >= 500 else headers.get("HX-Retarget", "")
        headers = {k: v for k, v in headers.items() if v}
        return Template("errors/fragment.html", context=context, status_code=status, headers=headers)
    return Template("errors/page.html", context=context, status_code=status, headers=headers)


def _login_redirect(request: Request[Any, Any, Any]) -> Response[Any]:
    target = "/login?next=" + quote(request.url.path)
    if _is_htmx(request):
        return Response(b"", status_code=401, headers={"HX-Redirect": target})
    return Redirect(target)


def handle_panel_error(request: Request[Any, Any, Any], exc: PanelError) -> Response[Any]:
    """Errors raised by services and guards."""
    if isinstance(exc, NoAccountChosen) and not _is_api(request):
        if _is_htmx(request):
            return Response(b"", status_code=409, headers={"HX-Redirect": "/accounts/choose"})
        return Redirect("/accounts/choose")
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationFailed):
        extra["errors"] = exc.errors
    elif exc.field:
        extra["errors"] = {exc.field: exc.message}
    if isinstance(exc, TooManyAttempts):
        extra["retry_after"] = exc.retry_after
    if isinstance(exc, Forbidden) and exc.reason:
        extra["reason"] = exc.reason
    return _answer(request, exc.status_code, exc.message, extra)


def handle_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Litestar's own errors (401 from the guard, 404, 405, validation)."""
    if isinstance(exc, NotAuthorizedException) and not _is_api(request):
        return _login_redirect(request)
    message = exc.detail
    if isinstance(exc, NotFoundException):
        message = "There is nothing at this address."
    extra = {"errors": exc.extra} if exc.extra and _is_api(request) else None
    return _answer(request, exc.status_code, message, extra)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Anything else: log it, show a calm page, never the traceback."""
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _answer(request, 500, "The error was logged. Please try again in a moment.")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    PanelError: handle_panel_error,
    HTTPException: handle_http_error,
    Exception: handle_unexpected,
}
