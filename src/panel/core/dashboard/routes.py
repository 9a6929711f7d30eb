"""Arrange the home page (`/account/dashboard`) and its API (`/api/v1/accounts/{id}/dashboard`).

The page works without JavaScript: one form lists every tile and widget with a
show/hide tick and up/down buttons; any button saves the whole form. With htmx a
tick or a button swaps the list in place. Arranging needs `account:dashboard`
`update` (the owner and perm:all members; never a partner, see policies/policy.csv).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Response, Router, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Template

from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires
from panel.core.dashboard import services
from panel.core.web.pages import page, redirect
from panel.errors import ValidationFailed

ARRANGE = requires("account:dashboard", "update")

NOTICES = {"saved": "The home page was arranged.", "reset": "The home page is back to its default arrangement."}


@dataclass
class ArrangementBody:
    """The arrangement: item keys in order (tiles and widgets, `stat:<name>`, `widget:<name>`) and the hidden ones."""

    order: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)


@dataclass
class ArrangementOut:
    """An account's arrangement with every registered tile and widget, in the account's order."""

    account_id: int
    is_default: bool
    stats: list[services.Item]
    widgets: list[services.Item]


def _registered(request: Request[Any, Any, Any]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(name, title) of every registered tile and widget, in default order."""
    stats = [(s.name, s.label) for s in request.app.state.dashboard_stats]
    widgets = [(w.name, w.title) for w in request.app.state.widgets]
    return stats, widgets


def _known(request: Request[Any, Any, Any]) -> set[str]:
    stats, widgets = _registered(request)
    return {services.key_of("stat", n) for n, _ in stats} | {services.key_of("widget", n) for n, _ in widgets}


async def _choices(request: Request[Any, Any, Any], account_id: int) -> tuple[services.Arrangement, services.Choices]:
    chosen = await services.arrangement(account_id)
    return chosen, services.choices(*_registered(request), chosen)


async def _page(
    request: Request[Any, Any, Any], notice: str = "", errors: dict[str, str] | None = None, status_code: int = 200
) -> Template:
    chosen, lists = await _choices(request, request.state.account_id)
    return await page(
        request,
        "dashboard/arrange.html",
        status_code=status_code,
        lists=lists,
        is_default=chosen.is_default,
        notice=NOTICES.get(notice, ""),
        errors=errors or {},
    )


def _is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


@get("/account/dashboard", authz=ARRANGE)
async def arrange_page(request: Request[Any, Any, Any], done: FromQuery[str] = "") -> Template:
    """Every tile and widget of the home page with show/hide and up/down, and Reset."""
    return await _page(request, done)


def _from_form(order: list[str], shown: set[str], moving: str) -> tuple[list[str], list[str]]:
    """The order and hidden keys a submitted form asks for, with the clicked up/down applied within its group."""
    direction, _, key = moving.partition(":")
    groups: list[list[str]] = []
    for prefix in ("stat:", "widget:"):
        keys = [k for k in order if k.startswith(prefix)]
        groups.append(services.move(keys, key, direction) if key.startswith(prefix) else keys)
    new_order = [k for g in groups for k in g]
    return new_order, [k for k in new_order if k not in shown]


@post("/account/dashboard", authz=ARRANGE)
async def arrange_save(request: Request[Any, Any, Any]) -> Response[Any]:
    """Save the form: the order (with a clicked up/down applied) and the ticked items shown."""
    form = await request.form()
    order = [str(v) for v in form.getall("order", [])]
    shown = {str(v) for v in form.getall("shown", [])}
    order, hidden = _from_form(order, shown, str(form.get("move") or ""))
    try:
        await services.save(request.state.account_id, order, hidden, _known(request), by=audit_context(request))
    except ValidationFailed as exc:
        return await _page(request, errors=exc.errors, status_code=422)
    if _is_htmx(request):
        return await _page(request, "saved")  # swapped in place (hx-select)
    return redirect(request, "/account/dashboard?done=saved")


@post("/account/dashboard/reset", authz=ARRANGE)
async def arrange_reset(request: Request[Any, Any, Any]) -> Response[Any]:
    """Back to the default order with everything shown."""
    await services.reset(request.state.account_id, by=audit_context(request))
    if _is_htmx(request):
        return await _page(request, "reset")
    return redirect(request, "/account/dashboard?done=reset")


PAGE_ROUTES = [arrange_page, arrange_save, arrange_reset]


# -- API -------------------------------------------------------------------------------


async def _out(request: Request[Any, Any, Any], account_id: int) -> ArrangementOut:
    chosen, lists = await _choices(request, account_id)
    return ArrangementOut(account_id, chosen.is_default, lists.stats, lists.widgets)


@get("/accounts/{account_id:int}/dashboard", authz=requires("account:dashboard", "read", account_param="account_id"))
async def api_get(request: Request[Any, Any, Any], account_id: FromPath[int]) -> ArrangementOut:
    """The account's home-page arrangement (every member may read it)."""
    return await _out(request, account_id)


@put("/accounts/{account_id:int}/dashboard", authz=requires("account:dashboard", "update", account_param="account_id"))
async def api_put(
    request: Request[Any, Any, Any], account_id: FromPath[int], data: JSONBody[ArrangementBody]
) -> ArrangementOut:
    """Replace the arrangement; an empty body (no order, nothing hidden) is the default."""
    by = audit_context(request)
    if not data.order and not data.hidden:
        await services.reset(account_id, by=by)
    else:
        await services.save(account_id, data.order, data.hidden, _known(request), by=by)
    return await _out(request, account_id)


def api_router() -> Router:
    """The dashboard API under /api/v1."""
    return Router(path="/api/v1", route_handlers=[api_get, api_put], tags=["dashboard"])
