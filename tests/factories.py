"""Test data made through the real services, so rules and grants are the real ones."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from panel.core.accounts import services as accounts
from panel.core.auth import services as auth

PASSWORD = "correct horse battery"


async def user(authz: Any, email: str, staff: str | None = None, password: str = PASSWORD) -> int:
    """A user, optionally platform staff."""
    user_id = await auth.create_user(email, password, email.split("@")[0].title())
    if staff:
        await auth.grant_staff_role(authz, user_id, staff)
    return user_id


async def account(authz: Any, name: str, owner_id: int, members: dict[int, list[str]] | None = None) -> int:
    """An account with an owner and members holding the given permissions."""
    account_id = await accounts.create_account(authz, name, owner_id)
    for member_id, perms in (members or {}).items():
        await accounts.add_member(authz, account_id, member_id, perms)
    return account_id


def csrf(client: AsyncTestClient[Litestar]) -> str:
    """The CSRF token from the cookie (set by any GET)."""
    return client.cookies.get("csrftoken") or ""


async def get_csrf(client: AsyncTestClient[Litestar]) -> str:
    """Load a page so the CSRF cookie is set, and return the token."""
    await client.get("/login")
    return csrf(client)


async def login(client: AsyncTestClient[Litestar], email: str, password: str = PASSWORD) -> Any:
    """Log in through the real form (with its CSRF token)."""
    token = await get_csrf(client)
    return await client.post(
        "/login", data={"email": email, "password": password, "_csrf_token": token}, follow_redirects=False
    )


def form_token(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)
