"""The JSON API under /api/v1: the same services and guard as the pages.

Authenticate with the session cookie (send `x-csrftoken` on unsafe requests) or an
`Authorization: Bearer <token>` header. Routes about an account take its id in the
path, so tokens work without a current account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, Router, delete, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from panel.core.accounts import services as accounts
from panel.core.accounts.routes import switch_account
from panel.core.admin import services as admin
from panel.core.auth import services as auth
from panel.core.auth import tokens
from panel.core.auth.routes import _limits, end_current_session, set_session_cookie, start_session
from panel.core.auth.tables import User
from panel.core.authz.guard import LOGGED_IN, PUBLIC, requires
from panel.errors import PanelError


@dataclass
class LoginBody:
    """Credentials."""

    email: str
    password: str


@dataclass
class TokenBody:
    """A new token's name."""

    name: str


@dataclass
class AccountOut:
    """An account the user belongs to."""

    id: int
    name: str
    status: str
    is_owner: bool
    permissions: list[str]


@dataclass
class MeOut:
    """The user behind the request."""

    id: int
    email: str
    staff_roles: list[str]
    account_id: int | None
    accounts: list[AccountOut]


async def _me(request: Request[Any, Any, Any]) -> MeOut:
    user_id = request.state.user_id
    authz = request.app.state.authz
    row = await User.select(User.email).where(User.id == user_id).first()
    mine = [
        AccountOut(a.id, a.name, a.status, a.is_owner, accounts.permissions_of(authz, user_id, a.id))
        for a in await accounts.accounts_of(user_id)
    ]
    return MeOut(user_id, row["email"] if row else "", auth.staff_roles(authz, user_id), request.state.account_id, mine)


@post("/auth/login", authz=PUBLIC, status_code=200)
async def api_login(request: Request[Any, Any, Any], data: JSONBody[LoginBody]) -> Response[MeOut]:
    """Log in with email and password; sets the session cookie."""
    user_id = await auth.authenticate(
        data.email,
        data.password,
        request.state.client_address,
        request.app.state.login_failures,
        _limits(request.app.state.settings),
    )
    token, account_id, _ = await start_session(request, user_id)
    request.state.user_id, request.state.account_id = user_id, account_id
    response = Response(await _me(request))
    set_session_cookie(response, request.app.state.settings, token)
    return response


@post("/auth/logout", authz=LOGGED_IN, status_code=204)
async def api_logout(request: Request[Any, Any, Any]) -> None:
    """End the current session."""
    await end_current_session(request, "Logged out (API).")


@get("/me", authz=LOGGED_IN)
async def api_me(request: Request[Any, Any, Any]) -> MeOut:
    """Who is logged in, with their accounts and permissions."""
    return await _me(request)


@post("/accounts/{account_id:int}/switch", authz=LOGGED_IN, status_code=200)
async def api_switch(request: Request[Any, Any, Any], account_id: FromPath[int]) -> Response[MeOut]:
    """Make an account current for this session (session logins only)."""
    if request.state.get("session") is None:
        raise PanelError("API tokens have no current account: pass the account id in the path.")
    token = await switch_account(request, account_id)
    response = Response(await _me(request))
    set_session_cookie(response, request.app.state.settings, token)
    return response


@get("/accounts/{account_id:int}", authz=requires("account:summary", "read", account_param="account_id"))
async def api_account(request: Request[Any, Any, Any], account_id: FromPath[int]) -> AccountOut:
    """One account the user may see."""
    a = await accounts.get_account(account_id)
    perms = accounts.permissions_of(request.app.state.authz, request.state.user_id, account_id)
    return AccountOut(a.id, a.name, a.status, "owner" in perms, perms)


@get("/tokens", authz=LOGGED_IN)
async def api_tokens(request: Request[Any, Any, Any]) -> list[tokens.TokenInfo]:
    """The user's API tokens."""
    return await tokens.list_tokens(request.state.user_id)


@post("/tokens", authz=LOGGED_IN)
async def api_create_token(request: Request[Any, Any, Any], data: JSONBody[TokenBody]) -> dict[str, Any]:
    """Create an API token; the secret is in this answer only."""
    token_id, secret = await tokens.create_token(request.state.user_id, data.name)
    return {"id": token_id, "name": data.name, "token": secret}


@delete("/tokens/{token_id:int}", authz=LOGGED_IN)
async def api_revoke_token(request: Request[Any, Any, Any], token_id: FromPath[int]) -> None:
    """Revoke one of your tokens."""
    await tokens.revoke_token(request.state.user_id, token_id)


@get("/admin/accounts", authz=requires("account:*", "list", scope="platform"))
async def api_admin_accounts(limit: FromQuery[int] = 200, offset: FromQuery[int] = 0) -> list[admin.AccountRow]:
    """Every account (staff)."""
    return await admin.list_accounts(min(limit, 1000), offset)


@get("/admin/users", authz=requires("user:*", "list", scope="platform"))
async def api_admin_users(
    request: Request[Any, Any, Any], limit: FromQuery[int] = 200, offset: FromQuery[int] = 0
) -> list[admin.UserRow]:
    """Every user with staff roles (staff)."""
    return await admin.list_users(request.app.state.authz, min(limit, 1000), offset)


def api_router() -> Router:
    """Core's API routes under /api/v1."""
    return Router(
        path="/api/v1",
        route_handlers=[
            api_login,
            api_logout,
            api_me,
            api_switch,
            api_account,
            api_tokens,
            api_create_token,
            api_revoke_token,
            api_admin_accounts,
            api_admin_users,
        ],
        tags=["core"],
    )
