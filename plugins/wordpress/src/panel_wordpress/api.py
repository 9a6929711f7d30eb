"""The wordpress API under /api/v1/wordpress/accounts/{account_id}/sites: the same services and rules as the pages.

Bodies are JSON. A connect that fails answers 422 with `errors` naming the field and
stores nothing; another account's site is 404; a member without the permission gets 403.
Application passwords are never part of an answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, Router, delete, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from panel_wordpress import guards, queries, services
from panel_wordpress.jobs import queue_refresh


@dataclass
class SiteListOut:
    """A page of sites and the number of sites in the account."""

    total: int
    limit: int
    offset: int
    items: list[queries.SiteRow]


@dataclass
class ConnectIn:
    """A site to connect.

    `method` "login": an administrator's `user` and `password` (the panel creates an
    application password and does not keep the login password); "app_password": `user`
    and an `app_password` made on the site.
    """

    url: str
    method: str
    user: str
    password: str = ""
    app_password: str = ""
    service_id: int | None = None


@dataclass
class ConnectOut:
    """The connected site (as after its first refresh), and whether the connector answers on it."""

    site: queries.SiteView
    refreshed: bool
    connector: bool


@dataclass
class RefreshOut:
    """The queued refresh job."""

    job_id: int


@get("/accounts/{account_id:int}/sites", authz=guards.API_LIST)
async def api_sites(
    account_id: FromPath[int], limit: FromQuery[int] = queries.PAGE_SIZE, offset: FromQuery[int] = 0
) -> SiteListOut:
    """The account's sites, by address."""
    found = await queries.account_sites(account_id, limit, offset)
    return SiteListOut(found.total, found.limit, found.offset, found.rows)


@post("/accounts/{account_id:int}/sites", authz=guards.API_CONNECT, status_code=201)
async def api_connect(
    request: Request[Any, Any, Any], account_id: FromPath[int], data: JSONBody[ConnectIn]
) -> ConnectOut:
    """Verify and connect a site; 422 with `errors` (and nothing stored) when the site or credentials fail."""
    done = await services.connect(
        request.app.state.settings,
        account_id,
        request.state.user_id,
        services.ConnectRequest(data.url, data.method, data.user, data.password, data.app_password, data.service_id),
    )
    return ConnectOut(await queries.site_view(account_id, done.site_id), done.refreshed, done.connector)


@get("/accounts/{account_id:int}/sites/{site_id:int}", authz=guards.API_READ)
async def api_site(account_id: FromPath[int], site_id: FromPath[int]) -> queries.SiteView:
    """One site: versions, health, plugins, themes, users, pending and ignored updates."""
    return await queries.site_view(account_id, site_id)


@post("/accounts/{account_id:int}/sites/{site_id:int}/refresh", authz=guards.API_REFRESH, status_code=202)
async def api_refresh(request: Request[Any, Any, Any], account_id: FromPath[int], site_id: FromPath[int]) -> RefreshOut:
    """Queue a refresh of the site; follow it with the job id (the site's `refresh_job`)."""
    await services.site_row(account_id, site_id)
    job_id = await queue_refresh(request.app.state.settings, site_id)
    await services.set_refresh_job(site_id, job_id)
    return RefreshOut(job_id)


@delete("/accounts/{account_id:int}/sites/{site_id:int}", authz=guards.API_DISCONNECT, status_code=200)
async def api_disconnect(
    request: Request[Any, Any, Any], account_id: FromPath[int], site_id: FromPath[int]
) -> Response[dict[str, str]]:
    """Disconnect the site; `app_password` says "revoked", "own" (yours, left on the site) or "failed"."""
    outcome = await services.disconnect(request.app.state.settings, account_id, site_id)
    return Response({"app_password": outcome})


def api_router() -> Router:
    """API routes under /api/v1/wordpress/."""
    return Router(
        path="/api/v1/wordpress",
        route_handlers=[api_sites, api_connect, api_site, api_refresh, api_disconnect],
        tags=["wordpress"],
    )
