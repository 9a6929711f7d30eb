"""Client management by staff: create, change, delete, suspend. Every rule about clients lives here.

A client is an account as staff see it: the account, its owner (the login), its
store and its contacts. The list and search are in `search.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from panel.core import db
from panel.core.accounts import services as accounts
from panel.core.accounts.tables import Account, AccountStatus, Membership
from panel.core.audit.services import SYSTEM, AuditContext
from panel.core.auth import passwords, sessions
from panel.core.auth import services as auth
from panel.core.auth.tables import User
from panel.core.authz import Authorizer
from panel.core.billing.tables import Invoice
from panel.core.contacts import services as contacts
from panel.core.contacts.validation import ContactData, clean_contact
from panel.core.orders.tables import Order
from panel.core.services.tables import Service, ServiceStatus
from panel.core.stores.tables import Store
from panel.errors import NotFound, PanelError, ValidationFailed


class DeletionRefused(PanelError):
    """The client still has things that must go first; `reasons` says which."""

    status_code = 409

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("This client cannot be deleted: " + "; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class StoreOption:
    """A store a client can buy from."""

    id: int
    name: str
    is_default: bool


@dataclass(frozen=True)
class Member:
    """A user of the client's account and what they may do there."""

    user_id: int
    email: str
    name: str
    is_owner: bool
    permissions: list[str]


@dataclass(frozen=True)
class ClientDetail:
    """Everything the client page shows."""

    id: int
    name: str
    status: str
    created_at: datetime
    store_id: int | None
    store_name: str
    owner_id: int
    owner_email: str
    owner_name: str
    owner_is_active: bool
    members: list[Member]
    contacts: list[contacts.ContactView]
    services: int = 0  # live ones: pending, active or suspended


@dataclass(frozen=True)
class NewClient:
    """What staff enter to create a client (the contact fields come separately)."""

    login_email: str
    password: str = ""
    link_existing: bool = False
    store_id: int | None = None
    account_name: str = ""


async def stores() -> list[StoreOption]:
    """Every store, by name."""
    rows = await Store.select(Store.id, Store.name, Store.is_default).order_by(Store.name)
    return [StoreOption(r["id"], r["name"], r["is_default"]) for r in rows]


async def _check_store(store_id: int | None, field: str = "store_id") -> dict[str, str]:
    """A problem with the chosen store, if any: required while stores exist, and must exist."""
    if store_id is None:
        if await Store.exists():
            return {field: "Choose the store the client buys from."}
        return {}
    if not await Store.exists().where(Store.id == store_id):
        return {field: "Choose one of the stores."}
    return {}


async def create_client(
    authz: Authorizer, new: NewClient, contact_raw: Mapping[str, Any], *, by: AuditContext = SYSTEM
) -> int:
    """Create a client: the owner's user (or an existing user), the account and its own details.

    Everything is checked first and every problem reported at once, beside its field;
    then user, account, membership, grants and the primary contact are written in one
    transaction, so a failure leaves nothing behind. Returns the account id.
    """
    email = auth.normalise_email(new.login_email)
    errors: dict[str, str] = {}
    existing: int | None = None
    if problem := auth.validate_email(email):
        errors["login_email"] = problem
    else:
        existing = await auth.user_id_by_email(email)
        if existing is not None and not new.link_existing:
            errors["login_email"] = (
                "A user with this email exists. Tick 'make the existing user the owner' to give them this account."
            )
        elif existing is None and new.link_existing:
            errors["login_email"] = "No user has this email; untick the box to create one."
    if existing is None and (problem := passwords.check_strength(new.password)):
        errors["password"] = problem
    errors.update(await _check_store(new.store_id))
    raw = {"email": email, **{k: v for k, v in contact_raw.items() if v not in (None, "")}}
    data: ContactData | None = None
    try:
        data = clean_contact(raw)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    account_name = (new.account_name or (data.company or data.name if data else "")).strip()
    if len(account_name) > 200:
        errors["account_name"] = "Use at most 200 characters."
    if errors or data is None:
        raise ValidationFailed(errors)
    async with authz.atomic(), db.write_transaction():
        if existing is None:
            try:
                owner_id = await auth.create_user(email, new.password, data.name)
            except ValidationFailed as exc:  # the email was taken meanwhile
                raise ValidationFailed(
                    {"login_email" if k == "email" else k: v for k, v in exc.errors.items()}
                ) from exc
        else:
            owner_id = existing
        account_id = await accounts.create_account(authz, account_name, owner_id, new.store_id, by=by)
        await contacts.save_primary(account_id, data)
    return account_id


async def get_client(authz: Authorizer, account_id: int) -> ClientDetail:
    """The client page's facts: four queries, member permissions from the rules engine's memory."""
    row = (
        await Account.select(
            Account.id,
            Account.name,
            Account.status,
            Account.created_at,
            Account.store.id,
            Account.store.name,
            Account.owner.id,
            Account.owner.email,
            Account.owner.name,
            Account.owner.is_active,
        )
        .where(Account.id == account_id)
        .first()
    )
    if row is None:
        raise NotFound("No such client.")
    member_rows = (
        await Membership.select(Membership.user.id, Membership.user.email, Membership.user.name)
        .where(Membership.account == account_id)
        .order_by(Membership.user.email)
    )
    owner_id = int(row["owner.id"])
    members = []
    for m in member_rows:
        perms = accounts.permissions_of(authz, m["user.id"], account_id)
        members.append(
            Member(
                m["user.id"],
                m["user.email"],
                m["user.name"],
                m["user.id"] == owner_id,
                [p for p in perms if p != "owner"],
            )
        )
    return ClientDetail(
        id=row["id"],
        name=row["name"],
        status=row["status"],
        created_at=row["created_at"],
        store_id=row["store.id"],
        store_name=row["store.name"] or "",
        owner_id=owner_id,
        owner_email=row["owner.email"],
        owner_name=row["owner.name"],
        owner_is_active=row["owner.is_active"],
        members=members,
        contacts=await contacts.list_contacts(account_id),
        services=await _live_services(account_id),
    )


async def _owner_of(account_id: int) -> int:
    row = await Account.select(Account.owner).where(Account.id == account_id).first()
    if row is None:
        raise NotFound("No such client.")
    return int(row["owner"])


async def require_client(account_id: int) -> None:
    """Raise `NotFound` unless the client exists."""
    await _owner_of(account_id)


def _name_problem(name: str) -> str | None:
    if not name:
        return "Give the account a name."
    if len(name) > 200:
        return "Use at most 200 characters."
    return None


async def _email_problem(owner_id: int, email: str) -> str | None:
    if problem := auth.validate_email(email):
        return problem
    if await User.exists().where((User.email == email) & (User.id != owner_id)):
        return "Another user already logs in with this email."
    return None


async def patch_client(
    account_id: int,
    *,
    name: str | None = None,
    store_id: int | None = None,
    login_email: str | None = None,
    password: str | None = None,
) -> None:
    """Change any of: the account's name and store, the owner's login email and password.

    `None` leaves a value as it is. Every value is checked first and all problems are
    reported together; then all changes are written in one transaction, so bad input
    changes nothing. A new password ends the owner's sessions.
    """
    owner_id = await _owner_of(account_id)
    errors: dict[str, str] = {}
    if name is not None:
        name = name.strip()
        if problem := _name_problem(name):
            errors["name"] = problem
    if store_id is not None:
        errors.update(await _check_store(store_id))
    if login_email is not None:
        login_email = auth.normalise_email(login_email)
        if problem := await _email_problem(owner_id, login_email):
            errors["login_email"] = problem
    if password is not None and (problem := passwords.check_strength(password)):
        errors["password"] = problem
    if errors:
        raise ValidationFailed(errors)
    hashed = await passwords.hash_password(password) if password is not None else None
    async with db.write_transaction():
        account_changes: dict[Any, Any] = {}
        if name is not None:
            account_changes[Account.name] = name
        if store_id is not None:
            account_changes[Account.store] = store_id
        if account_changes:
            await Account.update(account_changes).where(Account.id == account_id)
        user_changes: dict[Any, Any] = {}
        if login_email is not None:
            if await User.exists().where((User.email == login_email) & (User.id != owner_id)):
                raise ValidationFailed({"login_email": "Another user already logs in with this email."})
            user_changes[User.email] = login_email
        if hashed is not None:
            user_changes[User.password_hash] = hashed
        if user_changes:
            await User.update(user_changes).where(User.id == owner_id)
        if hashed is not None:
            await sessions.end_all_for_user(owner_id)


async def update_client(account_id: int, name: str, store_id: int | None) -> None:
    """Rename the client's account and move it to another store (a store is required while stores exist)."""
    await _owner_of(account_id)
    name = name.strip()
    errors: dict[str, str] = {}
    if problem := _name_problem(name):
        errors["name"] = problem
    errors.update(await _check_store(store_id))
    if errors:
        raise ValidationFailed(errors)
    await Account.update({Account.name: name, Account.store: store_id}).where(Account.id == account_id)


async def change_login_email(account_id: int, email: str) -> None:
    """Change the owner's login email (their login for every account they belong to)."""
    await patch_client(account_id, login_email=email)


async def set_owner_password(account_id: int, password: str) -> None:
    """Give the owner a new password (strength checked); their sessions end."""
    await patch_client(account_id, password=password)


async def _live_services(account_id: int) -> int:
    return int(
        await Service.count().where((Service.account == account_id) & Service.status.is_in(list(ServiceStatus.LIVE)))
    )


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


async def deletion_blockers(account_id: int) -> list[str]:
    """Why this client cannot be deleted yet, one sentence each; empty when it can be.

    Services that are not over (pending, active, suspended) must be cancelled or
    terminated first; terminated and cancelled ones are deleted with the client.
    Invoices and orders are kept for accounting, and a reseller's stores must go to
    someone else first, so a client with any of those is never deleted.
    """
    reasons = []
    if live := await _live_services(account_id):
        them = "it" if live == 1 else "them"
        reasons.append(f"Client has {_count(live, 'service', 'services')}: cancel or terminate {them} first")
    if invoices := int(await Invoice.count().where(Invoice.account == account_id)):
        reasons.append(f"Client has {_count(invoices, 'invoice', 'invoices')}: invoices are kept for accounting")
    if orders := int(await Order.count().where(Order.account == account_id)):
        reasons.append(f"Client has {_count(orders, 'order', 'orders')}: orders are kept for accounting")
    if stores := int(await Store.count().where(Store.reseller == account_id)):
        reasons.append(f"Client runs {_count(stores, 'store', 'stores')} as a reseller: hand them over first")
    return reasons


async def delete_client(authz: Authorizer, account_id: int) -> bool:
    """Delete a client: the account, its memberships, contacts, grants and sessions.

    Refused with `DeletionRefused` while `deletion_blockers` names anything. The owner's
    user is deleted too unless they belong to another account or are staff (returns
    whether it was). Other members keep their user.
    """
    owner_id = await _owner_of(account_id)
    dom = accounts.dom(account_id)
    async with authz.atomic(), db.write_transaction():
        # Asked inside the transaction, so a service ordered meanwhile still blocks.
        reasons = await deletion_blockers(account_id)
        if reasons:
            raise DeletionRefused(reasons)
        await sessions.end_all_in_account(account_id)
        await contacts.delete_all(account_id)
        await Service.delete().where(
            (Service.account == account_id) & Service.status.not_in(list(ServiceStatus.LIVE))
        )  # terminated, cancelled and failed ones: history of the client being deleted
        await Membership.delete().where(Membership.account == account_id)
        await Account.delete().where(Account.id == account_id)
        await User.update({User.last_account_id: None}).where(User.last_account_id == account_id)
        await authz.remove_grants("g", 2, dom)  # every role inside the account
        await authz.remove_grants("g", 0, dom)  # the account as a principal (partner of others)
        await authz.remove_grants("g3", 0, dom)  # its classes (suspended, partner managed)
        keep = bool(auth.staff_roles(authz, owner_id)) or await Membership.exists().where(Membership.user == owner_id)
        if not keep:
            await User.delete().where(User.id == owner_id)
    return not keep


async def suspend_client(authz: Authorizer, account_id: int, *, by: AuditContext = SYSTEM) -> int:
    """Suspend: all non-staff access ends, and members left with no usable account are logged out.

    `accounts.suspend` ends the sessions working in the account; a member whose every
    account is now suspended also loses sessions that had no account chosen (they
    could not log in again anyway). Returns how many sessions ended.
    """
    await _owner_of(account_id)
    ended = await accounts.suspend(authz, account_id, by=by)
    members = [r["user"] for r in await Membership.select(Membership.user).where(Membership.account == account_id)]
    usable = await users_with_usable_account(members)
    for user_id in members:
        if user_id not in usable and not auth.staff_roles(authz, user_id):
            ended += await sessions.end_all_for_user(user_id)
    return ended


async def unsuspend_client(authz: Authorizer, account_id: int, *, by: AuditContext = SYSTEM) -> None:
    """Lift a suspension: members may log in and work in the account again."""
    await _owner_of(account_id)
    await accounts.unsuspend(authz, account_id, by=by)


async def users_with_usable_account(user_ids: list[int]) -> set[int]:
    """Which of these users belong to at least one account that is not suspended (one query)."""
    if not user_ids:
        return set()
    rows = await Membership.select(Membership.user).where(
        Membership.user.is_in(user_ids) & (Membership.account.status != AccountStatus.SUSPENDED)
    )
    return {int(r["user"]) for r in rows}
