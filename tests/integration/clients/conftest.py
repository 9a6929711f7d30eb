"""Helpers for the clients tests: stores and row counts (`staff_login` is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import factories as f
import pytest

from panel.core.accounts.tables import Account, Membership
from panel.core.auth.tables import User
from panel.core.authz.tables import CasbinRule
from panel.core.contacts.tables import Contact


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
def make_store() -> Callable[..., Any]:
    """`await make_store("Main", "main", default=True)` -> the store's id."""
    return f.make_store


@pytest.fixture
def row_counts() -> Callable[..., Any]:
    """`await row_counts()` -> rows per table (users, accounts, memberships, contacts, grants)."""
    return _counts
