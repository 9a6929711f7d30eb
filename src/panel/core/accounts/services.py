"""Accounts and memberships; per-account permissions are grants in the rules engine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from panel.core import db
from panel.core.accounts.tables import Account, AccountStatus, Membership
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.auth import sessions
from panel.core.auth.tables import User
from panel.core.authz import Authorizer
from panel.errors import NotFound, ValidationFailed


@dataclass(frozen=True)
class AccountSummary:
    """An account as the switcher and lists show it."""

    id: int
    name: str
    status: str
    is_owner: bool


def dom(account_id: int) -> str:
    """The rules-engine domain of an account."""
    return f"acct:{account_id}"


async def create_account(
    authz: Authorizer, name: str, owner_id: int, store_id: int | None = None, *, by: AuditContext = SYSTEM
) -> int:
    """Create an account owned by `owner_id`, who becomes its first member; `by` is who did it (audit)."""
    name = name.strip()
    if not name:
        raise ValidationFailed({"name": "Give the account a name."})
    async with authz.atomic(), db.write_transaction():
        row = await Account.insert(Account(name=name, owner=owner_id, store=store_id)).returning(Account.id)
        account_id = int(row[0]["id"])
        await Membership.insert(Membership(user=owner_id, account=account_id))
        await authz.add_grant("g", f"user:{owner_id}", "role:owner", dom(account_id))
        await authz.add_grant("g", f"user:{owner_id}", "role:member", dom(account_id))
        await record(
            "account.create",
            account_id=account_id,
            target=f"account:{account_id}",
            summary=f"Created the account {name}.",
            details={"name": name, "owner": f"user:{owner_id}"},
            **by,
        )
    return account_id


async def add_member(
    authz: Authorizer, account_id: int, user_id: int, permissions: list[str], *, by: AuditContext = SYSTEM
) -> None:
    """Add a user to an account with a set of permissions (names, e.g. "invoices"); `by`: who (audit)."""
    async with authz.atomic(), db.write_transaction():
        if not await Membership.exists().where((Membership.user == user_id) & (Membership.account == account_id)):
            await Membership.insert(Membership(user=user_id, account=account_id))
        await authz.add_grant("g", f"user:{user_id}", "role:member", dom(account_id))
        for perm in permissions:
            await authz.add_grant("g", f"user:{user_id}", f"perm:{perm}", dom(account_id))
        await record(
            "member.add",
            account_id=account_id,
            target=f"user:{user_id}",
            summary=f"Added a member with {', '.join(permissions) or 'no extra'} permissions.",
            details={"permissions": {"after": sorted(permissions)}},
            **by,
        )


def permissions_of(authz: Authorizer, user_id: int, account_id: int) -> list[str]:
    """The roles and permissions a user holds in an account, e.g. ["owner"], ["invoices"]."""
    out = []
    for grant in authz.grants_for(f"user:{user_id}", dom(account_id)):
        role = grant[2]
        if role.startswith("perm:"):
            out.append(role.removeprefix("perm:"))
        elif role == "role:owner":
            out.append("owner")
    return sorted(out)


_ACCOUNTS_OF_SQL = (
    f"SELECT a.id, a.name, a.status, a.owner FROM {Membership._meta.tablename} m "  # noqa: S608 (no input)
    f'JOIN {Account._meta.tablename} a ON a.id = m.account WHERE m."user" = {{}} ORDER BY a.name, a.id'
)


async def accounts_of(user_id: int) -> list[AccountSummary]:
    """Every account the user belongs to, by name (one query, written out: every page asks)."""
    rows = await db.fetch(_ACCOUNTS_OF_SQL, user_id)
    return [AccountSummary(r["id"], r["name"], r["status"], r["owner"] == user_id) for r in rows]


def summaries(found: Sequence[sessions.SessionAccount], user_id: int) -> list[AccountSummary]:
    """The accounts a session lookup read (`sessions.load(..., with_accounts=True)`), as `accounts_of` gives them."""
    return [AccountSummary(a.id, a.name, a.status, a.owner_id == user_id) for a in found]


_GET_ACCOUNT_SQL = f"SELECT id, name, status FROM {Account._meta.tablename} WHERE id = {{}}"  # noqa: S608 (no input)


async def get_account(account_id: int) -> AccountSummary:
    """One account, or NotFound (written out: the home page asks every time)."""
    rows = await db.fetch(_GET_ACCOUNT_SQL, account_id)
    if not rows:
        raise NotFound("No such account.")
    return AccountSummary(rows[0]["id"], rows[0]["name"], rows[0]["status"], False)


async def remember_choice(user_id: int, account_id: int) -> None:
    """Store the account a user last worked in, offered first next time."""
    await User.update({User.last_account_id: account_id}).where(User.id == user_id)


async def last_choice(user_id: int) -> int | None:
    """The account the user last worked in."""
    row = await User.select(User.last_account_id).where(User.id == user_id).first()
    return row["last_account_id"] if row else None


async def suspend(authz: Authorizer, account_id: int, *, by: AuditContext = SYSTEM) -> int:
    """Suspend an account: all non-staff access ends at once, live sessions included; `by`: who (audit)."""
    async with authz.atomic(), db.write_transaction():
        await Account.update({Account.status: AccountStatus.SUSPENDED}).where(Account.id == account_id)
        await authz.add_grant("g3", dom(account_id), "class:suspended")
        await record(
            "account.suspend",
            account_id=account_id,
            target=f"account:{account_id}",
            summary="Suspended the account.",
            details={"status": {"after": AccountStatus.SUSPENDED}},
            **by,
        )
        return await sessions.end_all_in_account(account_id)


async def unsuspend(authz: Authorizer, account_id: int, *, by: AuditContext = SYSTEM) -> None:
    """Lift a suspension; `by` is who did it (audit)."""
    async with authz.atomic(), db.write_transaction():
        await Account.update({Account.status: AccountStatus.ACTIVE}).where(Account.id == account_id)
        await authz.remove_grant("g3", dom(account_id), "class:suspended")
        await record(
            "account.unsuspend",
            account_id=account_id,
            target=f"account:{account_id}",
            summary="Lifted the suspension.",
            details={"status": {"after": AccountStatus.ACTIVE}},
            **by,
        )
