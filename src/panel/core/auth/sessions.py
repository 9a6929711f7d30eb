"""Server-side sessions: the cookie carries a random token, the database its hash.

A session row says who is logged in, which account is current, and who is
impersonating (if anyone). The token is replaced (rotated) on login and whenever
the session's privileges change, so a token seen before that is worthless after.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from panel.core.auth.tables import Session, User

COOKIE_NAME = "panel_session"
TOUCH_EVERY = timedelta(minutes=5)


def token_hash(token: str) -> str:
    """The stored form of a session or API token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh unguessable token."""
    return secrets.token_urlsafe(32)


@dataclass
class CurrentSession:
    """The session behind a request, with its user."""

    id: int
    user_id: int
    email: str
    name: str
    account_id: int | None
    impersonator_id: int | None
    expires_at: datetime
    last_seen_at: datetime
    data: dict[str, Any] = field(default_factory=dict)


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


async def load(token: str, days: int) -> CurrentSession | None:
    """The live session for a token, or None if unknown, expired or the user is disabled."""
    row = await (
        Session.select(
            Session.id,
            Session.account_id,
            Session.impersonator_id,
            Session.expires_at,
            Session.last_seen_at,
            Session.user.id,
            Session.user.email,
            Session.user.name,
            Session.user.is_active,
        )
        .where(Session.token_hash == token_hash(token))
        .first()
    )
    if row is None:
        return None
    now = datetime.now(UTC)
    if row["expires_at"] <= now or not row["user.is_active"]:
        await Session.delete().where(Session.id == row["id"])
        return None
    current = CurrentSession(
        id=row["id"],
        user_id=row["user.id"],
        email=row["user.email"],
        name=row["user.name"],
        account_id=row["account_id"],
        impersonator_id=row["impersonator_id"],
        expires_at=row["expires_at"],
        last_seen_at=row["last_seen_at"],
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
    """End every session whose current account is this one (account suspended)."""
    rows = await Session.delete().where(Session.account_id == account_id).returning(Session.id)
    return len(rows)


async def user_is_active(user_id: int) -> bool:
    """Whether the user may log in at all."""
    row = await User.select(User.is_active).where(User.id == user_id).first()
    return bool(row and row["is_active"])
