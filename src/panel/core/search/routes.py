"""The client-area search page and its API twin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Router, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from panel.core.authz.guard import requires
from panel.core.search import services
from panel.core.web.pages import allowed, page


def _may(request: Request[Any, Any, Any], account_id: int) -> Any:
    dom = f"acct:{account_id}"
    return lambda obj, action: allowed(request, obj, action, dom)


@get("/search", authz=requires("account:summary", "read"))
async def search_page(request: Request[Any, Any, Any], q: FromQuery[str] = "") -> Template:
    """Search the current account: only the kinds of things this member may list."""
    account_id = request.state.account_id
    groups = await services.search(account_id, q, _may(request, account_id))
    return await page(request, "search/results.html", q=services.clean_query(q), search_q=q, groups=groups)


@dataclass
class SearchOut:
    """What was searched for, and the hits of each kind the user may list."""

    q: str
    groups: list[services.SearchGroup]


@get("/accounts/{account_id:int}/search", authz=requires("account:summary", "read", account_param="account_id"))
async def api_search(request: Request[Any, Any, Any], account_id: FromPath[int], q: FromQuery[str] = "") -> SearchOut:
    """Search the account (`q`); kinds the user may not list are absent, at most 10 hits each."""
    groups = await services.search(account_id, q, _may(request, account_id))
    return SearchOut(services.clean_query(q), groups)


PAGE_ROUTES = [search_page]


def api_router() -> Router:
    """The search API under /api/v1."""
    return Router(path="/api/v1", route_handlers=[api_search], tags=["search"])
