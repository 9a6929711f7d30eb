"""Audit log pages (admin area and client area), impersonation, and the audit API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from panel.core.audit import impersonation, services
from panel.core.audit.context import audit_context
from panel.core.auth.routes import set_session_cookie
from panel.core.authz.guard import LOGGED_IN, requires
from panel.core.web.pages import page, redirect
from panel.errors import Forbidden, ValidationFailed

RESULTS_ID = "audit-results"
ADMIN_FIELDS = ("actor", "account_id", "action", "since", "until")
ACCOUNT_FIELDS = ("actor", "action", "since", "until")


def _wants_results(request: Request[Any, Any, Any]) -> bool:
    """Htmx asked for the results table only (the filter form or a paging link)."""
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == RESULTS_ID


async def _log_page(
    request: Request[Any, Any, Any],
    *,
    template: str,
    area: str,
    base_url: str,
    fields: tuple[str, ...],
    raw: dict[str, str],
    account_id: int | None,
) -> Template:
    """One log page: the filter form and a page of events, or the form's errors (422)."""
    errors: dict[str, str] = {}
    events = services.AuditPage([], None)
    next_url = ""
    try:
        filters = services.parse_filters(**raw)
        events = await services.list_events(request.app.state.authz, filters, account_id)
        if events.next_before is not None:
            next_url = f"{base_url}?{urlencode(filters.query_args(before=events.next_before))}"
    except ValidationFailed as exc:
        errors = exc.errors
    context = {
        "form": raw,
        "fields": fields,
        "errors": errors,
        "events": events.rows,
        "next_url": next_url,
        "first_url": f"{base_url}?{urlencode({k: v for k, v in raw.items() if v and k != 'before'})}",
        "paged": bool(raw.get("before")),
        "base_url": base_url,
        "results_id": RESULTS_ID,
        "show_account": account_id is None,
        "oob_errors": _wants_results(request),
    }
    status = 422 if errors else 200
    name = "audit/_results.html" if _wants_results(request) else template
    return await page(request, name, area=area, status_code=status, **context)


@get("/admin/audit", authz=requires("audit:*", "list", scope="platform"))
async def admin_audit(
    request: Request[Any, Any, Any],
    actor: FromQuery[str] = "",
    account_id: FromQuery[str] = "",
    action: FromQuery[str] = "",
    since: FromQuery[str] = "",
    until: FromQuery[str] = "",
    before: FromQuery[str] = "",
) -> Template:
    """Every audited event on the platform, filterable, newest first."""
    raw = {
        "actor": actor,
        "account_id": account_id,
        "action": action,
        "since": since,
        "until": until,
        "before": before,
    }
    return await _log_page(
        request,
        template="audit/admin.html",
        area="admin",
        base_url="/admin/audit",
        fields=ADMIN_FIELDS,
        raw=raw,
        account_id=None,
    )


@get("/account/audit", authz=requires("audit:*", "list"))
async def account_audit(
    request: Request[Any, Any, Any],
    actor: FromQuery[str] = "",
    action: FromQuery[str] = "",
    since: FromQuery[str] = "",
    until: FromQuery[str] = "",
    before: FromQuery[str] = "",
) -> Template:
    """The current account's log, staff impersonations included."""
    raw = {"actor": actor, "action": action, "since": since, "until": until, "before": before}
    return await _log_page(
        request,
        template="audit/account.html",
        area="client",
        base_url="/account/audit",
        fields=ACCOUNT_FIELDS,
        raw=raw,
        account_id=request.state.account_id,
    )


@post("/admin/users/{user_id:int}/impersonate", authz=requires("user:{user_id}", "impersonate", scope="platform"))
async def impersonate(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
    """Open the client area as this user; the staff session becomes theirs until stopped."""
    session = request.state.get("session")
    if session is None:
        raise Forbidden("Impersonation needs a logged-in browser session, not an API token.")
    switched = await impersonation.start(request.app.state.authz, session, user_id, audit_context(request))
    response = redirect(request, "/" if switched.account_id is not None else "/accounts/choose")
    set_session_cookie(response, request.app.state.settings, switched.token)
    return response


@post("/impersonation/stop", authz=LOGGED_IN)
async def stop_impersonating(request: Request[Any, Any, Any]) -> Response[Any]:
    """Back to the staff member's own session, in the admin area."""
    session = request.state.get("session")
    switched = await impersonation.stop(session, audit_context(request)) if session is not None else None
    if switched is None:
        return redirect(request, "/")
    response = redirect(request, "/admin/users")
    set_session_cookie(response, request.app.state.settings, switched.token)
    return response


# -- API -------------------------------------------------------------------------------


@dataclass
class AuditPageOut:
    """A page of events, newest first; pass `next_before` as `before` for the next one."""

    events: list[services.AuditRow]
    next_before: int | None


@get("/admin/audit", authz=requires("audit:*", "list", scope="platform"))
async def api_admin_audit(
    request: Request[Any, Any, Any],
    actor: FromQuery[str] = "",
    account_id: FromQuery[str] = "",
    action: FromQuery[str] = "",
    since: FromQuery[str] = "",
    until: FromQuery[str] = "",
    before: FromQuery[str] = "",
    limit: FromQuery[str] = "",
) -> AuditPageOut:
    """Audited events across the platform (staff); same filters as the admin page."""
    filters = services.parse_filters(
        actor=actor, account_id=account_id, action=action, since=since, until=until, before=before, limit=limit
    )
    events = await services.list_events(request.app.state.authz, filters)
    return AuditPageOut(events.rows, events.next_before)


@get("/accounts/{account_id:int}/audit", authz=requires("audit:*", "list", account_param="account_id"))
async def api_account_audit(
    request: Request[Any, Any, Any],
    account_id: FromPath[int],
    actor: FromQuery[str] = "",
    action: FromQuery[str] = "",
    since: FromQuery[str] = "",
    until: FromQuery[str] = "",
    before: FromQuery[str] = "",
    limit: FromQuery[str] = "",
) -> AuditPageOut:
    """One account's audited events (its owner, or staff)."""
    filters = services.parse_filters(actor=actor, action=action, since=since, until=until, before=before, limit=limit)
    events = await services.list_events(request.app.state.authz, filters, account_id)
    return AuditPageOut(events.rows, events.next_before)


def page_routes() -> list[Any]:
    """The audit pages and the impersonation routes."""
    return [admin_audit, account_audit, impersonate, stop_impersonating]


def api_router() -> Router:
    """The audit API under /api/v1."""
    return Router(path="/api/v1", route_handlers=[api_admin_audit, api_account_audit], tags=["audit"])
