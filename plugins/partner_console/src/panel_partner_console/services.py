"""Partnerships: who may manage which account, and every change to that (the plugin's business rules).

A partnership is a `PartnerLink` row plus three rules-engine grants the panel keeps in
step with it (policies/policy.csv, "Partners"):

    g, acct:P, role:partner_delegate, acct:C    while the link is active
    g3, acct:C, class:partner_managed           while the link is active
    g, acct:P, status:revoked, acct:C           after the child revoked it (a tombstone)

and `g, user:U, role:partner_admin, acct:P` for each user who acts for partner P. The
rules engine then decides every request a partner admin makes inside C; nothing here
re-implements the deny list. Revoking or ending a link also moves the partner's open
sessions in C back to P, so the next request cannot even read C's pages.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from panel.core import db
from panel.core.accounts import services as accounts
from panel.core.accounts.tables import Account, Membership
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.auth import links
from panel.core.auth import services as auth
from panel.core.auth.tables import Session, User
from panel.core.authz import Authorizer
from panel.core.authz.engine import AuthzRequest
from panel.core.catalog.tables import Product
from panel.core.mail import services as mail
from panel.core.profile.services import PASSWORD_RESET
from panel.core.services.tables import Service
from panel.errors import Forbidden, NotFound, ValidationFailed

from panel_partner_console.tables import LinkStatus, PartnerAccount, PartnerLink, PartnerReminder

DELEGATE = "role:partner_delegate"
ADMIN = "role:partner_admin"
MANAGED = "class:partner_managed"
REVOKED = "status:revoked"
REMIND_DAYS = (30, 7, 1)
NEW_OWNER_LINK_TTL = timedelta(days=7)
PAGE_SIZE = 50


def dom(account_id: int) -> str:
    """The rules-engine domain of an account."""
    return f"acct:{account_id}"


def _now() -> datetime:
    return datetime.now(UTC)


async def audit_both(action: str, accounts: Iterable[int | None], target: str, summary: str, by: AuditContext) -> None:
    """Record one event in each of the accounts (the partner's and the customer's logs both show it)."""
    for account in dict.fromkeys(a for a in accounts if a is not None):
        await record(action, account_id=account, target=target, summary=summary, **by)


# -- partner accounts ---------------------------------------------------------------------

_partners: tuple[float, frozenset[int]] | None = None
PARTNERS_FRESH_FOR = 5.0
"""Seconds the set of partner accounts read for the navigation stays in use."""


async def partner_accounts() -> frozenset[int]:
    """Every partner account's id, read at most every few seconds (the navigation asks on every page)."""
    global _partners
    now = time.monotonic()
    if _partners is None or now - _partners[0] > PARTNERS_FRESH_FOR:
        rows = await PartnerAccount.select(PartnerAccount.account)
        _partners = (now, frozenset(int(r["account"]) for r in rows))
    return _partners[1]


def forget_partners() -> None:
    """Read the partner accounts again at the next question (after a change, and in tests)."""
    global _partners
    _partners = None


async def is_partner(account_id: int) -> bool:
    """Whether the provider made this account a partner."""
    return bool(await PartnerAccount.exists().where(PartnerAccount.account == account_id))


async def require_partner(account_id: int) -> None:
    """`NotFound` unless the account is a partner."""
    if not await is_partner(account_id):
        raise NotFound("This account is not a partner account.")


async def enable_partner(authz: Authorizer, account_id: int, *, by: AuditContext) -> None:
    """Make an account a partner (staff); its owner becomes its first partner admin. Idempotent."""
    row = await Account.select(Account.name, Account.owner).where(Account.id == account_id).first()
    if row is None:
        raise NotFound("No such account.")
    async with authz.atomic(), db.write_transaction():
        if not await PartnerAccount.exists().where(PartnerAccount.account == account_id):
            await PartnerAccount.insert(PartnerAccount(account=account_id, enabled_by=by["actor"]))
            await record(
                "partner.enable",
                account_id=account_id,
                target=f"account:{account_id}",
                summary=f"{row['name']} became a partner account.",
                **by,
            )
        if row["owner"] is not None:
            await authz.add_grant("g", f"user:{row['owner']}", ADMIN, dom(account_id))
    forget_partners()


async def disable_partner(authz: Authorizer, account_id: int, *, by: AuditContext) -> int:
    """Stop an account being a partner (staff): its partnerships end and its partner admins lose the role.

    Returns how many active or pending partnerships ended.
    """
    await require_partner(account_id)
    live = await PartnerLink.select(PartnerLink.id).where(
        (PartnerLink.partner == account_id) & PartnerLink.status.is_in(list(LinkStatus.LIVE))
    )
    for link in live:
        await close(authz, int(link["id"]), LinkStatus.ENDED, by=by, reason="the provider ended the partner programme")
    async with authz.atomic(), db.write_transaction():
        for grant in authz.grants_in(dom(account_id)):
            if grant[0] == "g" and grant[2] == ADMIN:
                await authz.remove_grant(*grant)
        await PartnerAccount.delete().where(PartnerAccount.account == account_id)
        await record(
            "partner.disable",
            account_id=account_id,
            target=f"account:{account_id}",
            summary="The account is no longer a partner account.",
            **by,
        )
    forget_partners()
    return len(live)


@dataclass(frozen=True)
class PartnerAdmin:
    """A member of the partner account and whether they act for it in the children."""

    user_id: int
    name: str
    email: str
    is_admin: bool


async def partner_admins(authz: Authorizer, partner_id: int) -> list[PartnerAdmin]:
    """The partner account's members, each with whether they hold the partner-admin role (one query)."""
    rows = await Membership.select(Membership.user.id, Membership.user.name, Membership.user.email).where(
        Membership.account == partner_id
    )
    admins = {g[1] for g in authz.grants_in(dom(partner_id)) if g[0] == "g" and g[2] == ADMIN}
    out = [
        PartnerAdmin(int(r["user.id"]), r["user.name"], r["user.email"], f"user:{r['user.id']}" in admins) for r in rows
    ]
    return sorted(out, key=lambda a: (a.name.lower(), a.user_id))


async def set_partner_admin(authz: Authorizer, partner_id: int, user_id: int, on: bool, *, by: AuditContext) -> None:
    """Give a member of the partner account the partner-admin role, or take it away; audited."""
    await require_partner(partner_id)
    if not await Membership.exists().where((Membership.account == partner_id) & (Membership.user == user_id)):
        raise NotFound("No such member.")
    grant = ("g", f"user:{user_id}", ADMIN, dom(partner_id))
    async with authz.atomic(), db.write_transaction():
        changed = await (authz.add_grant(*grant) if on else authz.remove_grant(*grant))
        if changed:
            await record(
                "partner.admin.grant" if on else "partner.admin.revoke",
                account_id=partner_id,
                target=f"user:{user_id}",
                summary=("Made" if on else "No longer made") + f" user {user_id} a partner admin.",
                **by,
            )


# -- asking to manage an account ------------------------------------------------------------


def _end_date(ends_on: str | date | None) -> date | None:
    if ends_on in (None, ""):
        return None
    try:
        value = ends_on if isinstance(ends_on, date) else date.fromisoformat(str(ends_on))
    except ValueError:
        raise ValidationFailed({"ends_on": "Give the end date as YYYY-MM-DD."}) from None
    if value <= _now().date():
        raise ValidationFailed({"ends_on": "The end date must be in the future."})
    return value


async def _partner_name(partner_id: int) -> str:
    row = await Account.select(Account.name).where(Account.id == partner_id).first()
    return str(row["name"]) if row else f"account {partner_id}"


async def request_existing(
    partner_id: int, email: str, *, ends_on: str | date | None = None, note: str = "", by: AuditContext
) -> int:
    """Ask the owner of an existing customer account (by email) to let the partner manage it.

    The owner picks which of their accounts when approving, so the partner learns
    nothing about the customer's accounts before that. Returns the request's id.
    """
    await require_partner(partner_id)
    email = auth.normalise_email(email)
    if problem := auth.validate_email(email):
        raise ValidationFailed({"email": problem})
    end = _end_date(ends_on)
    if await PartnerLink.exists().where(
        (PartnerLink.partner == partner_id)
        & (PartnerLink.invite_email == email)
        & (PartnerLink.status == LinkStatus.PENDING)
    ):
        raise ValidationFailed({"email": f"A request to {email} is already waiting for an answer."})
    name = await _partner_name(partner_id)
    async with db.write_transaction():
        row = await PartnerLink.insert(
            PartnerLink(partner=partner_id, invite_email=email, ends_on=end, note=note[:300], created_by=by["actor"])
        ).returning(PartnerLink.id)
        link_id = int(row[0]["id"])
        await mail.send(
            "partner_console/request",
            email,
            {"partner": name, "note": note, "ends_on": end, "new_user_link": "", "child": ""},
        )
        await record(
            "partner.request",
            account_id=partner_id,
            target=f"partner_link:{link_id}",
            summary=f"Asked {email} to let {name} manage one of their accounts.",
            **by,
        )
    return link_id


async def create_child(
    authz: Authorizer,
    partner_id: int,
    name: str,
    owner_email: str,
    *,
    owner_name: str = "",
    ends_on: str | date | None = None,
    base_url: str = "",
    by: AuditContext,
) -> int:
    """Create a new account for a customer, owned by the customer, and ask its owner to approve the partner.

    A customer without a login gets one, with a link (valid a week) to choose a
    password. Nothing is managed until the owner approves. Returns the new account's id.
    """
    await require_partner(partner_id)
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Give the organization a name."
    email = auth.normalise_email(owner_email)
    if problem := auth.validate_email(email):
        errors["owner_email"] = problem
    if errors:
        raise ValidationFailed(errors)
    end = _end_date(ends_on)
    partner = await _partner_name(partner_id)
    async with authz.atomic(), db.write_transaction():
        owner_id = await auth.user_id_by_email(email)
        new_user_link = ""
        if owner_id is None:
            owner_id = await auth.create_user(email, secrets.token_urlsafe(24) + "aA1!", owner_name.strip())
            _, secret = await links.issue(PASSWORD_RESET, NEW_OWNER_LINK_TTL, user_id=owner_id, email=email)
            new_user_link = f"{base_url.rstrip('/')}/password/reset/{secret}"
        child_id = await accounts.create_account(authz, name, owner_id, by=by)
        row = await PartnerLink.insert(
            PartnerLink(partner=partner_id, child=child_id, ends_on=end, created_by=by["actor"])
        ).returning(PartnerLink.id)
        link_id = int(row[0]["id"])
        await mail.send(
            "partner_console/request",
            email,
            {"partner": partner, "note": "", "ends_on": end, "new_user_link": new_user_link, "child": name.strip()},
        )
        await audit_both(
            "partner.child.create",
            (partner_id, child_id),
            f"partner_link:{link_id}",
            f"{partner} created the organization {name.strip()} for {email}; waiting for the owner.",
            by,
        )
    return child_id


@dataclass(frozen=True)
class Request:
    """A partnership waiting for the user's answer."""

    link_id: int
    partner: str
    child_id: int | None
    child_name: str
    ends_on: date | None
    note: str


async def requests_for(user_id: int) -> list[Request]:
    """Requests the user may answer: to their email, or about an account they own (two queries)."""
    user = await User.select(User.email).where(User.id == user_id).first()
    if user is None:
        return []
    rows = await PartnerLink.select(
        PartnerLink.id,
        PartnerLink.partner.name,
        PartnerLink.child,
        PartnerLink.child.name,
        PartnerLink.child.owner,
        PartnerLink.ends_on,
        PartnerLink.note,
        PartnerLink.invite_email,
    ).where(
        (PartnerLink.status == LinkStatus.PENDING)
        & ((PartnerLink.invite_email == user["email"]) | (PartnerLink.child.owner == user_id))
    )
    return [
        Request(int(r["id"]), r["partner.name"], r["child"], r["child.name"] or "", r["ends_on"], r["note"] or "")
        for r in rows
        if r["child"] is None or r["child.owner"] == user_id
    ]


async def owned_accounts(user_id: int) -> list[accounts.AccountSummary]:
    """Accounts the user owns (what an owner may place under a partner)."""
    return [a for a in await accounts.accounts_of(user_id) if a.is_owner]


def _owner_may(authz: Authorizer, user_id: int, child_id: int, action: str, by: AuditContext) -> bool:
    """Whether the rules let the user `action` the account's `partner_link` (as staff impersonating, if so)."""
    mode = "mode:impersonation" if by.get("impersonator") else "mode:normal"
    return authz.allowed(AuthzRequest(f"user:{user_id}", "", dom(child_id), "partner_link", action, mode))


async def _pending(link_id: int, user_id: int) -> dict[str, Any]:
    """The pending request `link_id` if this user may answer it, else NotFound."""
    user = await User.select(User.email).where(User.id == user_id).first()
    row = (
        await PartnerLink.select(*PartnerLink.all_columns(), PartnerLink.child.owner, PartnerLink.partner.name)
        .where((PartnerLink.id == link_id) & (PartnerLink.status == LinkStatus.PENDING))
        .first()
    )
    if row is None or user is None:
        raise NotFound("No such request.")
    mine = row["child.owner"] == user_id if row["child"] is not None else row["invite_email"] == user["email"]
    if not mine:
        raise NotFound("No such request.")
    return row


async def approve(authz: Authorizer, link_id: int, user_id: int, account_id: int | None, *, by: AuditContext) -> int:
    """The owner lets the partner manage the account; returns the account's id.

    For a request by email the owner names `account_id` (one they own). Only the
    account's owner may (the rules engine's `partner_link` `create`, denied to perm:all
    members and to partners themselves). An account already managed by a partner,
    or asked by another, is refused until that ends.
    """
    row = await _pending(link_id, user_id)
    child_id = row["child"] if row["child"] is not None else account_id
    if child_id is None:
        raise ValidationFailed({"account_id": "Choose the account the partner may manage."})
    child_id = int(child_id)
    if child_id == int(row["partner"]):
        raise ValidationFailed({"account_id": "A partner cannot manage its own account."})
    if not _owner_may(authz, user_id, child_id, "create", by):
        raise Forbidden("Only the account's owner may let a partner manage it.")
    if await PartnerLink.exists().where(
        (PartnerLink.child == child_id) & PartnerLink.status.is_in(list(LinkStatus.LIVE)) & (PartnerLink.id != link_id)
    ):
        raise ValidationFailed({"account_id": "Another partner manages this account or has asked to. End that first."})
    partner_id = int(row["partner"])
    child = await accounts.get_account(child_id)
    async with authz.atomic(), db.write_transaction():
        await PartnerLink.update(
            {
                PartnerLink.status: LinkStatus.ACTIVE,
                PartnerLink.child: child_id,
                PartnerLink.answered_at: _now(),
                PartnerLink.answered_by: user_id,
            }
        ).where(PartnerLink.id == link_id)
        summary = f"{child.name}'s owner let {row['partner.name']} manage the account."
        await _opened(authz, link_id, partner_id, child_id, child.name, "partner.link.approve", summary, by)
    return child_id


async def _opened(
    authz: Authorizer,
    link_id: int,
    partner_id: int,
    child_id: int,
    child_name: str,
    action: str,
    summary: str,
    by: AuditContext,
) -> None:
    """A partnership became active (caller's transaction): the grants, both audit logs, the partner's email."""
    await authz.remove_grant("g", dom(partner_id), REVOKED, dom(child_id))
    await authz.add_grant("g", dom(partner_id), DELEGATE, dom(child_id))
    await authz.add_grant("g3", dom(child_id), MANAGED)
    await audit_both(action, (child_id, partner_id), f"partner_link:{link_id}", summary, by)
    await _tell_partner(partner_id, "partner_console/approved", {"child": child_name})


async def decline(link_id: int, user_id: int, *, by: AuditContext) -> None:
    """The owner says no to a request; the partner is told."""
    row = await _pending(link_id, user_id)
    async with db.write_transaction():
        await PartnerLink.update(
            {PartnerLink.status: LinkStatus.DECLINED, PartnerLink.answered_at: _now(), PartnerLink.answered_by: user_id}
        ).where(PartnerLink.id == link_id)
        await record(
            "partner.link.decline",
            account_id=int(row["partner"]),
            target=f"partner_link:{link_id}",
            summary="The customer declined the partnership request.",
            **by,
        )
        await _tell_partner(int(row["partner"]), "partner_console/declined", {"child": ""})


async def _tell_partner(partner_id: int, template: str, context: dict[str, Any]) -> None:
    """Email the partner account's owner (inside the caller's transaction)."""
    row = await Account.select(Account.name, Account.owner.email).where(Account.id == partner_id).first()
    if row and row["owner.email"]:
        await mail.send(template, row["owner.email"], {**context, "partner": row["name"]}, account_id=partner_id)


# -- ending a partnership -------------------------------------------------------------------


async def live_link_of(child_id: int) -> dict[str, Any] | None:
    """The child's pending or active partnership, with the partner's name, or None."""
    row: dict[str, Any] | None = (
        await PartnerLink.select(*PartnerLink.all_columns(), PartnerLink.partner.name)
        .where((PartnerLink.child == child_id) & PartnerLink.status.is_in(list(LinkStatus.LIVE)))
        .first()
    )
    return row


async def close(authz: Authorizer, link_id: int, status: str, *, by: AuditContext = SYSTEM, reason: str = "") -> None:
    """End a partnership as `revoked` (by the child) or `ended` (date passed, partner stopped, provider).

    Removes the delegate grant and the managed class; a revocation also writes the
    revoked tombstone, which shuts the partner out whatever grants another process
    still holds in memory. Sessions managing the child go back to the partner's own
    account. Audited in both accounts; the partner is emailed.
    """
    row = (
        await PartnerLink.select(*PartnerLink.all_columns(), PartnerLink.child.name)
        .where(PartnerLink.id == link_id)
        .first()
    )
    if row is None or row["status"] not in LinkStatus.LIVE:
        raise NotFound("No such partnership.")
    partner_id, child_id = int(row["partner"]), row["child"]
    async with authz.atomic(), db.write_transaction():
        await PartnerLink.update(
            {PartnerLink.status: status, PartnerLink.closed_at: _now(), PartnerLink.closed_by: by["actor"]}
        ).where(PartnerLink.id == link_id)
        if child_id is not None and row["status"] == LinkStatus.ACTIVE:
            child_id = int(child_id)
            await authz.remove_grant("g", dom(partner_id), DELEGATE, dom(child_id))
            await authz.remove_grant("g3", dom(child_id), MANAGED)
            if status == LinkStatus.REVOKED:
                await authz.add_grant("g", dom(partner_id), REVOKED, dom(child_id))
            await Session.update({Session.account_id: partner_id, Session.partner_account_id: None}).where(
                (Session.partner_account_id == partner_id) & (Session.account_id == child_id)
            )
        verb = {LinkStatus.REVOKED: "revoked", LinkStatus.ENDED: "ended"}.get(status, status)
        what = f"The partnership with {row['child.name'] or row['invite_email']} {verb}" + (
            f" ({reason})." if reason else "."
        )
        for account in {partner_id, child_id} - {None}:
            await record(
                "partner.link." + verb, account_id=account, target=f"partner_link:{link_id}", summary=what, **by
            )
        await _tell_partner(partner_id, "partner_console/closed", {"child": row["child.name"] or "", "verb": verb})


async def revoke(authz: Authorizer, child_id: int, user_id: int, *, by: AuditContext) -> None:
    """The child's owner takes the partner's access away, at once (open sessions included)."""
    if not _owner_may(authz, user_id, child_id, "delete", by):
        raise Forbidden("Only the account's owner may revoke its partner's access.")
    link = await live_link_of(child_id)
    if link is None:
        raise NotFound("No partner manages this account.")
    await close(authz, int(link["id"]), LinkStatus.REVOKED, by=by, reason="the owner revoked it")


async def invite_back(authz: Authorizer, child_id: int, user_id: int, partner_id: int, *, by: AuditContext) -> int:
    """The owner lets a partner they had before manage the account again (active at once); returns the link."""
    if not _owner_may(authz, user_id, child_id, "create", by):
        raise Forbidden("Only the account's owner may let a partner manage it.")
    before = await PartnerLink.exists().where(
        (PartnerLink.child == child_id)
        & (PartnerLink.partner == partner_id)
        & PartnerLink.status.is_in([LinkStatus.REVOKED, LinkStatus.ENDED])
    )
    if not before or not await is_partner(partner_id):
        raise NotFound("No such former partner.")
    if await live_link_of(child_id) is not None:
        raise ValidationFailed({"partner": "Another partner manages this account or has asked to. End that first."})
    name = await _partner_name(partner_id)
    async with authz.atomic(), db.write_transaction():
        row = await PartnerLink.insert(
            PartnerLink(
                partner=partner_id,
                child=child_id,
                status=LinkStatus.ACTIVE,
                created_by=user_id,
                answered_at=_now(),
                answered_by=user_id,
            )
        ).returning(PartnerLink.id)
        link_id = int(row[0]["id"])
        child = await accounts.get_account(child_id)
        summary = f"{child.name}'s owner let {name} manage the account again."
        await _opened(authz, link_id, partner_id, child_id, child.name, "partner.link.invite_back", summary, by)
    return link_id


async def former_partners(child_id: int) -> list[tuple[int, str]]:
    """Partners that managed the account before (revoked or ended), newest first, each once."""
    rows = await (
        PartnerLink.select(PartnerLink.partner, PartnerLink.partner.name)
        .where((PartnerLink.child == child_id) & PartnerLink.status.is_in([LinkStatus.REVOKED, LinkStatus.ENDED]))
        .order_by(PartnerLink.id, ascending=False)
    )
    seen: dict[int, str] = {}
    for r in rows:
        seen.setdefault(int(r["partner"]), r["partner.name"])
    return list(seen.items())


async def set_end_date(child_id: int, user_id: int, authz: Authorizer, ends_on: str, *, by: AuditContext) -> None:
    """The child's owner sets or clears the active partnership's end date."""
    if not _owner_may(authz, user_id, child_id, "delete", by):
        raise Forbidden("Only the account's owner may change when the partner's access ends.")
    link = await live_link_of(child_id)
    if link is None:
        raise NotFound("No partner manages this account.")
    end = _end_date(ends_on)
    async with db.write_transaction():
        await PartnerLink.update({PartnerLink.ends_on: end}).where(PartnerLink.id == link["id"])
        await PartnerReminder.delete().where(PartnerReminder.link == link["id"])  # a new date: remind again
        await record(
            "partner.link.end_date",
            account_id=child_id,
            target=f"partner_link:{link['id']}",
            summary=f"The partner's access ends on {end.isoformat()}."
            if end
            else "The partner's access has no end date.",
            **by,
        )


# -- the partner's side ---------------------------------------------------------------------


@dataclass(frozen=True)
class Child:
    """One of the partner's customers as the console lists them."""

    link_id: int
    account_id: int | None
    name: str
    status: str
    account_status: str
    plan: str
    users: int
    services: int
    ends_on: date | None
    invite_email: str

    @property
    def manageable(self) -> bool:
        """Whether the partner may open the child's screens now."""
        today = _now().date()
        return self.status == LinkStatus.ACTIVE and (self.ends_on is None or self.ends_on > today)


_M, _S, _P = (t._meta.tablename for t in (Membership, Service, Product))
_COUNTS_SQL = f"SELECT m.account AS id, COUNT(*) AS n FROM {_M} m WHERE m.account IN ({{}}) GROUP BY m.account"  # noqa: S608
_SERVICES_SQL = (
    f"SELECT s.account AS id, s.status, p.name AS product FROM {_S} s "  # noqa: S608 (no input)
    f"LEFT JOIN {_P} p ON p.id = s.product WHERE s.account IN ({{}}) ORDER BY s.id"
)


async def children(partner_id: int, limit: int = PAGE_SIZE, offset: int = 0) -> tuple[list[Child], int]:
    """The partner's live customers (pending and active) by name, a page at a time, and how many there are.

    Three queries whatever the page size: the links with their accounts, member
    counts, services with their products (the plan is the active services' products).
    """
    await require_partner(partner_id)
    where = (PartnerLink.partner == partner_id) & PartnerLink.status.is_in(list(LinkStatus.LIVE))
    total = await PartnerLink.count().where(where)
    rows = await (
        PartnerLink.select(
            PartnerLink.id,
            PartnerLink.child,
            PartnerLink.child.name,
            PartnerLink.child.status,
            PartnerLink.status,
            PartnerLink.ends_on,
            PartnerLink.invite_email,
        )
        .where(where)
        .order_by(PartnerLink.child.name)
        .order_by(PartnerLink.id)
        .limit(limit)
        .offset(offset)
    )
    ids = [int(r["child"]) for r in rows if r["child"] is not None]
    users: dict[int, int] = {}
    plans: dict[int, list[str]] = {}
    services: dict[int, int] = {}
    if ids:
        marks = ", ".join("{}" for _ in ids)
        for r in await db.fetch(_COUNTS_SQL.replace("{}", marks), *ids):
            users[int(r["id"])] = int(r["n"])
        for r in await db.fetch(_SERVICES_SQL.replace("{}", marks), *ids):
            if r["status"] in ("active", "suspended"):
                services[int(r["id"])] = services.get(int(r["id"]), 0) + 1
                if r["product"] and r["product"] not in plans.setdefault(int(r["id"]), []):
                    plans[int(r["id"])].append(r["product"])
    out = []
    for r in rows:
        cid = int(r["child"]) if r["child"] is not None else None
        out.append(
            Child(
                link_id=int(r["id"]),
                account_id=cid,
                name=r["child.name"] or r["invite_email"],
                status=r["status"],
                account_status=r["child.status"] or "",
                plan=", ".join(plans.get(cid, [])) if cid else "",
                users=users.get(cid, 0) if cid else 0,
                services=services.get(cid, 0) if cid else 0,
                ends_on=r["ends_on"],
                invite_email=r["invite_email"] or "",
            )
        )
    return out, int(total)


async def manageable_child(partner_id: int, child_id: int) -> Child:
    """The partner's active, unexpired partnership with `child_id`; `NotFound` otherwise (another child too)."""
    row = (
        await PartnerLink.select(PartnerLink.id, PartnerLink.child.name, PartnerLink.ends_on, PartnerLink.child.status)
        .where(
            (PartnerLink.partner == partner_id)
            & (PartnerLink.child == child_id)
            & (PartnerLink.status == LinkStatus.ACTIVE)
        )
        .first()
    )
    if row is None:
        raise NotFound("No such customer.")
    partner = await Account.select(Account.status).where(Account.id == partner_id).first()
    if partner is None or partner["status"] != "active":
        raise NotFound("A suspended partner account manages no customer.")
    child = Child(
        int(row["id"]),
        child_id,
        row["child.name"],
        LinkStatus.ACTIVE,
        row["child.status"],
        "",
        0,
        0,
        row["ends_on"],
        "",
    )
    if not child.manageable:
        raise NotFound("This partnership has ended.")
    return child


async def end_by_partner(authz: Authorizer, partner_id: int, link_id: int, *, by: AuditContext) -> None:
    """The partner stops managing a customer, or withdraws a request nobody answered yet."""
    row = await PartnerLink.select(PartnerLink.partner, PartnerLink.status).where(PartnerLink.id == link_id).first()
    if row is None or int(row["partner"]) != partner_id or row["status"] not in LinkStatus.LIVE:
        raise NotFound("No such customer.")
    await close(authz, link_id, LinkStatus.ENDED, by=by, reason="the partner stopped")


# -- end dates: reminders and expiry (a daily job) -------------------------------------------


async def expire(authz: Authorizer, today: date | None = None) -> int:
    """End every active partnership whose end date has come; returns how many (idempotent)."""
    today = today or _now().date()
    rows = await PartnerLink.select(PartnerLink.id).where(
        (PartnerLink.status == LinkStatus.ACTIVE) & PartnerLink.ends_on.is_not_null() & (PartnerLink.ends_on <= today)
    )
    for r in rows:
        await close(authz, int(r["id"]), LinkStatus.ENDED, reason="its end date came")
    return len(rows)


async def send_reminders(today: date | None = None) -> int:
    """Email the partner and the child's owner 30, 7 and 1 days before an end date; each reminder once.

    A reminder missed (the job did not run that day) goes out at the next run while
    the date is still ahead, once for the nearest count. Returns how many went out.
    """
    today = today or _now().date()
    horizon = today + timedelta(days=max(REMIND_DAYS))
    rows = await PartnerLink.select(
        PartnerLink.id,
        PartnerLink.partner,
        PartnerLink.ends_on,
        PartnerLink.child,
        PartnerLink.child.name,
        PartnerLink.child._.owner._.email,
        PartnerLink.partner.name,
    ).where(
        (PartnerLink.status == LinkStatus.ACTIVE)
        & PartnerLink.ends_on.is_not_null()
        & (PartnerLink.ends_on > today)
        & (PartnerLink.ends_on <= horizon)
    )
    sent = 0
    for r in rows:
        left = (r["ends_on"] - today).days
        due = min(d for d in REMIND_DAYS if d >= left)
        async with db.write_transaction():
            if await PartnerReminder.exists().where(
                (PartnerReminder.link == r["id"]) & (PartnerReminder.days_before <= due)
            ):
                continue
            await PartnerReminder.insert(PartnerReminder(link=r["id"], days_before=due))
            context = {"child": r["child.name"], "ends_on": r["ends_on"], "days": left}
            if r["child.owner.email"]:
                await mail.send(
                    "partner_console/reminder",
                    r["child.owner.email"],
                    {**context, "partner": r["partner.name"], "to_partner": False},
                    account_id=int(r["child"]),
                )
            await _tell_partner(int(r["partner"]), "partner_console/reminder", {**context, "to_partner": True})
            sent += 1
    return sent
