"""A user's own login sessions: listing and ending them.

A session a staff member opened by impersonating the user belongs to the staff
member: it is not listed and cannot be ended one by one here (its address is the
staff member's). Ending "every other session" (and changing the password or the
email address) ends it too, since the user then wants nobody else logged in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from panel.core.auth import sessions as auth_sessions
from panel.core.auth.tables import Session

AGENT_MAX = 60

# First match wins: Edge and Opera also say Chrome, Chrome also says Safari.
_BROWSERS = (
    ("Edge", re.compile(r"\bEdg(?:e|A|iOS)?/")),
    ("Opera", re.compile(r"\b(?:OPR|Opera)/")),
    ("Firefox", re.compile(r"\b(?:Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(?:Chrome|CriOS)/")),
    ("Safari", re.compile(r"\bSafari/")),
    ("curl", re.compile(r"^curl/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"\bAndroid\b")),
    ("iOS", re.compile(r"\b(?:iPhone|iPad|iPod)\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("macOS", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("Linux", re.compile(r"\bLinux\b")),
)


def short_agent(user_agent: str) -> str:
    """A few words for a User-Agent header: "Firefox on Linux", else its start."""
    browser = next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), "")
    system = next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), "")
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or system
    text = " ".join(user_agent.split())
    if not text:
        return "Unknown browser"
    return text if len(text) <= AGENT_MAX else text[: AGENT_MAX - 1] + "…"


@dataclass(frozen=True)
class SessionInfo:
    """One live session of the user, as the list shows it."""

    id: int
    created_at: datetime
    last_seen_at: datetime
    ip: str
    user_agent: str
    browser: str
    current: bool


async def list_sessions(user_id: int, current_id: int | None) -> list[SessionInfo]:
    """The user's live sessions, this one first, then the most recently seen (one query)."""
    rows = (
        await Session.select(Session.id, Session.created_at, Session.last_seen_at, Session.ip, Session.user_agent)
        .where((Session.user == user_id) & Session.impersonator_id.is_null() & (Session.expires_at > datetime.now(UTC)))
        .order_by(Session.last_seen_at, ascending=False)
        .order_by(Session.id, ascending=False)
    )
    out = [
        SessionInfo(
            r["id"],
            r["created_at"],
            r["last_seen_at"],
            r["ip"],
            r["user_agent"],
            short_agent(r["user_agent"]),
            r["id"] == current_id,
        )
        for r in rows
    ]
    return sorted(out, key=lambda s: not s.current)


async def end_one(user_id: int, session_id: int) -> SessionInfo | None:
    """Delete one of the user's own sessions; None if there is no such session of theirs."""
    rows = (
        await Session.delete()
        .where((Session.id == session_id) & (Session.user == user_id) & Session.impersonator_id.is_null())
        .returning(Session.id, Session.created_at, Session.last_seen_at, Session.ip, Session.user_agent)
    )
    if not rows:
        return None
    r = rows[0]
    return SessionInfo(
        r["id"], r["created_at"], r["last_seen_at"], r["ip"], r["user_agent"], short_agent(r["user_agent"]), False
    )


async def end_others(user_id: int, keep: int | None) -> int:
    """Delete every session of the user except `keep` (None: all); returns how many."""
    query = Session.delete().where(Session.user == user_id)
    if keep is not None:
        query = query.where(Session.id != keep)
    return len(await query.returning(Session.id))


async def rotate(session_id: int) -> str:
    """A new token for a session that stays logged in (its old token stops working)."""
    return await auth_sessions.rotate(session_id)
