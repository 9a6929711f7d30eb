"""Single-use tokens for emailed links: invitations, password resets, email changes.

The link carries 256 random bits; the database keeps only their SHA-256, the purpose,
the expiry and whether the token was used. `consume` marks it used in the same
statement that checks it, so two clicks (or two servers) cannot both use one link.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from panel.core.auth.sessions import new_token, token_hash
from panel.core.auth.tables import ActionToken
from panel.errors import PanelError


class LinkInvalid(PanelError):
    """The link is unknown, expired, already used or cancelled; the message says which."""

    status_code = 410


@dataclass(frozen=True)
class Link:
    """A token that was valid when it was read."""

    id: int
    purpose: str
    user_id: int | None
    account_id: int | None
    email: str
    payload: dict[str, Any]
    expires_at: datetime


async def issue(
    purpose: str,
    ttl: timedelta,
    *,
    user_id: int | None = None,
    account_id: int | None = None,
    email: str = "",
    payload: Mapping[str, Any] | None = None,
) -> tuple[int, str]:
    """Create a token; returns its id and the secret to put in the link (never stored)."""
    secret = new_token()
    now = datetime.now(UTC)
    rows = await ActionToken.insert(
        ActionToken(
            purpose=purpose,
            token_hash=token_hash(secret),
            user_id=user_id,
            account_id=account_id,
            email=email,
            payload=json.dumps(dict(payload or {})),
            created_at=now,
            expires_at=now + ttl,
        )
    ).returning(ActionToken.id)
    return int(rows[0]["id"]), secret


def _as_link(row: Mapping[str, Any]) -> Link:
    payload = row["payload"]
    return Link(
        id=row["id"],
        purpose=row["purpose"],
        user_id=row["user_id"],
        account_id=row["account_id"],
        email=row["email"],
        payload=json.loads(payload) if isinstance(payload, str) else dict(payload or {}),
        expires_at=row["expires_at"],
    )


async def peek(purpose: str, secret: str) -> Link:
    """The token behind a link, without using it (to show what accepting would do)."""
    row = (
        await ActionToken.select()
        .where((ActionToken.token_hash == token_hash(secret)) & (ActionToken.purpose == purpose))
        .first()
    )
    if row is None:
        raise LinkInvalid("This link is not valid. Ask for a new one.")
    if row["used_at"] is not None:
        raise LinkInvalid("This link was already used. Ask for a new one.")
    if row["expires_at"] <= datetime.now(UTC):
        raise LinkInvalid("This link has expired. Ask for a new one.")
    return _as_link(row)


async def consume(purpose: str, secret: str) -> Link:
    """Use a token once: raises `LinkInvalid` if it is unknown, expired or used."""
    link = await peek(purpose, secret)
    now = datetime.now(UTC)
    won = (
        await ActionToken.update({ActionToken.used_at: now})
        .where((ActionToken.id == link.id) & ActionToken.used_at.is_null() & (ActionToken.expires_at > now))
        .returning(ActionToken.id)
    )
    if not won:
        raise LinkInvalid("This link was already used. Ask for a new one.")
    return link


async def cancel(token_id: int) -> None:
    """Make a token unusable (an invitation withdrawn, a newer reset link sent)."""
    await ActionToken.update({ActionToken.used_at: datetime.now(UTC)}).where(
        (ActionToken.id == token_id) & ActionToken.used_at.is_null()
    )


async def cancel_all(purpose: str, *, user_id: int | None = None, email: str = "") -> None:
    """Cancel every open token of a purpose for a user or email (one live reset link)."""
    where = (ActionToken.purpose == purpose) & ActionToken.used_at.is_null()
    if user_id is not None:
        where &= ActionToken.user_id == user_id
    if email:
        where &= ActionToken.email == email
    await ActionToken.update({ActionToken.used_at: datetime.now(UTC)}).where(where)
