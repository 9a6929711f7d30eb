"""The API of bulk changes and user management, under /api/v1/wordpress/accounts/{account_id}.

The same services and rules as the pages: reading needs `wordpress.sites`, changes
`wordpress.manage`; another account's site or run is 404. Bulk changes answer 202 with
the run and its job; follow the run with `GET .../runs/{run_id}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Router, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires

from panel_wordpress import manage, runs

OBJ = "wordpress.site:*"
API_LIST = requires(OBJ, "list", account_param="account_id")
API_CHANGE = requires(OBJ, "update", account_param="account_id")
API_SITE_CHANGE = requires("wordpress.site:{site_id}", "update", account_param="account_id")


@dataclass
class UpdatesIn:
    """What to update: every pending update on `sites`, and the single `items` (ids of a site's items)."""

    sites: list[int] = field(default_factory=list)
    items: list[int] = field(default_factory=list)


@dataclass
class InstallIn:
    """A plugin or theme from wordpress.org to install on `sites` (zips are uploaded through the page)."""

    kind: str
    slug: str
    sites: list[int]
    activate: bool = False


@dataclass
class UserIn:
    """A user to create on `sites`; WordPress mails them the link to set a password."""

    username: str
    email: str
    role: str
    sites: list[int]


@dataclass
class RunQueued:
    """The run written and its job queued."""

    run_id: int
    job_id: int


@dataclass
class UsersOut:
    """A page of the users of the account's sites."""

    total: int
    limit: int
    offset: int
    items: list[manage.AccountUser]


@dataclass
class RoleIn:
    """The user's new role."""

    role: str


@post("/accounts/{account_id:int}/updates", authz=API_CHANGE, status_code=202)
async def api_updates(
    request: Request[Any, Any, Any], account_id: FromPath[int], data: JSONBody[UpdatesIn]
) -> RunQueued:
    """Start a bulk update; 422 `errors.items` when nothing chosen has an update."""
    queued = await runs.start_updates(
        request.app.state.settings, account_id, data.sites, data.items, audit_context(request)
    )
    return RunQueued(queued.run_id, queued.job_id)


@post("/accounts/{account_id:int}/installs", authz=API_CHANGE, status_code=202)
async def api_install(
    request: Request[Any, Any, Any], account_id: FromPath[int], data: JSONBody[InstallIn]
) -> RunQueued:
    """Install a plugin or theme by wordpress.org slug on several sites."""
    req = runs.InstallRequest(data.kind, data.sites, data.slug, None, data.activate)
    queued = await runs.start_install(request.app.state.settings, account_id, req, audit_context(request))
    return RunQueued(queued.run_id, queued.job_id)


@post("/accounts/{account_id:int}/users", authz=API_CHANGE, status_code=202)
async def api_create_user(
    request: Request[Any, Any, Any], account_id: FromPath[int], data: JSONBody[UserIn]
) -> RunQueued:
    """Create a user on several sites."""
    req = runs.NewUser(data.sites, data.username, data.email, data.role)
    queued = await runs.start_user(request.app.state.settings, account_id, req, audit_context(request))
    return RunQueued(queued.run_id, queued.job_id)


@get("/accounts/{account_id:int}/runs/{run_id:int}", authz=API_LIST)
async def api_run(account_id: FromPath[int], run_id: FromPath[int]) -> runs.RunView:
    """A run with every step's state and message."""
    return await runs.run_view(account_id, run_id)


@get("/accounts/{account_id:int}/users", authz=API_LIST)
async def api_users(
    account_id: FromPath[int],
    q: FromQuery[str] = "",
    limit: FromQuery[int] = manage.USERS_PAGE,
    offset: FromQuery[int] = 0,
) -> UsersOut:
    """Users of every site of the account (as last read), by user name; `q` filters by name or email."""
    found = await manage.account_users(account_id, q, limit, offset)
    return UsersOut(found.total, found.limit, found.offset, found.rows)


@put("/accounts/{account_id:int}/sites/{site_id:int}/users/{wp_id:int}/role", authz=API_SITE_CHANGE)
async def api_role(
    request: Request[Any, Any, Any],
    account_id: FromPath[int],
    site_id: FromPath[int],
    wp_id: FromPath[int],
    data: JSONBody[RoleIn],
) -> dict[str, str]:
    """Give a site's user another role."""
    await manage.set_role(request.app.state.settings, account_id, site_id, wp_id, data.role, audit_context(request))
    return {"role": data.role}


@post("/accounts/{account_id:int}/sites/{site_id:int}/users/{wp_id:int}/reset", authz=API_SITE_CHANGE)
async def api_reset(
    request: Request[Any, Any, Any], account_id: FromPath[int], site_id: FromPath[int], wp_id: FromPath[int]
) -> dict[str, str]:
    """Have WordPress email the user a password reset link."""
    await manage.reset_password(request.app.state.settings, account_id, site_id, wp_id, audit_context(request))
    return {"email": "sent"}


@delete("/accounts/{account_id:int}/sites/{site_id:int}/users/{wp_id:int}", authz=API_SITE_CHANGE, status_code=200)
async def api_delete_user(
    request: Request[Any, Any, Any],
    account_id: FromPath[int],
    site_id: FromPath[int],
    wp_id: FromPath[int],
    reassign: FromQuery[int],
) -> dict[str, int]:
    """Delete a site's user, giving their content to the user `reassign`."""
    await manage.delete_user(request.app.state.settings, account_id, site_id, wp_id, reassign, audit_context(request))
    return {"deleted": wp_id, "reassigned_to": reassign}


def api_router() -> Router:
    """API routes of bulk changes and users under /api/v1/wordpress/."""
    return Router(
        path="/api/v1/wordpress",
        route_handlers=[
            api_updates,
            api_install,
            api_create_user,
            api_run,
            api_users,
            api_role,
            api_reset,
            api_delete_user,
        ],
        tags=["wordpress"],
    )
