"""Members of an account and their permissions: every rule lives here, none in routes.

A membership is a `panel_membership` row plus rules-engine grants in the account:
`role:member` for every member, `role:owner` for the owner, and one `perm:<name>`
per permission ticked. The owner holds every permission through `role:owner`, so
an owner never has `perm:*` grants of their own.

Who may call these is decided by the routes' guard; the rules here are the ones the
rules engine cannot express: nobody changes the owner's permissions or their own, a
member managing users gives or takes away only permissions they hold themselves,
the owner neither leaves nor is removed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from panel.core import db
from panel.core.accounts.services import dom
from panel.core.accounts.tables import Account, Membership
from panel.core.audit.services import AuditContext, record
from panel.core.auth.tables import Session
from panel.core.authz import Authorizer
from panel.core.members.tables import OwnershipOffer, Status
from panel.errors import Forbidden, NotFound, PanelError, ValidationFailed
from panel.plugin import Permission

ADMIN = "all"
"""The permission that makes a member an admin of the account ("Everything")."""

ADMIN_FIELD = "permissions.all"
"""Where a refused admin change is reported: beside the Everything box, and under this key in the API."""

ADMIN_REFUSED = "You may not make members admins (Everything) or take that away in this account."


@dataclass(frozen=True)
class Member:
    """A member as the members page and the API show them."""

    user_id: int
    email: str
    name: str
    is_owner: bool
    permissions: list[str]
    joined_at: datetime
    image: str = ""  # the stored profile image's name, "" when none


# -- permissions -----------------------------------------------------------------------


def permission_names(catalog: Sequence[Permission]) -> list[str]:
    """The names of the registered permissions, in display order."""
    return [p.name for p in catalog]


def labels(catalog: Sequence[Permission], names: Iterable[str]) -> list[str]:
    """The labels of permission names, in catalog order (unknown names last, as they are)."""
    wanted = set(names)
    out = [p.label for p in catalog if p.name in wanted]
    known = {p.name for p in catalog}
    return out + sorted(n for n in wanted if n not in known)


def clean_permissions(catalog: Sequence[Permission], names: Iterable[str], field: str = "permissions") -> list[str]:
    """Registered permission names, deduplicated, in catalog order; unknown ones are a field error."""
    wanted = {n.strip() for n in names if n.strip()}
    known = permission_names(catalog)
    unknown = sorted(wanted - set(known))
    if unknown:
        raise ValidationFailed({field: f"Unknown permission: {', '.join(unknown)}."})
    return [n for n in known if n in wanted]


def granted_permissions(authz: Authorizer, user_id: int, account_id: int) -> list[str]:
    """The `perm:*` names a user holds in an account (empty for an owner)."""
    grants = authz.grants_for(f"user:{user_id}", dom(account_id))
    return sorted(g[2].removeprefix("perm:") for g in grants if g[2].startswith("perm:"))


def is_owner(authz: Authorizer, user_id: int, account_id: int) -> bool:
    """Whether the user holds `role:owner` in the account."""
    d = dom(account_id)
    return ("g", f"user:{user_id}", "role:owner", d) in authz.grants_for(f"user:{user_id}", d)


def grantable(
    authz: Authorizer, actor_id: int, account_id: int, catalog: Sequence[Permission], partner_org: str = ""
) -> set[str]:
    """The permissions `actor_id` may give to or take from others in the account.

    The owner, a member holding `all`, platform admins and a partner managing the
    account (`partner_org`, the partner account `acct:<id>` holding the delegate role
    there) may give any; anyone else only the ones they hold themselves.
    """
    grants = authz.grants_for(f"user:{actor_id}", dom(account_id))
    roles = {g[2] for g in grants}
    if partner_org:
        roles |= {g[2] for g in authz.grants_for(partner_org, dom(account_id))}
    everything = bool({"role:owner", "perm:all", "staff:admin", "role:partner_delegate"} & roles)
    held = {r.removeprefix("perm:") for r in roles if r.startswith("perm:")}
    names = set(permission_names(catalog))
    return names if everything else held & names


def check_grantable(
    authz: Authorizer,
    actor_id: int,
    account_id: int,
    catalog: Sequence[Permission],
    changed: Iterable[str],
    partner: int | None = None,
) -> None:
    """Refuse a change touching permissions the actor (acting for `partner`, if any) may not give or take away."""
    org = f"acct:{partner}" if partner else ""
    refused = set(changed) - grantable(authz, actor_id, account_id, catalog, org)
    if refused:
        raise Forbidden(
            "You can only give or take away permissions you hold yourself: " + ", ".join(labels(catalog, refused)) + "."
        )


# -- reading -----------------------------------------------------------------------------


async def list_members(authz: Authorizer, account_id: int) -> list[Member]:
    """Every member of the account, the owner first (one query; permissions from memory)."""
    rows = await (
        Membership.select(
            Membership.user.id,
            Membership.user.email,
            Membership.user.name,
            Membership.user.image,
            Membership.created_at,
            Membership.account.owner,
        )
        .where(Membership.account == account_id)
        .order_by(Membership.user.name)
        .order_by(Membership.user.email)
    )
    perms: dict[str, list[str]] = {}
    for grant in authz.grants_in(dom(account_id)):
        if grant[0] == "g" and grant[2].startswith("perm:"):
            perms.setdefault(grant[1], []).append(grant[2].removeprefix("perm:"))
    members = [
        Member(
            user_id=r["user.id"],
            email=r["user.email"],
            name=r["user.name"],
            is_owner=r["account.owner"] == r["user.id"],
            permissions=[] if r["account.owner"] == r["user.id"] else sorted(perms.get(f"user:{r['user.id']}", [])),
            joined_at=r["created_at"],
            image=r["user.image"] or "",
        )
        for r in rows
    ]
    return sorted(members, key=lambda m: not m.is_owner)


async def get_member(authz: Authorizer, account_id: int, user_id: int) -> Member:
    """One member of the account, or NotFound (also for users of other accounts)."""
    row = await (
        Membership.select(
            Membership.user.id,
            Membership.user.email,
            Membership.user.name,
            Membership.user.image,
            Membership.created_at,
            Membership.account.owner,
        )
        .where((Membership.account == account_id) & (Membership.user == user_id))
        .first()
    )
    if row is None:
        raise NotFound("There is no such member in this account.")
    owner = row["account.owner"] == user_id
    return Member(
        user_id=user_id,
        email=row["user.email"],
        name=row["user.name"],
        is_owner=owner,
        permissions=[] if owner else granted_permissions(authz, user_id, account_id),
        joined_at=row["created_at"],
        image=row["user.image"] or "",
    )


async def owner_of(account_id: int) -> int:
    """The owner's user id, or NotFound."""
    row = await Account.select(Account.owner).where(Account.id == account_id).first()
    if row is None:
        raise NotFound("No such account.")
    return int(row["owner"])


# -- changing ----------------------------------------------------------------------------


async def set_grants(authz: Authorizer, account_id: int, user_id: int, permissions: Iterable[str]) -> None:
    """Make the user's `perm:*` grants in the account exactly `permissions` (caller's transaction)."""
    wanted = set(permissions)
    current = set(granted_permissions(authz, user_id, account_id))
    for name in sorted(current - wanted):
        await authz.remove_grant("g", f"user:{user_id}", f"perm:{name}", dom(account_id))
    for name in sorted(wanted - current):
        await authz.add_grant("g", f"user:{user_id}", f"perm:{name}", dom(account_id))


async def update_permissions(
    authz: Authorizer,
    account_id: int,
    user_id: int,
    permissions: Iterable[str],
    *,
    catalog: Sequence[Permission],
    by: AuditContext,
    may_set_admin: bool,
) -> Member:
    """Replace a member's permissions; returns the member as they now are.

    Refused (403) for the owner's row, for the actor's own row, when the change
    gives or takes away a permission the actor does not hold, and when it gives or
    takes away `all` (making the member an admin, or no longer one) while
    `may_set_admin` is False: the caller asks the rules engine for `user:<id>`
    `set_role_admin` in the account. Nothing is saved when refused.
    """
    wanted = clean_permissions(catalog, permissions)
    member = await get_member(authz, account_id, user_id)
    if member.is_owner:
        raise Forbidden("The owner has every permission. Transfer ownership to change that.")
    actor = by["actor"]
    if actor == user_id:
        raise Forbidden("You cannot change your own permissions.")
    before = set(member.permissions)
    changed = before ^ set(wanted)
    if actor is not None:
        check_grantable(authz, actor, account_id, catalog, changed, by.get("partner"))
    if ADMIN in changed and not may_set_admin:
        raise Forbidden(ADMIN_REFUSED, field=ADMIN_FIELD)
    if not changed:
        return member
    async with authz.atomic(), db.write_transaction():
        await set_grants(authz, account_id, user_id, wanted)
        await record(
            "member.permissions.update",
            account_id=account_id,
            target=f"user:{user_id}",
            summary=f"Changed the permissions of {member.email} to {', '.join(labels(catalog, wanted)) or 'none'}.",
            details={"permissions": {"before": sorted(before), "after": sorted(wanted)}},
            **by,
        )
    return await get_member(authz, account_id, user_id)


async def _drop_membership(authz: Authorizer, account_id: int, user_id: int) -> None:
    """Grants, membership row and any ownership offer to the user (caller's transaction)."""
    await authz.remove_grants("g", 0, f"user:{user_id}", "", dom(account_id))
    await Membership.delete().where((Membership.account == account_id) & (Membership.user == user_id))
    await OwnershipOffer.update({OwnershipOffer.status: Status.CANCELLED, OwnershipOffer.closed_at: _now()}).where(
        (OwnershipOffer.account == account_id)
        & (OwnershipOffer.to_user == user_id)
        & (OwnershipOffer.status == Status.PENDING)
    )
    from panel.core.contacts.sync import services as contact_sync

    await contact_sync.member_changed(account_id)  # contact sync: their synced contact goes with them


def _now() -> datetime:
    return datetime.now(UTC)


async def remove_member(authz: Authorizer, account_id: int, user_id: int, *, by: AuditContext) -> int:
    """Take a user out of the account: grants, membership, and their sessions in it.

    Returns how many of the user's sessions working in that account were ended (their
    next request there finds them logged out). The owner cannot be removed, and one
    leaves rather than removes oneself.
    """
    member = await get_member(authz, account_id, user_id)
    if member.is_owner:
        raise Forbidden("The owner cannot be removed. Transfer ownership first.")
    if by["actor"] == user_id:
        raise PanelError("To leave the account, use Leave this account.")
    async with authz.atomic(), db.write_transaction():
        await _drop_membership(authz, account_id, user_id)
        ended = (
            await Session.delete()
            .where((Session.user == user_id) & (Session.account_id == account_id))
            .returning(Session.id)
        )
        await record(
            "member.remove",
            account_id=account_id,
            target=f"user:{user_id}",
            summary=f"Removed {member.email} from the account.",
            details={"permissions": {"before": member.permissions, "after": []}, "sessions_ended": len(ended)},
            **by,
        )
    return len(ended)


async def leave(authz: Authorizer, account_id: int, user_id: int, *, by: AuditContext) -> None:
    """A member leaves the account; their sessions stay logged in, without a current account.

    The owner cannot leave: they transfer ownership first.
    """
    member = await get_member(authz, account_id, user_id)
    if member.is_owner:
        raise Forbidden("The owner cannot leave the account. Transfer ownership first.")
    async with authz.atomic(), db.write_transaction():
        await _drop_membership(authz, account_id, user_id)
        await Session.update({Session.account_id: None}).where(
            (Session.user == user_id) & (Session.account_id == account_id)
        )
        await record(
            "member.leave",
            account_id=account_id,
            target=f"user:{user_id}",
            summary=f"{member.email} left the account.",
            details={"permissions": {"before": member.permissions, "after": []}},
            **by,
        )
