"""Stores: creating and changing them, the default store, and what their settings decide.

Staff create and change every store; a reseller changes the branding and policies of
its own stores (`RESELLER_FIELDS`). Exactly one store is the default: one of the
provider's own, open, and the one visitors see. What clients of a store may do that
depends on it (the client-area link, changing their login email) is answered here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from panel.core import db
from panel.core.accounts.tables import Account
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.stores.tables import Store, StoreKind
from panel.core.stores.validation import ALL_FIELDS, CleanStore, as_bool, clean_store
from panel.errors import NotFound, ValidationFailed

KIND_LABELS = {
    StoreKind.PROVIDER: "The provider's own store",
    StoreKind.RESELLER: "A reseller's store (its own products and prices)",
    StoreKind.RESELLER_CATALOG: "The provider's catalogue at the reseller's discount",
}


@dataclass(frozen=True)
class StoreView:
    """A store with every setting, as pages and the API show it."""

    id: int
    name: str
    slug: str
    currency: str
    kind: str
    reseller_id: int | None
    reseller_name: str
    is_default: bool
    is_active: bool
    brand_name: str
    accent_color: str
    logo_url: str
    contact_instructions: str
    invoice_prefix: str
    setup_fees_allowed: bool
    full_prepayment: bool
    money_back_days: int
    auto_renew: bool
    min_contract_months: dict[str, int]
    non_refundable_types: list[str]
    show_client_area_link: bool
    clients_can_change_username: bool
    created_at: datetime

    @property
    def display_name(self) -> str:
        """The brand name if the store has one, else its name."""
        return self.brand_name or self.name

    @property
    def kind_label(self) -> str:
        """The kind in words."""
        return KIND_LABELS.get(self.kind, self.kind)


def _json(value: Any, default: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value or "null") or default
        except ValueError:
            return default
    return value if value is not None else default


_COLUMNS = (
    Store.id,
    Store.name,
    Store.slug,
    Store.currency,
    Store.kind,
    Store.reseller,
    Store.reseller.name,
    Store.is_default,
    Store.is_active,
    Store.brand_name,
    Store.accent_color,
    Store.logo_url,
    Store.contact_instructions,
    Store.invoice_prefix,
    Store.setup_fees_allowed,
    Store.full_prepayment,
    Store.money_back_days,
    Store.auto_renew,
    Store.min_contract_months,
    Store.non_refundable_types,
    Store.show_client_area_link,
    Store.clients_can_change_username,
    Store.created_at,
)


def view_of(row: Mapping[str, Any]) -> StoreView:
    """A `StoreView` from a row selected with `_COLUMNS`."""
    months = _json(row["min_contract_months"], {})
    return StoreView(
        id=int(row["id"]),
        name=row["name"],
        slug=row["slug"],
        currency=row["currency"],
        kind=row["kind"],
        reseller_id=row["reseller"],
        reseller_name=row.get("reseller.name") or "",
        is_default=bool(row["is_default"]),
        is_active=bool(row["is_active"]),
        brand_name=row["brand_name"] or "",
        accent_color=row["accent_color"] or "",
        logo_url=row["logo_url"] or "",
        contact_instructions=row["contact_instructions"] or "",
        invoice_prefix=row["invoice_prefix"] or "",
        setup_fees_allowed=bool(row["setup_fees_allowed"]),
        full_prepayment=bool(row["full_prepayment"]),
        money_back_days=int(row["money_back_days"] or 0),
        auto_renew=bool(row["auto_renew"]),
        min_contract_months={str(k): int(v) for k, v in months.items()},
        non_refundable_types=[str(t) for t in _json(row["non_refundable_types"], [])],
        show_client_area_link=bool(row["show_client_area_link"]),
        clients_can_change_username=bool(row["clients_can_change_username"]),
        created_at=row["created_at"],
    )


async def list_stores(limit: int = 500, offset: int = 0) -> list[StoreView]:
    """Stores, the default first, then by name (one query)."""
    rows = (
        await Store.select(*_COLUMNS)
        .order_by(Store.is_default, ascending=False)
        .order_by(Store.name)
        .limit(limit)
        .offset(offset)
    )
    return [view_of(r) for r in rows]


async def get_store(store_id: int) -> StoreView:
    """One store, or `NotFound`."""
    row = await Store.select(*_COLUMNS).where(Store.id == store_id).first()
    if row is None:
        raise NotFound("No such store.")
    return view_of(row)


async def store_by_slug(slug: str, *, active_only: bool = True) -> StoreView:
    """The store at `/store/<slug>`; `NotFound` if there is none (or it is closed)."""
    query = Store.select(*_COLUMNS).where(Store.slug == slug.strip().lower())
    row = await query.first()
    if row is None or (active_only and not row["is_active"]):
        raise NotFound("There is no store at this address.")
    return view_of(row)


async def default_store() -> StoreView | None:
    """The provider's default store, the one visitors see."""
    row = await Store.select(*_COLUMNS).where(Store.is_default.eq(True)).first()
    return view_of(row) if row else None


async def store_of_account(account_id: int) -> StoreView | None:
    """The store an account is bound to, if any."""
    row = await Account.select(Account.store).where(Account.id == account_id).first()
    if row is None or row["store"] is None:
        return None
    return await get_store(int(row["store"]))


def form_values(store: StoreView | None = None) -> dict[str, Any]:
    """A store's settings as form fields hold them (defaults for a new store)."""
    if store is None:
        return {
            "currency": "USD",
            "kind": StoreKind.PROVIDER,
            "is_active": True,
            "setup_fees_allowed": True,
            "full_prepayment": True,
            "money_back_days": "0",
            "show_client_area_link": True,
            "clients_can_change_username": True,
            "min_contract_months": {},
            "non_refundable_types": [],
        }
    values = asdict(store)
    values["reseller_id"] = "" if store.reseller_id is None else str(store.reseller_id)
    values["money_back_days"] = str(store.money_back_days)
    return values


def _type_names(registered: Collection[str], existing: StoreView | None) -> set[str]:
    names = set(registered)
    if existing is not None:
        names |= set(existing.min_contract_months) | set(existing.non_refundable_types)
    return names


async def _check(values: Mapping[str, Any], type_names: Collection[str], store_id: int | None) -> CleanStore:
    clean, errors = clean_store(values, type_names)
    if clean is not None:
        if await Store.exists().where((Store.slug == clean.slug) & (Store.id != (store_id or 0))):
            errors["slug"] = "Another store has this address."
        if clean.reseller_id is not None and not await Account.exists().where(Account.id == clean.reseller_id):
            errors["reseller_id"] = "No account has this number."
    if errors or clean is None:
        raise ValidationFailed(errors)
    return clean


def _columns(clean: CleanStore) -> dict[Any, Any]:
    return {
        Store.name: clean.name,
        Store.slug: clean.slug,
        Store.currency: clean.currency,
        Store.kind: clean.kind,
        Store.reseller: clean.reseller_id,
        Store.is_default: clean.is_default,
        Store.is_active: clean.is_active,
        Store.brand_name: clean.brand_name,
        Store.accent_color: clean.accent_color,
        Store.logo_url: clean.logo_url,
        Store.contact_instructions: clean.contact_instructions,
        Store.invoice_prefix: clean.invoice_prefix,
        Store.setup_fees_allowed: clean.setup_fees_allowed,
        Store.full_prepayment: clean.full_prepayment,
        Store.money_back_days: clean.money_back_days,
        Store.auto_renew: clean.auto_renew,
        Store.min_contract_months: json.dumps(clean.min_contract_months),
        Store.non_refundable_types: json.dumps(clean.non_refundable_types),
        Store.show_client_area_link: clean.show_client_area_link,
        Store.clients_can_change_username: clean.clients_can_change_username,
    }


async def create_store(values: Mapping[str, Any], product_types: Collection[str], *, by: AuditContext = SYSTEM) -> int:
    """Create a store from every setting; returns its id.

    The first open store of the provider becomes the default even if not ticked; a
    new default replaces the old one. Nothing is written when anything is wrong.
    """
    clean = await _check(values, product_types, None)
    async with db.write_transaction():
        is_default = clean.is_default
        if (
            not is_default
            and clean.kind == StoreKind.PROVIDER
            and clean.is_active
            and not await Store.exists().where(Store.is_default.eq(True))
        ):
            is_default = True
        columns = _columns(clean)
        columns[Store.is_default] = is_default
        if is_default:
            await Store.update({Store.is_default: False}).where(Store.is_default.eq(True))
        row = await Store.insert(Store(columns)).returning(Store.id)
        store_id = int(row[0]["id"])
        await record(
            "store.create",
            account_id=clean.reseller_id,
            target=f"store:{store_id}",
            summary=f"Created the store {clean.name}.",
            details={"name": clean.name, "slug": clean.slug, "kind": clean.kind, "currency": clean.currency},
            **by,
        )
    forget_resellers()
    return store_id


def _changes(before: StoreView, after: CleanStore) -> dict[str, dict[str, Any]]:
    old = asdict(before)
    new = asdict(after)
    return {k: {"before": old[k], "after": v} for k, v in new.items() if k in old and old[k] != v}


async def update_store(
    store_id: int,
    values: Mapping[str, Any],
    product_types: Collection[str],
    *,
    only: Collection[str] | None = None,
    by: AuditContext = SYSTEM,
) -> StoreView:
    """Change a store: `values` over its current settings (only the keys in `only`, if given).

    The default store cannot stop being the default (make another the default
    instead). When "show the client-area link" changes, existing services that
    followed the store keep the old setting: the change is for new services (see
    `apply_client_area_link_to_all`). Returns the store as saved.
    """
    before = await get_store(store_id)
    merged = form_values(before)
    for key, value in values.items():
        if key in ALL_FIELDS and (only is None or key in only):
            merged[key] = value
    clean = await _check_with_default(merged, _type_names(product_types, before), before)
    changes = _changes(before, clean)
    async with db.write_transaction():
        if clean.is_default and not before.is_default:
            await Store.update({Store.is_default: False}).where(Store.is_default.eq(True))
        await Store.update(_columns(clean)).where(Store.id == store_id)
        if clean.show_client_area_link != before.show_client_area_link:
            await _pin_followers(store_id, before.show_client_area_link)
        if changes:
            await record(
                "store.update",
                account_id=clean.reseller_id,
                target=f"store:{store_id}",
                summary=f"Changed the store {clean.name}: {', '.join(sorted(changes))}.",
                details=changes,
                **by,
            )
    forget_resellers()
    return await get_store(store_id)


async def _check_with_default(merged: Mapping[str, Any], type_names: Collection[str], before: StoreView) -> CleanStore:
    try:
        clean = await _check(merged, type_names, before.id)
    except ValidationFailed as exc:
        if before.is_default and not as_bool(merged.get("is_default")) and "is_default" not in exc.errors:
            exc.errors["is_default"] = _KEEP_DEFAULT
        raise
    if before.is_default and not clean.is_default:
        raise ValidationFailed({"is_default": _KEEP_DEFAULT})
    return clean


_KEEP_DEFAULT = "One store must be the default: make another store the default instead."


async def _pin_followers(store_id: int, old_value: bool) -> None:
    """Services that followed the store's link setting keep the value they had."""
    from panel.core.services.tables import Service

    await Service.update({Service.show_client_area_link: old_value}).where(
        (Service.store == store_id) & Service.show_client_area_link.is_null()
    )


async def apply_client_area_link_to_all(store_id: int, *, by: AuditContext = SYSTEM) -> int:
    """Make every existing service of the store follow its client-area link setting again.

    Per-service overrides are cleared. Returns how many services there are.
    """
    from panel.core.services.tables import Service

    store = await get_store(store_id)
    async with db.write_transaction():
        count = await Service.count().where(Service.store == store_id)
        await Service.update({Service.show_client_area_link: None}).where(Service.store == store_id)
        shown = "shown" if store.show_client_area_link else "hidden"
        await record(
            "store.apply_client_area_link",
            account_id=store.reseller_id,
            target=f"store:{store_id}",
            summary=f"The client-area link is now {shown} for all {count} services of {store.name}.",
            details={"show_client_area_link": store.show_client_area_link, "services": count},
            **by,
        )
    return int(count)


def minimum_term_problem(store: StoreView, product_type: str, cycle: str, name: str) -> str | None:
    """Why this store refuses `name` in `cycle`, if it does: a minimum term the cycle cannot pay in advance.

    With "full prepayment" on, a product type's minimum term (months) is paid up front,
    so a shorter billing cycle (or a one-time price) is refused at order; without it, any
    cycle may be ordered and the term is enforced when the client cancels.
    """
    from panel.core.catalog.tables import Cycle

    months = store.min_contract_months.get(product_type, 0)
    if not months or not store.full_prepayment:
        return None
    cycle_months = Cycle.MONTHS.get(cycle, 0)
    if cycle_months >= months or cycle == Cycle.FREE:
        return None
    return (
        f"{name} has a {months}-month minimum term, paid in advance in this store: "
        f"choose a billing cycle of at least {months} months."
    )


def client_area_link_visible(service_row: Mapping[str, Any], store_row: Mapping[str, Any]) -> bool:
    """Whether a service's page links to the client area (else it shows the store's contact instructions).

    Clients of the provider's own stores always have it; elsewhere the service's
    own override wins, else the store's setting.
    """
    if store_row.get("kind", StoreKind.PROVIDER) == StoreKind.PROVIDER:
        return True
    override = service_row.get("show_client_area_link")
    if override is not None:
        return bool(override)
    return bool(store_row.get("show_client_area_link", True))


async def is_reseller(account_id: int) -> bool:
    """Whether the account runs stores as a reseller."""
    return bool(await Store.exists().where(Store.reseller == account_id))


RESELLERS_FRESH_FOR = 5.0
"""Seconds the set of reseller accounts read for the navigation stays in use."""

_resellers: tuple[float, frozenset[int]] | None = None


async def runs_a_store(account_id: int) -> bool:
    """Whether the account runs a reseller store, for showing the reseller area in the navigation.

    Every page asks, so the accounts that run one are read at most every
    `RESELLERS_FRESH_FOR` seconds per process (a store made in this process is seen at
    once; one made elsewhere, within those seconds). Decisions that matter use
    `is_reseller`, which always reads.
    """
    global _resellers
    now = time.monotonic()
    if _resellers is None or now - _resellers[0] > RESELLERS_FRESH_FOR:
        rows = await db.fetch(f"SELECT DISTINCT reseller FROM {Store._meta.tablename} WHERE reseller IS NOT NULL")  # noqa: S608
        _resellers = (now, frozenset(int(r["reseller"]) for r in rows))
    return account_id in _resellers[1]


def forget_resellers() -> None:
    """Read the reseller accounts again at the next `runs_a_store` (after a store changed)."""
    global _resellers
    _resellers = None


async def reseller_stores(account_id: int) -> list[StoreView]:
    """The stores a reseller runs, by name."""
    rows = await Store.select(*_COLUMNS).where(Store.reseller == account_id).order_by(Store.name)
    return [view_of(r) for r in rows]


async def username_change_refusal(user_id: int) -> str | None:
    """Why the user may not change their own login email, or None if they may.

    Refused when any account the user owns is bound to a store that does not let its
    clients change their login email.
    """
    row = (
        await Account.select(Account.store.name, Account.store.brand_name)
        .where((Account.owner == user_id) & (Account.store._.clients_can_change_username.eq(False)))
        .first()
    )
    if row is None:
        return None
    brand = row["store.brand_name"] or row["store.name"]
    return f"{brand} manages your login email: contact them to change it."
