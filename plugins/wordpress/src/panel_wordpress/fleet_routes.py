"""Sites across clients: `/admin/wordpress` for staff, `/reseller/wordpress` for resellers.

Both show the same list (client, versions, pending updates, health, last refresh)
with the same filters and the same "update everything on the chosen sites" action,
which starts one run per account through the account's own update service. Staff
need `wordpress.fleet` on the platform (staff:admin, and staff:support by the lines
below); resellers need their `reseller:*` right in their account and must run a
store, like the rest of the reseller area (404 otherwise). A site or run that is not
a client's of the reseller answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires
from panel.core.stores import resellers
from panel.core.web.pages import allowed, page, redirect
from panel.errors import ValidationFailed
from panel.plugin import NavItem

from panel_wordpress import fleet

STAFF_OBJ = "wordpress.fleet"
RESELLER_OBJ = "reseller:wordpress"

# staff:admin may do everything already; support may see and update every client's sites.
POLICY_LINES = ("p, staff:support, *, wordpress.fleet, ^(list|update)$, allow",)

STAFF_LIST = requires(STAFF_OBJ, "list", scope="platform")
STAFF_UPDATE = requires(STAFF_OBJ, "update", scope="platform")
RESELLER_LIST = requires(RESELLER_OBJ, "list")  # perm:reseller (or the owner) in the reseller's account
RESELLER_UPDATE = requires(RESELLER_OBJ, "update")


@dataclass(frozen=True)
class Area:
    """Where a list lives: its address, layout, and the object the rules engine is asked about."""

    base: str
    area: str
    obj: str
    staff: bool


STAFF = Area("/admin/wordpress", "admin", STAFF_OBJ, True)
RESELLER = Area("/reseller/wordpress", "client", RESELLER_OBJ, False)


async def _scope(request: Request[Any, Any, Any], where: Area) -> fleet.Scope:
    """Staff see every client; a reseller its own clients (`NotFound` when the account runs no store)."""
    if where.staff:
        return fleet.STAFF
    account_id = int(request.state.account_id)
    await resellers.require_reseller(account_id)
    return fleet.Scope(account_id)


def _filters(q: str, pending: str, unhealthy: str) -> fleet.FleetFilters:
    return fleet.FleetFilters(q=q.strip()[:100], pending=bool(pending), unhealthy=bool(unhealthy))


def _query(filters: fleet.FleetFilters) -> dict[str, str]:
    wanted = {"q": filters.q, "pending": "1" if filters.pending else "", "unhealthy": "1" if filters.unhealthy else ""}
    return {k: v for k, v in wanted.items() if v}


def _can_update(request: Request[Any, Any, Any], where: Area) -> bool:
    dom = "platform" if where.staff else f"acct:{request.state.account_id}"
    return allowed(request, where.obj, "update", dom)


def _started_notice(started: int, up_to_date: int) -> str:
    """The message after an update was started (numbers only come from the address)."""
    if started <= 0:
        return ""
    text = f"Started {started} update run{'s' if started != 1 else ''}, one per client; follow them below."
    if up_to_date > 0:
        text += f" {up_to_date} chosen site{'s were' if up_to_date != 1 else ' was'} up to date and left out."
    return text


async def _list_page(
    request: Request[Any, Any, Any],
    where: Area,
    filters: fleet.FleetFilters,
    page_no: int = 1,
    notice: str = "",
    errors: dict[str, str] | None = None,
    chosen: list[int] | None = None,
) -> Template:
    scope = await _scope(request, where)
    found = await fleet.sites(scope, filters, fleet.PAGE_SIZE, (max(page_no, 1) - 1) * fleet.PAGE_SIZE)
    query = _query(filters)

    def page_url(number: int) -> str:
        return where.base + "?" + urlencode({**query, "page_no": number})

    return await page(
        request,
        "wordpress/fleet/list.html",
        area=where.area,
        status_code=422 if errors else 200,
        where=where,
        found=found,
        page_url=page_url,
        notice=notice,
        errors=errors or {},
        chosen=chosen or [],
        recent=await fleet.recent_runs(scope),
        can_update=_can_update(request, where),
    )


async def _start(request: Request[Any, Any, Any], where: Area) -> Any:
    form = await request.form()
    text = {
        k: (v if isinstance(v, str) else "")
        for k, v in ((k, form.get(k, "")) for k in ("q", "pending", "unhealthy", "page_no"))
    }
    filters = _filters(text["q"], text["pending"], text["unhealthy"])
    page_no = int(text["page_no"]) if text["page_no"].isdigit() else 1
    values = form.getall("site", []) if hasattr(form, "getall") else []
    site_ids = [int(v) for v in values if isinstance(v, str) and v.isdigit()]
    scope = await _scope(request, where)
    try:
        started = await fleet.start_updates(request.app.state.settings, scope, site_ids, audit_context(request))
    except ValidationFailed as exc:
        return await _list_page(request, where, filters, page_no, errors=exc.errors, chosen=site_ids)
    done = {"started": len(started.runs), "up_to_date": started.up_to_date, "page_no": page_no}
    return redirect(request, where.base + "?" + urlencode({**_query(filters), **done}))


async def _run_page(request: Request[Any, Any, Any], where: Area, run_id: int) -> Template:
    view = await fleet.run_view(await _scope(request, where), run_id)
    return await page(request, "wordpress/fleet/run.html", area=where.area, where=where, run=view)


async def _run_steps(request: Request[Any, Any, Any], where: Area, run_id: int) -> Template:
    view = await fleet.run_view(await _scope(request, where), run_id)
    return Template(template_name="wordpress/_run_steps.html", context={"run": view, "where": where})


# -- staff -----------------------------------------------------------------------------------


@get("/admin/wordpress", authz=STAFF_LIST)
async def staff_list(
    request: Request[Any, Any, Any],
    q: FromQuery[str] = "",
    pending: FromQuery[str] = "",
    unhealthy: FromQuery[str] = "",
    page_no: FromQuery[int] = 1,
    started: FromQuery[int] = 0,
    up_to_date: FromQuery[int] = 0,
) -> Template:
    """Every client's WordPress sites with pending updates and health, filtered and paged."""
    notice = _started_notice(started, up_to_date)
    return await _list_page(request, STAFF, _filters(q, pending, unhealthy), page_no, notice)


@post("/admin/wordpress/updates", authz=STAFF_UPDATE)
async def staff_update(request: Request[Any, Any, Any]) -> Response[Any] | Template:
    """Update everything pending on the chosen sites (a run per client), audited as the staff member."""
    result: Response[Any] | Template = await _start(request, STAFF)
    return result


@get("/admin/wordpress/runs/{run_id:int}", authz=STAFF_LIST)
async def staff_run(request: Request[Any, Any, Any], run_id: FromPath[int]) -> Template:
    """A client's run: every site and item with its state, live while it runs."""
    return await _run_page(request, STAFF, run_id)


@get("/admin/wordpress/runs/{run_id:int}/steps", authz=STAFF_LIST)
async def staff_run_steps(request: Request[Any, Any, Any], run_id: FromPath[int]) -> Template:
    """The run's progress block alone (polled with htmx)."""
    return await _run_steps(request, STAFF, run_id)


# -- resellers -------------------------------------------------------------------------------


@get("/reseller/wordpress", authz=RESELLER_LIST)
async def reseller_list(
    request: Request[Any, Any, Any],
    q: FromQuery[str] = "",
    pending: FromQuery[str] = "",
    unhealthy: FromQuery[str] = "",
    page_no: FromQuery[int] = 1,
    started: FromQuery[int] = 0,
    up_to_date: FromQuery[int] = 0,
) -> Template:
    """The WordPress sites of the reseller's clients, as staff see theirs."""
    notice = _started_notice(started, up_to_date)
    return await _list_page(request, RESELLER, _filters(q, pending, unhealthy), page_no, notice)


@post("/reseller/wordpress/updates", authz=RESELLER_UPDATE)
async def reseller_update(request: Request[Any, Any, Any]) -> Response[Any] | Template:
    """Update everything pending on the chosen sites of the reseller's clients (a run per client)."""
    result: Response[Any] | Template = await _start(request, RESELLER)
    return result


@get("/reseller/wordpress/runs/{run_id:int}", authz=RESELLER_LIST)
async def reseller_run(request: Request[Any, Any, Any], run_id: FromPath[int]) -> Template:
    """A run on a client's sites."""
    return await _run_page(request, RESELLER, run_id)


@get("/reseller/wordpress/runs/{run_id:int}/steps", authz=RESELLER_LIST)
async def reseller_run_steps(request: Request[Any, Any, Any], run_id: FromPath[int]) -> Template:
    """The run's progress block alone (polled with htmx)."""
    return await _run_steps(request, RESELLER, run_id)


def page_router() -> Router:
    """The staff and reseller pages of sites across clients."""
    return Router(
        path="/",
        route_handlers=[
            staff_list,
            staff_update,
            staff_run,
            staff_run_steps,
            reseller_list,
            reseller_update,
            reseller_run,
            reseller_run_steps,
        ],
        include_in_schema=False,
    )


async def _runs_a_store(request: Request[Any, Any, Any]) -> bool:
    """The reseller link shows only in accounts that run a reseller store."""
    from panel.core.stores.services import runs_a_store

    return await runs_a_store(int(request.state.account_id))


def nav_items(area: str) -> list[NavItem]:
    """The admin area's link, and the reseller link of the client area."""
    if area == "admin":
        return [NavItem("WordPress sites", STAFF.base, STAFF_OBJ, "list", order=55)]
    if area == "client":
        return [NavItem("Clients' WordPress", RESELLER.base, RESELLER_OBJ, "list", order=81, visible=_runs_a_store)]
    return []
