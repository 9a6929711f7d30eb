"""Test data made through the real services, so rules and grants are the real ones."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from panel.core.accounts import services as accounts
from panel.core.accounts.tables import Account
from panel.core.auth import services as auth
from panel.core.stores.tables import Store, StoreKind

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


async def login_as(client: Any, email: str) -> None:
    """Forget any earlier login and log in through the form."""
    client.cookies.clear()
    answer = await login(client, email)
    assert answer.status_code in (302, 303), answer.text


async def post_form(client: Any, path: str, data: dict[str, Any] | list[tuple[str, str]] | None = None) -> Any:
    """POST a form with the CSRF token (repeated keys for lists), without following the redirect."""
    items = list(data.items()) if isinstance(data, dict) else list(data or [])
    form: dict[str, Any] = {}
    for key, value in [*items, ("_csrf_token", csrf(client))]:
        if key in form:
            form[key] = [*(form[key] if isinstance(form[key], list) else [form[key]]), value]
        else:
            form[key] = value
    return await client.post(path, data=form, follow_redirects=False)


async def make_store(
    name: str,
    slug: str,
    *,
    kind: str = StoreKind.PROVIDER,
    reseller: int | None = None,
    default: bool = False,
    currency: str = "USD",
    **columns: Any,
) -> int:
    """A store row, written directly (the services are what the tests exercise)."""
    store = Store(name=name, slug=slug, kind=kind, reseller=reseller, is_default=default, currency=currency, **columns)
    return int((await Store.insert(store).returning(Store.id))[0]["id"])


async def bind(account_id: int, store_id: int) -> None:
    """Make the account a client of the store."""
    await Account.update({Account.store: store_id}).where(Account.id == account_id)


async def client_of(authz: Any, email: str, store_id: int, name: str | None = None) -> tuple[int, int]:
    """A user owning an account bound to `store_id`: (user id, account id)."""
    user_id = await user(authz, email)
    account_id = await account(authz, name or email.split("@")[0].title(), user_id)
    await bind(account_id, store_id)
    return user_id, account_id


async def run_jobs(app: Any) -> int:
    """Run every due background job of `app` until none is left (what `panel worker --once` does).

    Works on either job backend; closes the SAQ connections it opened in the test's event loop.
    """
    from panel.core.jobs.services import close_connections, run_due

    try:
        return await run_due(app.state.settings, app.state.plugins.job_handlers())
    finally:
        await close_connections()
