"""Ownership of an account: offered by the owner and accepted by a member, or set by staff.

On a transfer `Account.owner` changes, the new owner holds `role:owner` (and
`role:member`, and no `perm:*`: the owner has everything), and the old owner stays a
member with the permissions the new owner leaves them. Unless told otherwise that
is every core permission except `all` (so nothing a plugin registers, and nothing
added later); the new owner can change it on the members page afterwards.
Every step is audited.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.query import Select

from panel.core import db
from panel.core.accounts.services import dom
from panel.core.accounts.tables import Account, AccountStatus, Membership
from panel.core.audit.services import AuditContext, record
from panel.core.auth.tables import User
from panel.core.authz import Authorizer
from panel.core.builtin import CORE_PERMISSIONS
from panel.core.mail import services as mail
from panel.core.members.services import clean_permissions, labels, set_grants
from panel.core.members.tables import OwnershipOffer, Status
from panel.errors import NotFound, PanelError, ValidationFailed
from panel.plugin import Permission

OFFER_TTL = timedelta(days=7)


@dataclass(frozen=True)
class Offer:
    """A pending offer of an account's ownership."""

    id: int
    account_id: int
    account_name: str
    from_user_id: int
    from_email: str
    to_user_id: int
    to_email: str
    to_name: str
    created_at: datetime
    expires_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def default_kept(catalog: Sequence[Permission]) -> list[str]:
    """What the old owner keeps unless the new owner decides otherwise."""
    core = {p.name for p in CORE_PERMISSIONS} - {"all"}
    return [p.name for p in catalog if p.name in core]


# -- offers ------------------------------------------------------------------------------


def _offer_query() -> Select[Any]:
    return OwnershipOffer.select(
        OwnershipOffer.id,
        OwnershipOffer.account.id,
        OwnershipOffer.account.name,
        OwnershipOffer.from_user.id,
        OwnershipOffer.from_user.email,
        OwnershipOffer.to_user.id,
        OwnershipOffer.to_user.email,
        OwnershipOffer.to_user.name,
        OwnershipOffer.created_at,
        OwnershipOffer.expires_at,
    )


def _as_offer(r: Mapping[str, Any]) -> Offer:
    return Offer(
        id=r["id"],
        account_id=r["account.id"],
        account_name=r["account.name"],
        from_user_id=r["from_user.id"],
        from_email=r["from_user.email"],
        to_user_id=r["to_user.id"],
        to_email=r["to_user.email"],
        to_name=r["to_user.name"],
        created_at=r["created_at"],
        expires_at=r["expires_at"],
    )


async def pending_offer(account_id: int) -> Offer | None:
    """The account's live offer (pending, not expired), if any."""
    row = await (
        _offer_query()
        .where(
            (OwnershipOffer.account == account_id)
            & (OwnershipOffer.status == Status.PENDING)
            & (OwnershipOffer.expires_at > _now())
        )
        .first()
    )
    return _as_offer(row) if row else None


OPEN_OFFER_TO_SQL = (
    'SELECT o.id, a.id AS "account.id", a.name AS "account.name", f.id AS "from_user.id", '  # noqa: S608
    'f.email AS "from_user.email", t.id AS "to_user.id", t.email AS "to_user.email", t.name AS "to_user.name", '
    f"o.created_at, o.expires_at FROM {OwnershipOffer._meta.tablename} o "
    f"JOIN {Account._meta.tablename} a ON a.id = o.account "
    f"JOIN {User._meta.tablename} f ON f.id = o.from_user JOIN {User._meta.tablename} t ON t.id = o.to_user "
    "WHERE o.account = {} AND o.to_user = {} AND o.status = {} AND o.expires_at > {} LIMIT 1"
)


async def open_offer_to(user_id: int, account_id: int) -> Offer | None:
    """The live offer of the account made to `user_id`, if any (one hand-written statement: the home page asks)."""
    rows = await db.fetch(OPEN_OFFER_TO_SQL, account_id, user_id, Status.PENDING, _now())
    return _as_offer(rows[0]) if rows else None


async def offer_to(user_id: int, account_id: int) -> Offer:
    """The live offer of the account made to `user_id`; NotFound if there is none for them."""
    offer = await open_offer_to(user_id, account_id)
    if offer is None:
        raise NotFound("There is no open ownership offer for you in this account. It may be withdrawn or expired.")
    return offer


async def _close_pending(account_id: int, status: str, keep: int | None = None) -> None:
    where = (OwnershipOffer.account == account_id) & (OwnershipOffer.status == Status.PENDING)
    if keep is not None:
        where &= OwnershipOffer.id != keep
    await OwnershipOffer.update({OwnershipOffer.status: status, OwnershipOffer.closed_at: _now()}).where(where)


async def make_offer(account_id: int, to_user_id: int, *, by: AuditContext) -> int:
    """The owner offers the account to another member; returns the offer's id.

    A previous pending offer is cancelled. The member is told by email and sees the
    offer on the home page, the members page and at `/accounts/{account_id}/ownership`.
    """
    account = await Account.select(Account.name, Account.owner, Account.status).where(Account.id == account_id).first()
    if account is None:
        raise NotFound("No such account.")
    if account["status"] != AccountStatus.ACTIVE:
        raise PanelError("This account is not active: its ownership cannot be offered now.")
    if to_user_id == account["owner"]:
        raise ValidationFailed({"user_id": "That member already owns the account."})
    member = await (
        Membership.select(Membership.user.email, Membership.user.name)
        .where((Membership.account == account_id) & (Membership.user == to_user_id))
        .first()
    )
    if member is None:
        raise ValidationFailed({"user_id": "Choose a member of this account."})
    owner = await User.select(User.name, User.email).where(User.id == account["owner"]).first()
    async with db.write_transaction():
        await _close_pending(account_id, Status.CANCELLED)
        now = _now()
        rows = await OwnershipOffer.insert(
            OwnershipOffer(
                account=account_id,
                from_user=account["owner"],
                to_user=to_user_id,
                created_at=now,
                expires_at=now + OFFER_TTL,
            )
        ).returning(OwnershipOffer.id)
        offer_id = int(rows[0]["id"])
        await mail.send(
            "ownership_offer",
            member["user.email"],
            {
                "account_name": account["name"],
                "owner": f"{owner['name']} ({owner['email']})" if owner else "The owner",
                "path": f"/accounts/{account_id}/ownership",
                "days": OFFER_TTL.days,
            },
            account_id=account_id,
        )
        await record(
            "ownership.offer",
            account_id=account_id,
            target=f"user:{to_user_id}",
            summary=f"Offered the ownership of the account to {member['user.email']}.",
            details={"owner": {"before": f"user:{account['owner']}"}, "offered_to": f"user:{to_user_id}"},
            **by,
        )
    return offer_id


async def cancel_offer(account_id: int, *, by: AuditContext) -> None:
    """The owner withdraws the pending offer (NotFound if there is none)."""
    offer = await pending_offer(account_id)
    if offer is None:
        raise NotFound("There is no pending ownership offer in this account.")
    async with db.write_transaction():
        await _close_pending(account_id, Status.CANCELLED)
        await record(
            "ownership.offer.cancel",
            account_id=account_id,
            target=f"user:{offer.to_user_id}",
            summary=f"Withdrew the ownership offer to {offer.to_email}.",
            **by,
        )


async def decline_offer(user_id: int, account_id: int, *, by: AuditContext) -> Offer:
    """The member says no to the offer made to them."""
    offer = await offer_to(user_id, account_id)
    async with db.write_transaction():
        await OwnershipOffer.update({OwnershipOffer.status: Status.DECLINED, OwnershipOffer.closed_at: _now()}).where(
            OwnershipOffer.id == offer.id
        )
        await record(
            "ownership.offer.decline",
            account_id=offer.account_id,
            target=f"user:{user_id}",
            summary=f"{offer.to_email} declined the ownership of the account.",
            **by,
        )
    return offer


async def accept_offer(
    authz: Authorizer,
    user_id: int,
    account_id: int,
    *,
    keep: Iterable[str] | None = None,
    catalog: Sequence[Permission],
    by: AuditContext,
) -> Offer:
    """The member takes the ownership offered to them.

    `keep` is what the old owner keeps (default: `default_kept`). Refused if the
    account changed hands since the offer, or is not active.
    """
    offer = await offer_to(user_id, account_id)
    account = await Account.select(Account.owner, Account.status).where(Account.id == offer.account_id).first()
    if account is None or account["owner"] != offer.from_user_id:
        raise PanelError("The account changed hands since this offer was made.")
    if account["status"] != AccountStatus.ACTIVE:
        raise PanelError("This account is not active: its ownership cannot change now.")
    await transfer(authz, offer.account_id, user_id, keep=keep, catalog=catalog, by=by, offer_id=offer.id)
    return offer


# -- the transfer itself ------------------------------------------------------------------


async def transfer(
    authz: Authorizer,
    account_id: int,
    new_owner_id: int,
    *,
    keep: Iterable[str] | None = None,
    catalog: Sequence[Permission],
    by: AuditContext,
    offer_id: int | None = None,
) -> None:
    """Make `new_owner_id` the owner; the old owner keeps `keep` (default `default_kept`).

    Used by an accepted offer and by staff directly (`offer_id` None). The new owner
    becomes a member if they were not one. Every pending offer of the account closes.
    """
    kept = default_kept(catalog) if keep is None else clean_permissions(catalog, keep, field="keep")
    row = await Account.select(Account.owner).where(Account.id == account_id).first()
    if row is None:
        raise NotFound("No such account.")
    old = int(row["owner"])
    if old == new_owner_id:
        raise ValidationFailed({"user_id": "That user already owns the account."})
    user = await User.select(User.email, User.is_active).where(User.id == new_owner_id).first()
    if user is None or not user["is_active"]:
        raise ValidationFailed({"user_id": "Choose an active user."})
    old_email = await User.select(User.email).where(User.id == old).first()
    d = dom(account_id)
    async with authz.atomic(), db.write_transaction():
        if offer_id is not None:
            won = (
                await OwnershipOffer.update({OwnershipOffer.status: Status.ACCEPTED, OwnershipOffer.closed_at: _now()})
                .where((OwnershipOffer.id == offer_id) & (OwnershipOffer.status == Status.PENDING))
                .returning(OwnershipOffer.id)
            )
            if not won:
                raise PanelError("This offer was already answered or withdrawn.")
        await Account.update({Account.owner: new_owner_id}).where(Account.id == account_id)
        if not await Membership.exists().where((Membership.account == account_id) & (Membership.user == new_owner_id)):
            await Membership.insert(Membership(user=new_owner_id, account=account_id))
        await set_grants(authz, account_id, new_owner_id, [])
        await authz.add_grant("g", f"user:{new_owner_id}", "role:owner", d)
        await authz.add_grant("g", f"user:{new_owner_id}", "role:member", d)
        await authz.remove_grant("g", f"user:{old}", "role:owner", d)
        await authz.add_grant("g", f"user:{old}", "role:member", d)
        await set_grants(authz, account_id, old, kept)
        await _close_pending(account_id, Status.CANCELLED, keep=offer_id)
        old_label = old_email["email"] if old_email else f"user {old}"
        await record(
            "ownership.transfer",
            account_id=account_id,
            target=f"account:{account_id}",
            summary=(
                f"Ownership passed from {old_label} to {user['email']}"
                + (" (offer accepted)" if offer_id is not None else " (set by staff)")
                + f"; {old_label} keeps {', '.join(labels(catalog, kept)) or 'no extra'} permissions."
            ),
            details={
                "owner": {"before": f"user:{old}", "after": f"user:{new_owner_id}"},
                "kept_permissions": kept,
                "offer": offer_id,
            },
            **by,
        )
