"""API tokens: shown once at creation, stored only as a hash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from panel.core.auth import sessions
from panel.core.auth.tables import ApiToken
from panel.errors import NotFound, ValidationFailed


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed (never the secret itself)."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


async def create_token(user_id: int, name: str) -> tuple[int, str]:
    """Create a token for a user; returns its id and the secret (shown once)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed({"name": "Name the token (up to 100 characters)."})
    secret = "hp_" + sessions.new_token()
    row = await ApiToken.insert(
        ApiToken(user=user_id, name=name, prefix=secret[:10], token_hash=sessions.token_hash(secret))
    ).returning(ApiToken.id)
    return int(row[0]["id"]), secret


async def list_tokens(user_id: int) -> list[TokenInfo]:
    """The user's tokens, newest first."""
    rows = (
        await ApiToken.select(ApiToken.id, ApiToken.name, ApiToken.prefix, ApiToken.created_at, ApiToken.last_used_at)
        .where(ApiToken.user == user_id)
        .order_by(ApiToken.id, ascending=False)
    )
    return [TokenInfo(**r) for r in rows]


async def revoke_token(user_id: int, token_id: int) -> None:
    """Delete one of the user's own tokens."""
    rows = await ApiToken.delete().where((ApiToken.id == token_id) & (ApiToken.user == user_id)).returning(ApiToken.id)
    if not rows:
        raise NotFound("No such token.")
