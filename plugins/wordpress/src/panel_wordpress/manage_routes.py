"""Client-area pages for changing sites: bulk updates, installs, users, and one site's plugins, themes and users.

Bulk changes become a run (a background job) whose page shows every site and item
as it goes, polled with htmx and reloading itself without JavaScript. Reading needs
`wordpress.sites`, every change `wordpress.manage`; another account's site or run is
404. Forms show errors beside the field and keep what was typed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from panel.core import uploads
from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires
from panel.core.web.pages import page, redirect
from panel.errors import NotFound, ValidationFailed

from panel_wordpress import guards, manage, queries, runs
from panel_wordpress.manage_config import manage_config

LIST = requires("wordpress.site:*", "list")
CHANGE = requires("wordpress.site:*", "update")
SITE_READ = requires("wordpress.site:{site_id}", "read")
SITE_CHANGE = requires("wordpress.site:{site_id}", "update")

NOTICES = {
    "plugin_activated": "The plugin is active.",
    "plugin_deactivated": "The plugin is inactive.",
    "plugin_deleted": "The plugin was deleted from the site.",
    "theme_switched": "The theme is now active.",
    "role_changed": "The user's role was changed.",
    "reset_sent": "WordPress sent the user its password reset email.",
    "user_deleted": "The user was deleted; their content belongs to the user you chose.",
}


def _text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _ids(form: Any, name: str) -> list[int]:
    values = form.getall(name, []) if hasattr(form, "getall") else []
    return [int(v) for v in values if isinstance(v, str) and v.isdigit()]


# -- bulk updates ----------------------------------------------------------------------------


async def _updates_page(
    request: Request[Any, Any, Any],
    page_no: int = 1,
    errors: dict[str, str] | None = None,
    chosen: tuple[list[int], list[int]] = ([], []),
) -> Template:
    account_id = request.state.account_id
    found = await queries.account_sites(account_id, queries.PAGE_SIZE, (max(page_no, 1) - 1) * queries.PAGE_SIZE)
    on_page = {s.id for s in found.rows}
    pending: dict[int, list[dict[str, Any]]] = {}
    for item in await runs.pending_items(account_id):
        if item["site"] in on_page:
            pending.setdefault(item["site"], []).append(item)

    def page_url(number: int) -> str:
        return "/wordpress/updates?" + urlencode({"page_no": number})

    return await page(
        request,
        "wordpress/updates.html",
        status_code=422 if errors else 200,
        found=found,
        pending=pending,
        page_url=page_url,
        errors=errors or {},
        chosen_sites=chosen[0],
        chosen_items=chosen[1],
        recent=await runs.recent_runs(account_id),
        can=guards.abilities(request, account_id),
    )


@get("/updates", authz=LIST)
async def updates_page(request: Request[Any, Any, Any], page_no: FromQuery[int] = 1) -> Template:
    """Pending updates by site, to choose from, and the account's recent runs."""
    return await _updates_page(request, page_no)


@post("/updates", authz=CHANGE)
async def updates_submit(request: Request[Any, Any, Any]) -> Any:
    """Start a bulk update of the chosen sites (everything pending on them) and single items."""
    form = await request.form()
    site_ids, item_ids = _ids(form, "site"), _ids(form, "item")
    try:
        queued = await runs.start_updates(
            request.app.state.settings, request.state.account_id, site_ids, item_ids, audit_context(request)
        )
    except ValidationFailed as exc:
        return await _updates_page(request, 1, exc.errors, (site_ids, item_ids))
    return redirect(request, f"/wordpress/runs/{queued.run_id}")


# -- runs ------------------------------------------------------------------------------------


@get("/runs/{run_id:int}", authz=LIST)
async def run_page(request: Request[Any, Any, Any], run_id: FromPath[int]) -> Template:
    """A run: every site and item with its state and message, live while it runs."""
    view = await runs.run_view(request.state.account_id, run_id)
    return await page(request, "wordpress/run.html", run=view)


@get("/runs/{run_id:int}/steps", authz=LIST)
async def run_steps(request: Request[Any, Any, Any], run_id: FromPath[int]) -> Template:
    """The run's progress block alone, which the run page polls with htmx."""
    view = await runs.run_view(request.state.account_id, run_id)
    return Template(template_name="wordpress/_run_steps.html", context={"run": view})


# -- installs --------------------------------------------------------------------------------


async def _install_page(
    request: Request[Any, Any, Any], errors: dict[str, str] | None = None, values: dict[str, Any] | None = None
) -> Template:
    return await page(
        request,
        "wordpress/install.html",
        status_code=422 if errors else 200,
        errors=errors or {},
        values=values or {"kind": "plugin", "sites": []},
        sites=await manage.account_site_choices(request.state.account_id),
        max_mb=manage_config(request.app.state.settings).max_zip_bytes // (1024 * 1024),
    )


@get("/install", authz=CHANGE)
async def install_form(request: Request[Any, Any, Any]) -> Template:
    """The form to install a plugin or theme on several sites."""
    return await _install_page(request)


@post("/install", authz=CHANGE)
async def install_submit(request: Request[Any, Any, Any]) -> Any:
    """Store the zip (if any), then start the install on every chosen site."""
    form = await request.form()
    package = form.get("package")
    has_zip = isinstance(package, UploadFile) and bool(package.filename)
    req = runs.InstallRequest(
        _text(form, "kind"), _ids(form, "site"), _text(form, "slug"), None, _text(form, "activate") == "1"
    )
    values: dict[str, Any] = {"kind": req.kind, "slug": req.slug, "sites": req.site_ids, "activate": req.activate}
    settings = request.app.state.settings
    stored = None
    try:
        if has_zip:
            runs.check_install(runs.InstallRequest(req.kind, req.site_ids, "zip", None, req.activate))
            try:
                stored = await uploads.store(
                    package,  # type: ignore[arg-type]
                    area=runs.UPLOAD_AREA,
                    max_bytes=manage_config(settings).max_zip_bytes,
                    allowed=frozenset({"zip"}),
                )
            except uploads.UploadRejected as exc:
                raise ValidationFailed({"package": exc.errors[exc.field or "attachments"]}) from None
            req = runs.InstallRequest(req.kind, req.site_ids, "", stored, req.activate)
        queued = await runs.start_install(settings, request.state.account_id, req, audit_context(request))
    except ValidationFailed as exc:
        if stored is not None:
            uploads.remove(runs.UPLOAD_AREA, stored.key)
        return await _install_page(request, exc.errors, values)
    except NotFound:
        if stored is not None:
            uploads.remove(runs.UPLOAD_AREA, stored.key)
        raise
    return redirect(request, f"/wordpress/runs/{queued.run_id}")


# -- users -----------------------------------------------------------------------------------


async def _users_page(
    request: Request[Any, Any, Any],
    q: str = "",
    page_no: int = 1,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Template:
    account_id = request.state.account_id
    found = await manage.account_users(account_id, q, manage.USERS_PAGE, (max(page_no, 1) - 1) * manage.USERS_PAGE)
    can = guards.abilities(request, account_id)

    def page_url(number: int) -> str:
        return "/wordpress/users?" + urlencode({"q": q, "page_no": number})

    return await page(
        request,
        "wordpress/users.html",
        status_code=422 if errors else 200,
        found=found,
        q=q,
        page_url=page_url,
        errors=errors or {},
        values=values or {"role": "editor", "sites": []},
        roles=runs.ROLES,
        sites=await manage.account_site_choices(account_id) if can["update"] else [],
        can=can,
    )


@get("/users", authz=LIST)
async def users_page(request: Request[Any, Any, Any], q: FromQuery[str] = "", page_no: FromQuery[int] = 1) -> Template:
    """Users of every site of the account, and the form to create one on several sites."""
    return await _users_page(request, q, page_no)


@post("/users", authz=CHANGE)
async def users_submit(request: Request[Any, Any, Any]) -> Any:
    """Start creating a user on every chosen site."""
    form = await request.form()
    req = runs.NewUser(_ids(form, "site"), _text(form, "username"), _text(form, "email"), _text(form, "role"))
    values: dict[str, Any] = {"username": req.username, "email": req.email, "role": req.role, "sites": req.site_ids}
    try:
        queued = await runs.start_user(
            request.app.state.settings, request.state.account_id, req, audit_context(request)
        )
    except ValidationFailed as exc:
        return await _users_page(request, errors=exc.errors, values=values)
    return redirect(request, f"/wordpress/runs/{queued.run_id}")


# -- one site: plugins, themes, users --------------------------------------------------------


async def _manage_page(
    request: Request[Any, Any, Any], site_id: int, notice: str = "", errors: dict[str, str] | None = None
) -> Template:
    view = await queries.site_view(request.state.account_id, site_id)
    return await page(
        request,
        "wordpress/manage.html",
        status_code=422 if errors else 200,
        view=view,
        notice=NOTICES.get(notice, ""),
        errors=errors or {},
        roles=runs.ROLES,
        can=guards.abilities(request, request.state.account_id),
    )


@get("/sites/{site_id:int}/manage", authz=SITE_READ)
async def manage_page(request: Request[Any, Any, Any], site_id: FromPath[int], notice: FromQuery[str] = "") -> Template:
    """One site's plugins, themes and users with what may be done to each."""
    return await _manage_page(request, site_id, notice)


async def _act(request: Request[Any, Any, Any], site_id: int, change: Any) -> Any:
    try:
        notice = await change
    except ValidationFailed as exc:
        return await _manage_page(request, site_id, errors=exc.errors)
    return redirect(request, f"/wordpress/sites/{site_id}/manage?notice={notice}")


def _number(form: Any, name: str) -> int:
    value = _text(form, name)
    if not value.isdigit():
        raise NotFound("There is no such item on this site.")
    return int(value)


@post("/sites/{site_id:int}/plugins", authz=SITE_CHANGE)
async def plugin_submit(request: Request[Any, Any, Any], site_id: FromPath[int]) -> Any:
    """Activate, deactivate or delete one plugin (`item`, `action`)."""
    form = await request.form()
    change = manage.plugin_action(
        request.app.state.settings,
        request.state.account_id,
        site_id,
        _number(form, "item"),
        _text(form, "action"),
        audit_context(request),
    )
    return await _act(request, site_id, change)


@post("/sites/{site_id:int}/themes", authz=SITE_CHANGE)
async def theme_submit(request: Request[Any, Any, Any], site_id: FromPath[int]) -> Any:
    """Make one theme (`item`) the active one."""
    form = await request.form()
    change = manage.switch_theme(
        request.app.state.settings, request.state.account_id, site_id, _number(form, "item"), audit_context(request)
    )
    return await _act(request, site_id, change)


@post("/sites/{site_id:int}/users/{wp_id:int}/role", authz=SITE_CHANGE)
async def role_submit(request: Request[Any, Any, Any], site_id: FromPath[int], wp_id: FromPath[int]) -> Any:
    """Give a user of the site another role."""
    form = await request.form()
    change = manage.set_role(
        request.app.state.settings,
        request.state.account_id,
        site_id,
        wp_id,
        _text(form, "role"),
        audit_context(request),
    )
    return await _act(request, site_id, change)


@post("/sites/{site_id:int}/users/{wp_id:int}/reset", authz=SITE_CHANGE)
async def reset_submit(request: Request[Any, Any, Any], site_id: FromPath[int], wp_id: FromPath[int]) -> Any:
    """Have WordPress email the user a password reset link."""
    change = manage.reset_password(
        request.app.state.settings, request.state.account_id, site_id, wp_id, audit_context(request)
    )
    return await _act(request, site_id, change)


@post("/sites/{site_id:int}/users/{wp_id:int}/delete", authz=SITE_CHANGE)
async def delete_user_submit(
    request: Request[Any, Any, Any], site_id: FromPath[int], wp_id: FromPath[int]
) -> Response[Any] | Template:
    """Delete a user of the site, giving their content to `reassign`."""
    form = await request.form()
    heir = _text(form, "reassign")
    if not heir.isdigit():
        return await _manage_page(request, site_id, errors={"reassign": "Choose who receives the user's content."})
    change = manage.delete_user(
        request.app.state.settings, request.state.account_id, site_id, wp_id, int(heir), audit_context(request)
    )
    result: Response[Any] | Template = await _act(request, site_id, change)
    return result


def page_router() -> Router:
    """Pages under /wordpress/ for bulk changes and managing one site."""
    return Router(
        path="/wordpress",
        route_handlers=[
            updates_page,
            updates_submit,
            run_page,
            run_steps,
            install_form,
            install_submit,
            users_page,
            users_submit,
            manage_page,
            plugin_submit,
            theme_submit,
            role_submit,
            reset_submit,
            delete_user_submit,
        ],
        include_in_schema=False,
    )
