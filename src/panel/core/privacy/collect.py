"""What goes into a personal-data archive: one JSON file per kind of data, read straight from the tables.

`collect(user_id, account_id)` answers file name -> JSON-ready data. With an
`account_id` (an admin's export) every file holds only what belongs to that account:
the membership there, sessions working in it, its audit entries, its tickets and its
invitations. Without one (the user's own export) it holds everything about the user.

Left out on purpose: password and token hashes, session cookies' data, secrets of
emailed links, staff's internal ticket notes, and the client address of audit
entries someone else caused.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from panel.core.accounts.services import dom
from panel.core.accounts.tables import Membership
from panel.core.audit.tables import AuditEvent
from panel.core.auth.tables import Session, User
from panel.core.authz.tables import CasbinRule
from panel.core.members.tables import Invitation
from panel.core.support.tables import SupportMessage, SupportTicket
from panel.errors import NotFound

FILES = (
    "profile.json",
    "memberships.json",
    "sessions.json",
    "audit.json",
    "tickets.json",
    "ticket_replies.json",
    "invitations.json",
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _json_field(value: Any) -> Any:
    """A JSON column as data (SQLite hands back its text)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


async def _profile(user_id: int, account_id: int | None) -> dict[str, Any]:
    row = (
        await User.select(
            User.id,
            User.email,
            User.name,
            User.language,
            User.is_active,
            User.created_at,
            User.image,
            User.last_account_id,
        )
        .where(User.id == user_id)
        .first()
    )
    if row is None:
        raise NotFound("No such user.")
    out = {
        "id": row["id"],
        "email": row["email"],
        "name": row["name"],
        "language": row["language"],
        "active": row["is_active"],
        "created_at": row["created_at"],
        "has_profile_image": bool(row["image"]),
    }
    if account_id is None:
        out["last_account_id"] = row["last_account_id"]
    return out


async def _memberships(user_id: int, account_id: int | None) -> list[dict[str, Any]]:
    where: Any = Membership.user == user_id
    if account_id is not None:
        where &= Membership.account == account_id
    rows = await Membership.select(
        Membership.account.id, Membership.account.name, Membership.account.owner, Membership.created_at
    ).where(where)
    grants = await CasbinRule.select(CasbinRule.v1, CasbinRule.v2).where(
        (CasbinRule.ptype == "g") & (CasbinRule.v0 == f"user:{user_id}")
    )
    roles: dict[str, list[str]] = {}
    for grant in grants:
        roles.setdefault(grant["v2"], []).append(grant["v1"])
    return [
        {
            "account_id": r["account.id"],
            "account_name": r["account.name"],
            "is_owner": r["account.owner"] == user_id,
            "joined_at": r["created_at"],
            "permissions": sorted(
                role.removeprefix("perm:") for role in roles.get(dom(r["account.id"]), []) if role.startswith("perm:")
            ),
            "roles": sorted(roles.get(dom(r["account.id"]), [])),
        }
        for r in sorted(rows, key=lambda r: r["account.id"])
    ]


async def _sessions(user_id: int, account_id: int | None) -> list[dict[str, Any]]:
    where: Any = Session.user == user_id
    if account_id is not None:
        where &= Session.account_id == account_id
    rows = (
        await Session.select(
            Session.id,
            Session.account_id,
            Session.impersonator_id,
            Session.ip,
            Session.user_agent,
            Session.created_at,
            Session.last_seen_at,
            Session.expires_at,
        )
        .where(where)
        .order_by(Session.id)
    )
    return [
        {
            "id": r["id"],
            "account_id": r["account_id"],
            "staff_acting_as_you": r["impersonator_id"] is not None,
            "ip": r["ip"],
            "user_agent": r["user_agent"],
            "created_at": r["created_at"],
            "last_seen_at": r["last_seen_at"],
            "expires_at": r["expires_at"],
        }
        for r in rows
    ]


async def _audit(user_id: int, account_id: int | None) -> list[dict[str, Any]]:
    where: Any = (AuditEvent.actor_user_id == user_id) | (AuditEvent.target == f"user:{user_id}")
    if account_id is not None:
        where = where & (AuditEvent.account_id == account_id)
    rows = (
        await AuditEvent.select(
            AuditEvent.id,
            AuditEvent.at,
            AuditEvent.actor_user_id,
            AuditEvent.account_id,
            AuditEvent.action,
            AuditEvent.target,
            AuditEvent.summary,
            AuditEvent.details,
            AuditEvent.ip,
        )
        .where(where)
        .order_by(AuditEvent.id)
    )
    return [
        {
            "at": r["at"],
            "by_you": r["actor_user_id"] == user_id,
            "account_id": r["account_id"],
            "action": r["action"],
            "target": r["target"],
            "summary": r["summary"],
            "details": _json_field(r["details"]),
            "ip": r["ip"] if r["actor_user_id"] == user_id else "",
        }
        for r in rows
    ]


async def _tickets(user_id: int, account_id: int | None) -> list[dict[str, Any]]:
    where: Any = SupportTicket.opened_by == user_id
    if account_id is not None:
        where &= SupportTicket.account == account_id
    rows = (
        await SupportTicket.select(
            SupportTicket.number,
            SupportTicket.account,
            SupportTicket.subject,
            SupportTicket.status,
            SupportTicket.created_at,
            SupportTicket.closed_at,
        )
        .where(where)
        .order_by(SupportTicket.id)
    )
    return [
        {
            "number": r["number"],
            "account_id": r["account"],
            "subject": r["subject"],
            "status": r["status"],
            "opened_at": r["created_at"],
            "closed_at": r["closed_at"],
        }
        for r in rows
    ]


async def _replies(user_id: int, account_id: int | None) -> list[dict[str, Any]]:
    where: Any = (SupportMessage.author == user_id) & (SupportMessage.is_internal == False)  # noqa: E712 (SQL)
    if account_id is not None:
        where &= SupportMessage.ticket.account == account_id
    rows = (
        await SupportMessage.select(
            SupportMessage.ticket.number,
            SupportMessage.ticket.account,
            SupportMessage.body,
            SupportMessage.via,
            SupportMessage.created_at,
        )
        .where(where)
        .order_by(SupportMessage.id)
    )
    return [
        {
            "ticket": r["ticket.number"],
            "account_id": r["ticket.account"],
            "body": r["body"],
            "via": r["via"],
            "written_at": r["created_at"],
        }
        for r in rows
    ]


async def _invitations(user_id: int, email: str, account_id: int | None) -> list[dict[str, Any]]:
    where: Any = (Invitation.email == email) | (Invitation.invited_by == user_id) | (Invitation.accepted_by == user_id)
    if account_id is not None:
        where = where & (Invitation.account == account_id)
    rows = (
        await Invitation.select(
            Invitation.account,
            Invitation.email,
            Invitation.permissions,
            Invitation.invited_by,
            Invitation.status,
            Invitation.created_at,
            Invitation.sent_at,
            Invitation.accepted_at,
            Invitation.closed_at,
        )
        .where(where)
        .order_by(Invitation.id)
    )
    return [
        {
            "account_id": r["account"],
            "email": r["email"],
            "invited_by_you": r["invited_by"] == user_id,
            "permissions": _json_field(r["permissions"]),
            "status": r["status"],
            "created_at": r["created_at"],
            "sent_at": r["sent_at"],
            "accepted_at": r["accepted_at"],
            "closed_at": r["closed_at"],
        }
        for r in rows
    ]


async def collect(user_id: int, account_id: int | None) -> dict[str, Any]:
    """Every file of the archive, name -> data; `NotFound` when the user is gone."""
    profile = await _profile(user_id, account_id)
    return {
        "profile.json": profile,
        "memberships.json": await _memberships(user_id, account_id),
        "sessions.json": await _sessions(user_id, account_id),
        "audit.json": await _audit(user_id, account_id),
        "tickets.json": await _tickets(user_id, account_id),
        "ticket_replies.json": await _replies(user_id, account_id),
        "invitations.json": await _invitations(user_id, profile["email"], account_id),
    }


def to_zip(files: Mapping[str, Any], user_id: int, account_id: int | None) -> bytes:
    """The archive: each file as indented JSON, and `manifest.json` saying what it covers."""
    manifest = {
        "user_id": user_id,
        "scope": "account" if account_id is not None else "everything",
        "account_id": account_id,
        "generated_at": datetime.now(UTC),
        "files": sorted(files),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in {"manifest.json": manifest, **files}.items():
            archive.writestr(name, json.dumps(data, default=_plain, indent=2, ensure_ascii=False) + "\n")
    return buffer.getvalue()
