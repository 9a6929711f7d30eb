"""What a reseller does with its own clients: list them, move them between its stores, suspend them.

A reseller's clients are the accounts bound to one of its stores (`Store.reseller` is
the reseller's account). Clients of the provider's own stores, and of other
resellers, are not the reseller's: asking about them answers `NotFound`, so a
reseller cannot even learn that they exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from piccolo.query.functions.aggregate import Count

from panel.core import db
from panel.core.accounts import services as accounts
from panel.core.accounts.tables import Account, AccountStatus
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.authz import Authorizer
from panel.core.stores import services, tiers
from panel.core.stores.services import StoreView
from panel.core.stores.tables import Store
from panel.errors import NotFound, PanelError, ValidationFailed
from panel.money import format_percent

PAGE_SIZE = 50
NOT_YOURS = "This is not a client of your stores."


@dataclass(frozen=True)
class Overview:
    """The reseller's standing: its stores, active services, tier and discount."""

    stores: list[StoreView]
    clients: int
    active_services: int
    tier: tiers.TierView | None
    next_tier: tiers.TierView | None
    discount_bp: int

    @property
    def discount(self) -> str:
        """The discount as "10 %"."""
        return format_percent(self.discount_bp)

    @property
    def services_to_next(self) -> int:
        """Active services still needed for the next tier (0 at the top)."""
        return self.next_tier.min_services - self.active_services if self.next_tier else 0


@dataclass(frozen=True)
class ClientRow:
    """One client of the reseller."""

    id: int
    name: str
    status: str
    owner_email: str
    store_id: int
    store_name: str
    active_services: int


@dataclass(frozen=True)
class ClientPage:
    """A page of the reseller's clients."""

    rows: list[ClientRow]
    total: int
    limit: int
    offset: int


async def require_reseller(account_id: int) -> list[StoreView]:
    """The reseller's stores; `NotFound` when the account runs none."""
    stores = await services.reseller_stores(account_id)
    if not stores:
        raise NotFound("This account is not a reseller.")
    return stores


async def overview(account_id: int) -> Overview:
    """Stores, clients, active services (its own and its clients'), tier and discount."""
    stores = await require_reseller(account_id)
    count = await tiers.active_services(account_id)
    tier, next_tier = tiers.tier_reached(await tiers.list_tiers(), count)
    clients = await Account.count().where(Account.store.is_in([s.id for s in stores]))
    return Overview(stores, int(clients), count, tier, next_tier, tier.discount_bp if tier else 0)


async def list_clients(reseller_id: int, limit: int = PAGE_SIZE, offset: int = 0) -> ClientPage:
    """The reseller's clients by name, a page at a time, with their active services (three queries)."""
    from panel.core.services.tables import Service, ServiceStatus

    store_ids = [s.id for s in await require_reseller(reseller_id)]
    limit = max(1, min(limit, 500))
    where = Account.store.is_in(store_ids)
    total = await Account.count().where(where)
    rows = (
        await Account.select(
            Account.id, Account.name, Account.status, Account.owner.email, Account.store, Account.store.name
        )
        .where(where)
        .order_by(Account.name)
        .limit(limit)
        .offset(max(offset, 0))
    )
    ids = [r["id"] for r in rows]
    counts: dict[int, int] = {}
    if ids:
        counted = (
            await Service.select(Service.account, Count(Service.id, alias="n"))
            .where(Service.account.is_in(ids) & (Service.status == ServiceStatus.ACTIVE))
            .group_by(Service.account)
        )
        counts = {int(c["account"]): int(c["n"]) for c in counted}
    out = [
        ClientRow(
            id=r["id"],
            name=r["name"],
            status=r["status"],
            owner_email=r["owner.email"],
            store_id=r["store"],
            store_name=r["store.name"],
            active_services=counts.get(r["id"], 0),
        )
        for r in rows
    ]
    return ClientPage(out, int(total), limit, max(offset, 0))


async def _client_of(reseller_id: int, client_id: int) -> dict[str, object]:
    row = (
        await Account.select(Account.id, Account.name, Account.status, Account.store, Account.store.reseller)
        .where(Account.id == client_id)
        .first()
    )
    if row is None or row["store.reseller"] != reseller_id or client_id == reseller_id:
        raise NotFound(NOT_YOURS)
    return row


async def move_client(reseller_id: int, client_id: int, store_id: int, *, by: AuditContext = SYSTEM) -> None:
    """Bind one of the reseller's clients to another of its stores (never to someone else's)."""
    row = await _client_of(reseller_id, client_id)
    target = (
        await Store.select(Store.id, Store.name).where((Store.id == store_id) & (Store.reseller == reseller_id)).first()
    )
    if target is None:
        raise ValidationFailed({"store_id": "Choose one of your stores."})
    if row["store"] == store_id:
        return
    async with db.write_transaction():
        await Account.update({Account.store: store_id}).where(Account.id == client_id)
        await record(
            "reseller.client_move",
            account_id=reseller_id,
            target=f"account:{client_id}",
            summary=f"Moved {row['name']} to the store {target['name']}.",
            details={"store": {"before": row["store"], "after": store_id}},
            **by,
        )


async def suspend_client(authz: Authorizer, reseller_id: int, client_id: int, *, by: AuditContext = SYSTEM) -> int:
    """Suspend one of the reseller's clients: its members' sessions there end. Returns how many."""
    row = await _client_of(reseller_id, client_id)
    if row["status"] == AccountStatus.CLOSED:
        raise PanelError("This client's account is closed.")
    async with authz.atomic(), db.write_transaction():
        ended = await accounts.suspend(authz, client_id, by=by)
        await record(
            "reseller.client_suspend",
            account_id=reseller_id,
            target=f"account:{client_id}",
            summary=f"Suspended the client {row['name']}.",
            details={"sessions_ended": ended},
            **by,
        )
    return ended


async def unsuspend_client(authz: Authorizer, reseller_id: int, client_id: int, *, by: AuditContext = SYSTEM) -> None:
    """Lift the suspension of one of the reseller's clients."""
    row = await _client_of(reseller_id, client_id)
    async with authz.atomic(), db.write_transaction():
        await accounts.unsuspend(authz, client_id, by=by)
        await record(
            "reseller.client_unsuspend",
            account_id=reseller_id,
            target=f"account:{client_id}",
            summary=f"Lifted the suspension of the client {row['name']}.",
            **by,
        )
