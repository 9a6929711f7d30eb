"""What the admin area lists: accounts and users across the platform."""

from __future__ import annotations

from dataclasses import dataclass

from piccolo.query.functions.aggregate import Count

from panel.core.accounts.tables import Account, Membership
from panel.core.auth.services import staff_roles
from panel.core.auth.tables import User
from panel.core.authz import Authorizer
from panel.core.stores.tables import Store


@dataclass(frozen=True)
class AccountRow:
    """One line of the accounts list."""

    id: int
    name: str
    status: str
    owner_email: str
    store: str
    members: int


@dataclass(frozen=True)
class UserRow:
    """One line of the users list."""

    id: int
    email: str
    name: str
    is_active: bool
    staff: list[str]


async def platform_counts() -> dict[str, int]:
    """Totals for the admin home page."""
    return {
        "accounts": await Account.count(),
        "users": await User.count(),
        "stores": await Store.count(),
    }


async def list_accounts(limit: int = 200, offset: int = 0) -> list[AccountRow]:
    """Accounts with owner, store and member count: two queries, whatever the length."""
    rows = await (
        Account.select(Account.id, Account.name, Account.status, Account.owner.email, Account.store.name)
        .order_by(Account.name)
        .limit(limit)
        .offset(offset)
    )
    ids = [r["id"] for r in rows]
    counts: dict[int, int] = {}
    if ids:
        for c in (
            await Membership.select(Membership.account, Count(alias="n"))
            .where(Membership.account.is_in(ids))
            .group_by(Membership.account)
        ):
            counts[c["account"]] = c["n"]
    return [
        AccountRow(r["id"], r["name"], r["status"], r["owner.email"], r["store.name"] or "", counts.get(r["id"], 0))
        for r in rows
    ]


async def list_users(authz: Authorizer, limit: int = 200, offset: int = 0) -> list[UserRow]:
    """Users with their staff roles (roles come from memory, not one query per user)."""
    rows = (
        await User.select(User.id, User.email, User.name, User.is_active)
        .order_by(User.email)
        .limit(limit)
        .offset(offset)
    )
    return [UserRow(r["id"], r["email"], r["name"], r["is_active"], staff_roles(authz, r["id"])) for r in rows]
