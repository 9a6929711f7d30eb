"""Answering an invitation: what its link offers, accept (as an existing or a new user), decline.

Accepting needs a user with the invited email: an existing one logs in, a new one is
created from the invitation page. Accepting adds the membership and its grants, uses
the link up and marks the invitation accepted in one transaction, so two clicks (or
two servers) cannot both join.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from panel.core import db
from panel.core.accounts.services import dom
from panel.core.accounts.tables import Account, Membership
from panel.core.audit.services import AuditContext, record
from panel.core.auth import links, passwords
from panel.core.auth import services as auth
from panel.core.auth.sessions import token_hash
from panel.core.auth.tables import ActionToken, User
from panel.core.authz import Authorizer
from panel.core.contacts.sync import services as contact_sync
from panel.core.members.invitations import PURPOSE, active_account_name, inviter_name, json_list, now
from panel.core.members.services import labels, permission_names
from panel.core.members.tables import Invitation, Status
from panel.errors import Forbidden, ValidationFailed
from panel.plugin import Permission


@dataclass(frozen=True)
class InvitationView:
    """What the invitation page shows before the invitee answers."""

    id: int
    account_id: int
    account_name: str
    email: str
    inviter: str
    permissions: list[str]
    permission_labels: list[str]
    expires_at: datetime
    user_exists: bool


def _acting_as(by: AuditContext, user_id: int) -> AuditContext:
    """`by` with the invitee as the actor (they may have had no session yet)."""
    return {"actor": user_id, "impersonator": by["impersonator"], "ip": by["ip"]}


async def _why_dead(secret: str, fallback: links.LinkInvalid) -> links.LinkInvalid:
    """A precise message for a link that no longer works (cancelled, replaced, answered)."""
    token = (
        await ActionToken.select(ActionToken.id, ActionToken.payload, ActionToken.used_at)
        .where((ActionToken.token_hash == token_hash(secret)) & (ActionToken.purpose == PURPOSE))
        .first()
    )
    if token is None or token["used_at"] is None:
        return fallback  # unknown or expired: the link module's message says so
    payload = token["payload"]
    data = json.loads(payload) if isinstance(payload, str) else dict(payload or {})
    row = (
        await Invitation.select(Invitation.status, Invitation.token_id)
        .where(Invitation.id == data.get("invitation_id"))
        .first()
    )
    if row is None:
        return fallback
    messages = {
        Status.ACCEPTED: "This invitation was already accepted.",
        Status.DECLINED: "This invitation was declined.",
        Status.CANCELLED: "This invitation was cancelled. Ask the account's owner for a new one.",
    }
    if row["status"] in messages:
        return links.LinkInvalid(messages[row["status"]])
    if row["token_id"] != token["id"]:
        return links.LinkInvalid("A newer invitation email replaced this link: use the link in the latest one.")
    return fallback


async def _live(secret: str) -> tuple[links.Link, dict[str, Any]]:
    """The link and its pending invitation, or `LinkInvalid` (410) saying why not."""
    try:
        link = await links.peek(PURPOSE, secret)
    except links.LinkInvalid as exc:
        raise await _why_dead(secret, exc) from None
    row = await Invitation.select().where(Invitation.id == link.payload.get("invitation_id")).first()
    if row is None or row["status"] != Status.PENDING or row["token_id"] != link.id:
        raise await _why_dead(secret, links.LinkInvalid("This link is not valid. Ask for a new one."))
    return link, row


async def view(secret: str, catalog: Sequence[Permission]) -> InvitationView:
    """What accepting the invitation behind `secret` would give; `LinkInvalid` if it is dead."""
    link, row = await _live(secret)
    account = await Account.select(Account.name).where(Account.id == row["account"]).first()
    perms = json_list(row["permissions"])
    return InvitationView(
        id=row["id"],
        account_id=row["account"],
        account_name=account["name"] if account else "",
        email=row["email"],
        inviter=await inviter_name(row["invited_by"]),
        permissions=perms,
        permission_labels=labels(catalog, perms),
        expires_at=link.expires_at,
        user_exists=await auth.user_id_by_email(row["email"]) is not None,
    )


async def _join(
    authz: Authorizer,
    secret: str,
    row: dict[str, Any],
    user_id: int,
    catalog: Sequence[Permission],
    by: AuditContext,
) -> None:
    """Membership, grants, link used and invitation accepted (caller's transaction)."""
    await links.consume(PURPOSE, secret)  # the one place two clicks race: one wins
    won = (
        await Invitation.update(
            {Invitation.status: Status.ACCEPTED, Invitation.accepted_at: now(), Invitation.accepted_by: user_id}
        )
        .where((Invitation.id == row["id"]) & (Invitation.status == Status.PENDING))
        .returning(Invitation.id)
    )
    if not won:
        raise links.LinkInvalid("This invitation was already answered.")
    account_id = int(row["account"])
    known = set(permission_names(catalog))
    perms = [p for p in json_list(row["permissions"]) if p in known]  # a plugin may have gone since
    if not await Membership.exists().where((Membership.account == account_id) & (Membership.user == user_id)):
        await Membership.insert(Membership(user=user_id, account=account_id))
    if await Account.exists().where((Account.id == account_id) & (Account.owner == user_id)):
        perms = []  # became the owner meanwhile: holds everything already, never perm:* grants
    await authz.add_grant("g", f"user:{user_id}", "role:member", dom(account_id))
    for name in perms:
        await authz.add_grant("g", f"user:{user_id}", f"perm:{name}", dom(account_id))
    await contact_sync.member_changed(account_id)  # contact sync: the new member's contact, if the account syncs
    await record(
        "invitation.accept",
        account_id=account_id,
        target=f"user:{user_id}",
        summary=f"{row['email']} accepted the invitation and joined the account.",
        details={"invitation": row["id"], "email": row["email"], "permissions": {"after": perms}},
        **_acting_as(by, user_id),
    )


async def accept(
    authz: Authorizer, secret: str, user_id: int, *, catalog: Sequence[Permission], by: AuditContext
) -> int:
    """The logged-in user `user_id` accepts; returns the account they joined.

    Refused (403) when the user's email is not the invited one; `LinkInvalid` (410)
    when the link is unknown, expired, used or cancelled. Nothing changes then.
    """
    _, row = await _live(secret)
    user = await User.select(User.email).where(User.id == user_id).first()
    if user is None or user["email"] != row["email"]:
        raise Forbidden(
            f"This invitation is for {row['email']}, and you are logged in as "
            f"{user['email'] if user else 'someone else'}. Log out and log in as {row['email']} to accept it."
        )
    await active_account_name(row["account"])
    async with authz.atomic(), db.write_transaction():
        await _join(authz, secret, row, user_id, catalog, by)
    return int(row["account"])


async def register_and_accept(
    authz: Authorizer,
    secret: str,
    name: str,
    password: str,
    *,
    catalog: Sequence[Permission],
    by: AuditContext,
) -> tuple[int, int]:
    """Create a user with the invited email and accept; returns (user id, account id).

    Field errors (422) for a missing name or a weak password; refused when a user
    with that email exists already (they log in instead).
    """
    _, row = await _live(secret)
    errors = {}
    if not name.strip():
        errors["name"] = "Enter your name."
    if problem := passwords.check_strength(password):
        errors["password"] = problem
    if errors:
        raise ValidationFailed(errors)
    if await auth.user_id_by_email(row["email"]) is not None:
        raise ValidationFailed({"form": f"A user with the email {row['email']} exists already: log in to accept."})
    await active_account_name(row["account"])
    async with authz.atomic(), db.write_transaction():
        user_id = await auth.create_user(row["email"], password, name.strip())
        await record(
            "user.create",
            account_id=int(row["account"]),
            target=f"user:{user_id}",
            summary=f"{row['email']} created their user to accept an invitation.",
            details={"email": row["email"]},
            **_acting_as(by, user_id),
        )
        await _join(authz, secret, row, user_id, catalog, by)
    return user_id, int(row["account"])


async def decline(secret: str, *, by: AuditContext) -> None:
    """The invitee says no: the invitation is closed and its link used up."""
    _, row = await _live(secret)
    async with db.write_transaction():
        await links.consume(PURPOSE, secret)
        await Invitation.update({Invitation.status: Status.DECLINED, Invitation.closed_at: now()}).where(
            Invitation.id == row["id"]
        )
        await record(
            "invitation.decline",
            account_id=int(row["account"]),
            target=f"invitation:{row['id']}",
            summary=f"{row['email']} declined the invitation.",
            details={"email": row["email"], "status": {"before": Status.PENDING, "after": Status.DECLINED}},
            **by,
        )
