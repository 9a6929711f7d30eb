"""Helpers for the clients tests: stores, staff logins and row counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import factories as f
import pytest

from panel.core.accounts.tables import Account, Membership
from panel.core.auth.tables import User
from panel.core.authz.tables import CasbinRule
from panel.core.contacts.tables import Contact
from panel.core.stores.tables import Store


async def _make_store(name: str, slug: str, default: bool = False) -> int:
    row = await Store.insert(Store(name=name, slug=slug, is_default=default)).returning(Store.id)
    return int(row[0]["id"])


async def _counts() -> dict[str, int]:
    """How many rows each table touched by client management holds."""
    return {
        "users": await User.count(),
        "accounts": await Account.count(),
        "memberships": await Membership.count(),
        "contacts": await Contact.count(),
        "grants": await CasbinRule.count(),
    }


@pytest.fixture
def staff_login() -> Callable[..., Any]:
    """`await staff_login(client, authz, "admin")`: a staff user of that role, logged in."""

    async def go(client: Any, authz: Any, role: str) -> int:
        email = f"{role}-staff@example.com"
        user_id = await f.user(authz, email, staff=role)
        client.cookies.clear()
        answer = await f.login(client, email)
        assert answer.status_code in (302, 303), answer.text
        return user_id

    return go


@pytest.fixture
def make_store() -> Callable[..., Any]:
    """`await make_store("Main", "main", default=True)` -> the store's id."""
    return _make_store


@pytest.fixture
def row_counts() -> Callable[..., Any]:
    """`await row_counts()` -> rows per table (users, accounts, memberships, contacts, grants)."""
    return _counts
