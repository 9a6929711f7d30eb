"""The dummy plugin's business rules: no HTTP here, routes and hooks call these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dummy_plugin.tables import DummyNote
from panel.core import db
from panel.errors import ValidationFailed

COLORS = frozenset({"blue", "green"})


def check_color(value: str) -> None:
    """Validate the `color` setting (raises ValueError, as `Setting.validate` expects)."""
    if value not in COLORS:
        raise ValueError(f"must be one of {', '.join(sorted(COLORS))}")


@dataclass(frozen=True)
class Note:
    """A note as pages and the API show it."""

    id: int
    body: str
    created_at: datetime


async def list_notes(account_id: int) -> list[Note]:
    """The account's notes, newest first."""
    rows = await (
        DummyNote.select(DummyNote.id, DummyNote.body, DummyNote.created_at)
        .where(DummyNote.account_id == account_id)
        .order_by(DummyNote.id, ascending=False)
    )
    return [Note(r["id"], r["body"], r["created_at"]) for r in rows]


async def count_notes(account_id: int | None = None) -> int:
    """How many notes one account (or, with None, the whole platform) has."""
    query = DummyNote.count()
    if account_id is not None:
        query = query.where(DummyNote.account_id == account_id)
    return int(await query)


async def add_note(account_id: int, body: str) -> int:
    """Store a note for the account; returns its id."""
    body = body.strip()
    if not body:
        raise ValidationFailed({"body": "Write something first."})
    if len(body) > 200:
        raise ValidationFailed({"body": "Keep it under 200 characters."})
    async with db.write_transaction():
        rows = await DummyNote.insert(DummyNote(account_id=account_id, body=body)).returning(DummyNote.id)
    return int(rows[0]["id"])
