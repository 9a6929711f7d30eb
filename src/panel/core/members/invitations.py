"""Invitations: an email address is invited into an account with chosen permissions.

The email carries a single-use link (`panel.core.auth.links`, purpose `invitation`,
valid 7 days); only its hash is stored. Answering it is in `joining.py`.

Invitation emails never go into the account's email history: the link in them
would let any member allowed to read that history join as the invitee.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from panel.core import db
from panel.core.accounts.tables import Account, AccountStatus, Membership
from panel.core.audit.services import AuditContext, record
from panel.core.auth import links
from panel.core.auth import services as auth
from panel.core.auth.tables import User
from panel.core.authz import Authorizer
from panel.core.mail import services as mail
from panel.core.members.services import check_grantable, clean_permissions, labels
from panel.core.members.tables import Invitation, Status
from panel.errors import NotFound, PanelError, ValidationFailed
from panel.plugin import Permission

PURPOSE = "invitation"
TTL = timedelta(days=7)


class AlreadyInvited(ValidationFailed):
    """The email has a pending invitation to this account; offer to resend it."""

    def __init__(self, invitation_id: int, email: str) -> None:
        super().__init__({"email": f"{email} is already invited. You can send the invitation again."})
        self.invitation_id = invitation_id


@dataclass(frozen=True)
class PendingInvitation:
    """A pending invitation as the members page and the API list it."""

    id: int
    email: str
    permissions: list[str]
    invited_by: str
    created_at: datetime
    sent_at: datetime
    expires_at: datetime
    expired: bool


def now() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC)


def json_list(value: Any) -> list[str]:
    """A JSON list column's value (a string on some engines) as a list of strings."""
    data = json.loads(value) if isinstance(value, str) else value
    return [str(x) for x in (data or [])]


# -- inviting ------------------------------------------------------------------------------


async def active_account_name(account_id: int) -> str:
    """The account's name; NotFound, or refused when the account is not active."""
    row = await Account.select(Account.name, Account.status).where(Account.id == account_id).first()
    if row is None:
        raise NotFound("No such account.")
    if row["status"] != AccountStatus.ACTIVE:
        raise PanelError("This account is not active: nobody can join it now.")
    return str(row["name"])


async def inviter_name(user_id: int | None) -> str:
    """How the invitation names the user who sent it."""
    if user_id is None:
        return "The account's owner"
    row = await User.select(User.name, User.email).where(User.id == user_id).first()
    if row is None:
        return "The account's owner"
    return f"{row['name']} ({row['email']})" if row["name"] else str(row["email"])


async def _send(invitation_id: int, secret: str, catalog: Sequence[Permission]) -> None:
    """Queue the invitation email for the link `secret` (caller's transaction)."""
    row = await (
        Invitation.select(Invitation.email, Invitation.permissions, Invitation.invited_by, Invitation.account.name)
        .where(Invitation.id == invitation_id)
        .first()
    )
    assert row is not None  # inserted by the caller's transaction
    await mail.send(
        "invitation",
        row["email"],
        {
            "account_name": row["account.name"],
            "inviter": await inviter_name(row["invited_by"]),
            "permissions": labels(catalog, json_list(row["permissions"])),
            "email": row["email"],
            "path": f"/invitations/{secret}",
            "days": TTL.days,
        },
    )


async def invite(
    authz: Authorizer,
    account_id: int,
    email: str,
    permissions: Iterable[str],
    *,
    catalog: Sequence[Permission],
    by: AuditContext,
) -> int:
    """Invite an email address into the account; returns the invitation's id.

    Field errors (422): a malformed email, an email that is already a member, an
    unknown permission; `AlreadyInvited` when an invitation to that email is pending.
    Refused (403) when it would give a permission the inviter does not hold.
    """
    email = auth.normalise_email(email)
    if problem := auth.validate_email(email):
        raise ValidationFailed({"email": problem})
    wanted = clean_permissions(catalog, permissions)
    if by["actor"] is not None:
        check_grantable(authz, by["actor"], account_id, catalog, wanted, by.get("partner"))
    await active_account_name(account_id)
    async with db.write_transaction():  # checks inside: on SQLite two invitations queue up here
        if await Membership.exists().where((Membership.account == account_id) & (Membership.user.email == email)):
            raise ValidationFailed({"email": f"{email} is already a member of this account."})
        pending = (
            await Invitation.select(Invitation.id)
            .where(
                (Invitation.account == account_id) & (Invitation.email == email) & (Invitation.status == Status.PENDING)
            )
            .first()
        )
        if pending is not None:
            raise AlreadyInvited(int(pending["id"]), email)
        moment = now()
        rows = await Invitation.insert(
            Invitation(
                account=account_id,
                email=email,
                permissions=json.dumps(wanted),
                invited_by=by["actor"],
                created_at=moment,
                sent_at=moment,
            )
        ).returning(Invitation.id)
        invitation_id = int(rows[0]["id"])
        token_id, secret = await links.issue(
            PURPOSE, TTL, account_id=account_id, email=email, payload={"invitation_id": invitation_id}
        )
        await Invitation.update({Invitation.token_id: token_id}).where(Invitation.id == invitation_id)
        await _send(invitation_id, secret, catalog)
        await record(
            "invitation.create",
            account_id=account_id,
            target=f"invitation:{invitation_id}",
            summary=f"Invited {email} with {', '.join(labels(catalog, wanted)) or 'no extra'} permissions.",
            details={"email": email, "permissions": {"after": wanted}},
            **by,
        )
    return invitation_id


async def _pending_row(account_id: int, invitation_id: int) -> dict[str, Any]:
    row = await Invitation.select().where((Invitation.id == invitation_id) & (Invitation.account == account_id)).first()
    if row is None:
        raise NotFound("There is no such invitation in this account.")
    if row["status"] != Status.PENDING:
        raise PanelError(f"This invitation was already {row['status']}.")
    return row


async def resend(account_id: int, invitation_id: int, *, catalog: Sequence[Permission], by: AuditContext) -> None:
    """Send a pending invitation again with a new link; the old link stops working."""
    row = await _pending_row(account_id, invitation_id)
    async with db.write_transaction():
        if row["token_id"] is not None:
            await links.cancel(row["token_id"])
        token_id, secret = await links.issue(
            PURPOSE, TTL, account_id=account_id, email=row["email"], payload={"invitation_id": invitation_id}
        )
        await Invitation.update({Invitation.token_id: token_id, Invitation.sent_at: now()}).where(
            Invitation.id == invitation_id
        )
        await _send(invitation_id, secret, catalog)
        await record(
            "invitation.resend",
            account_id=account_id,
            target=f"invitation:{invitation_id}",
            summary=f"Sent the invitation to {row['email']} again.",
            details={"email": row["email"]},
            **by,
        )


async def cancel(account_id: int, invitation_id: int, *, by: AuditContext) -> None:
    """Withdraw a pending invitation; its link stops working."""
    row = await _pending_row(account_id, invitation_id)
    async with db.write_transaction():
        await Invitation.update({Invitation.status: Status.CANCELLED, Invitation.closed_at: now()}).where(
            Invitation.id == invitation_id
        )
        if row["token_id"] is not None:
            await links.cancel(row["token_id"])
        await record(
            "invitation.cancel",
            account_id=account_id,
            target=f"invitation:{invitation_id}",
            summary=f"Cancelled the invitation to {row['email']}.",
            details={"email": row["email"], "status": {"before": Status.PENDING, "after": Status.CANCELLED}},
            **by,
        )


async def list_pending(account_id: int) -> list[PendingInvitation]:
    """The account's pending invitations, newest first (one query)."""
    rows = await (
        Invitation.select(
            Invitation.id,
            Invitation.email,
            Invitation.permissions,
            Invitation.created_at,
            Invitation.sent_at,
            Invitation.invited_by.name,
            Invitation.invited_by.email,
        )
        .where((Invitation.account == account_id) & (Invitation.status == Status.PENDING))
        .order_by(Invitation.created_at, ascending=False)
    )
    moment = now()
    return [
        PendingInvitation(
            id=r["id"],
            email=r["email"],
            permissions=json_list(r["permissions"]),
            invited_by=r["invited_by.name"] or r["invited_by.email"] or "",
            created_at=r["created_at"],
            sent_at=r["sent_at"],
            expires_at=r["sent_at"] + TTL,
            expired=r["sent_at"] + TTL <= moment,
        )
        for r in rows
    ]
