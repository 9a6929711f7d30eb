"""Server-side sessions: the cookie carries a random token, the database its hash.

A session row says who is logged in, which account is current, and who is
impersonating (if anyone). The token is replaced (rotated) on login and whenever
the session's privileges change, so a token seen before that is worthless after.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from panel.core import db
from panel.core.accounts.revisions import REVISIONS
from panel.core.accounts.tables import Account, Membership
from panel.core.auth.tables import Session, User

COOKIE_NAME = "panel_session"
TOUCH_EVERY = timedelta(minutes=5)


def token_hash(token: str) -> str:
    """The stored form of a session or API token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh unguessable token."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class SessionAccount:
    """An account the session's user belongs to, as the session lookup read it."""

    id: int
    name: str
    status: str
    owner_id: int | None
    revision: int | None = None  # its data revision (`panel.core.accounts.revisions`)


@dataclass
class CurrentSession:
    """The session behind a request, with its user.

    `accounts` is every account the user belongs to (by name) when the lookup was
    asked for them (page loads), else None. `impersonator_email` is '' unless staff
    are impersonating.
    """

    id: int
    user_id: int
    email: str
    name: str
    account_id: int | None
    impersonator_id: int | None
    expires_at: datetime
    last_seen_at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    impersonator_email: str = ""
    accounts: tuple[SessionAccount, ...] | None = None
    image: str = ""
    """The user's profile image (`User.image`), '' for none."""
    partner_account_id: int | None = None
    """The partner account the user acts for while managing `account_id` (a partner's child), else None."""


async def create(user_id: int, account_id: int | None, ip: str, user_agent: str, days: int) -> str:
    """Start a session and return its token (for the cookie)."""
    token = new_token()
    now = datetime.now(UTC)
    await Session.insert(
        Session(
            token_hash=token_hash(token),
            user=user_id,
            account_id=account_id,
            ip=ip[:45],
            user_agent=user_agent[:300],
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    return token


_S, _U, _M, _A = (t._meta.tablename for t in (Session, User, Membership, Account))
_SESSION_COLUMNS = (
    "s.id, s.account_id, s.impersonator_id, s.partner_account_id, s.expires_at, s.last_seen_at, "
    "u.id AS user_id, u.email, u.name, u.is_active, u.image, i.email AS impersonator_email"
)
_SESSION_FROM = f'{_S} s JOIN {_U} u ON u.id = s."user" LEFT JOIN {_U} i ON i.id = s.impersonator_id'
SESSION_SQL = f"SELECT {_SESSION_COLUMNS} FROM {_SESSION_FROM} WHERE s.token_hash = {{}}"  # noqa: S608 (no input)
"""The session, its user and the impersonating staff user's email: one indexed read."""
SESSION_WITH_ACCOUNTS_SQL = (
    f"SELECT {_SESSION_COLUMNS}, a.id AS a_id, a.name AS a_name, a.status AS a_status, a.owner AS a_owner, "  # noqa: S608
    f"r.revision AS a_revision FROM {_SESSION_FROM} "
    f'LEFT JOIN {_M} m ON m."user" = u.id LEFT JOIN {_A} a ON a.id = m.account '
    f"LEFT JOIN {REVISIONS} r ON r.account = a.id WHERE s.token_hash = {{}} ORDER BY a.name, a.id"
)
"""The same, one row per account the user belongs to (what every page's account menu shows)."""


async def load(token: str, days: int, with_accounts: bool = False) -> CurrentSession | None:
    """The live session for a token, or None if unknown, expired or the user is disabled.

    One query, run on every request: so a session ended or a user disabled elsewhere
    stops working at the next request. `with_accounts` also reads the user's accounts
    (in the same query) for pages that show the account menu.
    """
    rows = await db.fetch(SESSION_WITH_ACCOUNTS_SQL if with_accounts else SESSION_SQL, token_hash(token))
    if not rows:
        return None
    row = rows[0]
    now = datetime.now(UTC)
    if row["expires_at"] <= now or not row["is_active"]:
        await Session.delete().where(Session.id == row["id"])
        return None
    current = CurrentSession(
        id=row["id"],
        user_id=row["user_id"],
        email=row["email"],
        name=row["name"],
        account_id=row["account_id"],
        impersonator_id=row["impersonator_id"],
        expires_at=row["expires_at"],
        last_seen_at=row["last_seen_at"],
        impersonator_email=row["impersonator_email"] or "",
        image=row["image"] or "",
        partner_account_id=row["partner_account_id"],
    )
    if with_accounts:
        current.accounts = tuple(
            SessionAccount(r["a_id"], r["a_name"], r["a_status"], r["a_owner"], r["a_revision"])
            for r in rows
            if r["a_id"] is not None
        )
    if now - row["last_seen_at"] > TOUCH_EVERY:
        await Session.update({Session.last_seen_at: now, Session.expires_at: now + timedelta(days=days)}).where(
            Session.id == current.id
        )
    return current


async def rotate(session_id: int, **changes: Any) -> str:
    """Give the session a new token, applying `changes` (e.g. account_id) at once."""
    token = new_token()
    values: dict[Any, Any] = {Session.token_hash: token_hash(token)}
    for key, value in changes.items():
        values[getattr(Session, key)] = value
    await Session.update(values).where(Session.id == session_id)
    return token


async def end(session_id: int) -> None:
    """Log a session out."""
    await Session.delete().where(Session.id == session_id)


async def end_all_for_user(user_id: int) -> int:
    """Log a user out everywhere; returns how many sessions ended."""
    rows = await Session.delete().where(Session.user == user_id).returning(Session.id)
    return len(rows)


async def end_all_in_account(account_id: int) -> int:
    """End every session whose current account is this one, or that acts for it as a partner (account suspended)."""
    rows = (
        await Session.delete()
        .where((Session.account_id == account_id) | (Session.partner_account_id == account_id))
        .returning(Session.id)
    )
    return len(rows)


async def leave_managed_without_twofactor(account_id: int, enrolled: Callable[[int], Awaitable[bool]]) -> int:
    """Send sessions managing `account_id` for a partner back to the partner's account, unless `enrolled(user)`.

    Called when the account starts requiring two-factor authentication: a partner
    admin without it must enrol before managing the account again. Returns how many
    sessions moved.
    """
    rows = await Session.select(Session.id, Session.user, Session.partner_account_id).where(
        (Session.account_id == account_id) & Session.partner_account_id.is_not_null()
    )
    moved = 0
    for row in rows:
        if not await enrolled(int(row["user"])):
            await Session.update(
                {Session.account_id: row["partner_account_id"], Session.partner_account_id: None}
            ).where(Session.id == row["id"])
            moved += 1
    return moved


async def user_is_active(user_id: int) -> bool:
    """Whether the user may log in at all."""
    row = await User.select(User.is_active).where(User.id == user_id).first()
    return bool(row and row["is_active"])
