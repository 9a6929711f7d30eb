"""Client-area pages under /wordpress/: the account's sites, connecting one, a site's page and its buttons.

Every page works on the session's current account; another account's site answers
404. Forms show their errors beside the field and keep what was typed (never a
password).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from panel.core.jobs.services import queue_for
from panel.core.web.pages import page, redirect
from panel.errors import NotFound, ValidationFailed

from panel_wordpress import guards, queries, services
from panel_wordpress.jobs import queue_refresh

NOTICES = {
    "connected": "The site is connected and its inventory was read.",
    "connected_error": "The site is connected, but reading its inventory failed: see the error below.",
    "no_connector": "The connector is not installed on this site, so WordPress and PHP versions and pending "
    "updates are unknown. Install it (see the help below) and refresh.",
    "refresh": "A refresh is queued; this page shows the result once it ran.",
    "ignored": "That update is no longer counted.",
    "unignored": "That update is counted again.",
    "disconnected": "The site was disconnected and the panel's application password on it was deleted.",
    "disconnected_own": "The site was disconnected. The application password you gave stays on the site: delete "
    "it in WordPress if nothing else uses it.",
    "disconnected_failed": "The site was disconnected. The panel could not delete its application password on the "
    "site: delete it in WordPress (Users → Profile → Application Passwords).",
}
FIELDS = ("url", "method", "user", "service")


def _text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


@get("/sites", authz=guards.LIST)
async def site_list(
    request: Request[Any, Any, Any], page_no: FromQuery[int] = 1, notice: FromQuery[str] = ""
) -> Template:
    """The account's sites with their versions, pending updates and health, paged."""
    found = await queries.account_sites(
        request.state.account_id, queries.PAGE_SIZE, (max(page_no, 1) - 1) * queries.PAGE_SIZE
    )

    def page_url(number: int) -> str:
        return "/wordpress/sites?" + urlencode({"page_no": number})

    return await page(
        request,
        "wordpress/sites.html",
        found=found,
        page_url=page_url,
        notice=NOTICES.get(notice, ""),
        can=guards.abilities(request, request.state.account_id),
    )


async def _connect_page(
    request: Request[Any, Any, Any], errors: dict[str, str] | None = None, values: dict[str, str] | None = None
) -> Template:
    account_id = request.state.account_id
    can = guards.abilities(request, account_id)
    return await page(
        request,
        "wordpress/connect.html",
        status_code=422 if errors else 200,
        errors=errors or {},
        values=values or {"method": "login"},
        services=await queries.account_services(account_id) if can["services"] else [],
    )


@get("/sites/connect", authz=guards.CONNECT)
async def connect_form(request: Request[Any, Any, Any]) -> Template:
    """The form to connect a site."""
    return await _connect_page(request)


@post("/sites/connect", authz=guards.CONNECT)
async def connect_submit(request: Request[Any, Any, Any]) -> Any:
    """Verify and connect the site, then show it; on an error, the form again with what was typed."""
    form = await request.form()
    values = {k: _text(form, k) for k in FIELDS}
    service = values["service"]
    errors: dict[str, str] = {}
    if service and not service.isdigit():
        errors["service"] = "Choose one of your services, or none."
    try:
        if errors:
            raise ValidationFailed(errors)
        done = await services.connect(
            request.app.state.settings,
            request.state.account_id,
            request.state.user_id,
            services.ConnectRequest(
                url=values["url"],
                method=values["method"],
                user=values["user"],
                password=_text(form, "password"),
                app_password=_text(form, "app_password"),
                service_id=int(service) if service else None,
            ),
        )
    except ValidationFailed as exc:
        errors = {("service" if k == "service_id" else k): v for k, v in exc.errors.items()}
        return await _connect_page(request, errors, values)
    notice = "connected" if done.refreshed else "connected_error"
    if done.refreshed and not done.connector:
        notice = "no_connector"
    return redirect(request, f"/wordpress/sites/{done.site_id}?notice={notice}")


async def _job_state(request: Request[Any, Any, Any], job_id: int | None) -> Any:
    """The site's last asked-for refresh job (None when there is none, or it is gone)."""
    if job_id is None:
        return None
    try:
        return await queue_for(request.app.state.settings).get(job_id)
    except NotFound:
        return None


@get("/sites/{site_id:int}", authz=guards.READ)
async def site_page(request: Request[Any, Any, Any], site_id: FromPath[int], notice: FromQuery[str] = "") -> Template:
    """Everything the last refresh read: versions, pending updates, plugins, themes, users, health."""
    view = await queries.site_view(request.state.account_id, site_id)
    return await page(
        request,
        "wordpress/site.html",
        view=view,
        job=await _job_state(request, view.refresh_job),
        notice=NOTICES.get(notice, ""),
        can=guards.abilities(request, request.state.account_id),
    )


@post("/sites/{site_id:int}/refresh", authz=guards.REFRESH)
async def refresh_submit(request: Request[Any, Any, Any], site_id: FromPath[int]) -> Response[Any]:
    """Queue a refresh of the site and come back to its page."""
    await services.site_row(request.state.account_id, site_id)
    job_id = await queue_refresh(request.app.state.settings, site_id)
    await services.set_refresh_job(site_id, job_id)
    return redirect(request, f"/wordpress/sites/{site_id}?notice=refresh")


@post("/sites/{site_id:int}/ignore", authz=guards.UPDATE)
async def ignore_submit(request: Request[Any, Any, Any], site_id: FromPath[int]) -> Response[Any]:
    """Stop counting an item's offered update (`every=1`: every future version too)."""
    form = await request.form()
    item = _text(form, "item")
    if not item.isdigit():
        raise NotFound("There is no such plugin, theme or core on this site.")
    await services.ignore(
        request.state.account_id, site_id, int(item), request.state.user_id, every_version=_text(form, "every") == "1"
    )
    return redirect(request, f"/wordpress/sites/{site_id}?notice=ignored")


@post("/sites/{site_id:int}/unignore", authz=guards.UPDATE)
async def unignore_submit(request: Request[Any, Any, Any], site_id: FromPath[int]) -> Response[Any]:
    """Count an ignored update again."""
    form = await request.form()
    ignored = _text(form, "ignored")
    if not ignored.isdigit():
        raise NotFound("There is no such ignored update.")
    await services.unignore(request.state.account_id, site_id, int(ignored))
    return redirect(request, f"/wordpress/sites/{site_id}?notice=unignored")


@post("/sites/{site_id:int}/disconnect", authz=guards.DISCONNECT)
async def disconnect_submit(request: Request[Any, Any, Any], site_id: FromPath[int]) -> Response[Any]:
    """Forget the site (and revoke the panel's application password on it when the panel made it)."""
    outcome = await services.disconnect(request.app.state.settings, request.state.account_id, site_id)
    notice = {"revoked": "disconnected", "own": "disconnected_own"}.get(outcome, "disconnected_failed")
    return redirect(request, f"/wordpress/sites?notice={notice}")


def page_router() -> Router:
    """Pages under /wordpress/."""
    return Router(
        path="/wordpress",
        route_handlers=[
            site_list,
            connect_form,
            connect_submit,
            site_page,
            refresh_submit,
            ignore_submit,
            unignore_submit,
            disconnect_submit,
        ],
        include_in_schema=False,
    )
