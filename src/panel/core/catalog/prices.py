"""Setting prices: per store, currency and billing cycle, typed in the store's currency.

A product is offered in a cycle when it has a price row for it; an empty amount
removes the row (the cycle is not offered). Prices are entered per currency and
never converted: the default store holds a column of prices for each currency its
`reseller_catalog` stores sell in. Reading prices for a sale is `pricing.py`'s job.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from panel.core import db
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.catalog.tables import Cycle, Price, PriceTarget
from panel.core.stores.services import StoreView
from panel.core.stores.tables import StoreKind
from panel.errors import ValidationFailed
from panel.money import CURRENCIES, format_plain, parse_amount

CHOICE_CYCLES = tuple(c for c in Cycle.ALL if c != Cycle.FREE)


@dataclass(frozen=True)
class PriceCell:
    """One cycle of a price grid, as the form shows it ("" = not offered)."""

    cycle: str
    label: str
    amount: str
    setup_fee: str


@dataclass(frozen=True)
class PriceGrid:
    """A product's prices in one store and currency: one row per billing cycle."""

    store_id: int
    store_name: str
    currency: str
    rows: list[PriceCell]

    @property
    def key(self) -> str:
        """Identifies the grid in a page (its form and error ids)."""
        return f"{self.store_id}-{self.currency}"


@dataclass(frozen=True)
class ChoiceGrid:
    """An option's choice prices in one store and currency: one row per choice, a column per cycle."""

    store_id: int
    store_name: str
    currency: str
    option_id: int
    rows: list[tuple[int, str, dict[str, str]]]  # (choice id, label, {cycle: amount})

    @property
    def key(self) -> str:
        """Identifies the grid in a page."""
        return f"{self.option_id}-{self.store_id}-{self.currency}"


def priced_columns(stores: Iterable[StoreView]) -> list[tuple[StoreView, str]]:
    """(store, currency) pairs that hold prices.

    Every store with products of its own, in its currency; the default store also in
    each currency a `reseller_catalog` store sells in.
    """
    stores = list(stores)
    catalog_currencies = sorted({s.currency for s in stores if s.kind == StoreKind.RESELLER_CATALOG})
    out: list[tuple[StoreView, str]] = []
    for store in stores:
        if store.kind == StoreKind.RESELLER_CATALOG:
            continue
        out.append((store, store.currency))
        if store.is_default:
            out.extend((store, c) for c in catalog_currencies if c != store.currency)
    return out


async def product_grids(product_id: int, columns: Iterable[tuple[StoreView, str]]) -> list[PriceGrid]:
    """The product's price grids for these (store, currency) pairs (one query)."""
    return (await grids_of_products([product_id], columns))[product_id]


async def grids_of_products(
    product_ids: Iterable[int], columns: Iterable[tuple[StoreView, str]]
) -> dict[int, list[PriceGrid]]:
    """{product id: its price grids for these (store, currency) pairs}, for many products (one query)."""
    ids = sorted(set(product_ids))
    columns = list(columns)
    store_ids = sorted({s.id for s, _ in columns}) or [0]
    rows = await Price.select().where(
        (Price.target == PriceTarget.PRODUCT) & Price.target_id.is_in(ids or [0]) & Price.store.is_in(store_ids)
    )
    have = {(int(r["target_id"]), int(r["store"]), r["currency"], r["cycle"]): r for r in rows}
    out: dict[int, list[PriceGrid]] = {}
    for product_id in ids:
        grids = []
        for store, currency in columns:
            cells = []
            for cycle in Cycle.ALL:
                r = have.get((product_id, store.id, currency, cycle))
                amount = format_plain(int(r["amount"]), currency) if r else ""
                setup = format_plain(int(r["setup_fee"]), currency) if r and r["setup_fee"] else ""
                cells.append(PriceCell(cycle, Cycle.LABELS[cycle], amount, setup))
            grids.append(PriceGrid(store.id, store.display_name, currency, cells))
        out[product_id] = grids
    return out


def grid_from_form(grid: PriceGrid, form: Mapping[str, str]) -> PriceGrid:
    """The grid showing what was typed (to redisplay a refused form)."""
    cells = [
        PriceCell(c.cycle, c.label, form.get(f"{c.cycle}.amount", ""), form.get(f"{c.cycle}.setup_fee", ""))
        for c in grid.rows
    ]
    return PriceGrid(grid.store_id, grid.store_name, grid.currency, cells)


def choice_grid_from_form(grid: ChoiceGrid, form: Mapping[str, str]) -> ChoiceGrid:
    """The choice grid showing what was typed (to redisplay a refused form)."""
    rows = [
        (choice_id, label, {cycle: form.get(f"{choice_id}.{cycle}", "") for cycle in CHOICE_CYCLES})
        for choice_id, label, _ in grid.rows
    ]
    return ChoiceGrid(grid.store_id, grid.store_name, grid.currency, grid.option_id, rows)


def _check_store(store: StoreView, currency: str) -> None:
    if store.kind == StoreKind.RESELLER_CATALOG:
        raise ValidationFailed({"form": "This store sells the default store's products at its prices."})
    if currency not in CURRENCIES:
        raise ValidationFailed({"form": f"Unknown currency {currency!r}."})


async def save_product_prices(
    store: StoreView,
    currency: str,
    product_id: int,
    cells: Mapping[str, str],
    *,
    account_id: int | None = None,
    by: AuditContext = SYSTEM,
) -> None:
    """Replace a product's prices in one store and currency from a grid's fields.

    `cells` holds `<cycle>.amount` and `<cycle>.setup_fee` as typed; an empty amount
    means the cycle is not offered, an empty setup fee is none. Every problem is
    reported beside its cell and nothing is saved. `account_id`: where it is audited.
    """
    _check_store(store, currency)
    errors: dict[str, str] = {}
    parsed: dict[str, tuple[int, int]] = {}
    for cycle in Cycle.ALL:
        amount_text = str(cells.get(f"{cycle}.amount", "") or "").strip()
        setup_text = str(cells.get(f"{cycle}.setup_fee", "") or "").strip()
        if not amount_text:
            if setup_text:
                errors[f"{cycle}.amount"] = "Enter the price too, or clear the setup fee."
            continue
        amount = setup = 0
        try:
            amount = parse_amount(amount_text, currency, field=f"{cycle}.amount")
        except ValidationFailed as exc:
            errors.update(exc.errors)
        if setup_text:
            try:
                setup = parse_amount(setup_text, currency, field=f"{cycle}.setup_fee")
            except ValidationFailed as exc:
                errors.update(exc.errors)
        if cycle == Cycle.FREE and (amount or setup):
            errors[f"{cycle}.amount"] = "A free cycle costs 0: enter 0 to offer it."
        parsed[cycle] = (amount, setup)
    if errors:
        raise ValidationFailed(errors)
    where = (
        (Price.store == store.id)
        & (Price.target == PriceTarget.PRODUCT)
        & (Price.target_id == product_id)
        & (Price.currency == currency)
    )
    async with db.write_transaction():
        await Price.delete().where(where)
        for cycle, (amount, setup) in parsed.items():
            await Price.insert(
                Price(
                    store=store.id,
                    target=PriceTarget.PRODUCT,
                    target_id=product_id,
                    currency=currency,
                    cycle=cycle,
                    amount=amount,
                    setup_fee=setup,
                )
            )
        await record(
            "catalog.prices",
            account_id=account_id,
            target=f"product:{product_id}",
            summary=f"Set the prices in {store.display_name} ({currency}).",
            details={"store": store.id, "currency": currency, "prices": {c: a for c, (a, _) in parsed.items()}},
            **by,
        )


async def choice_grids(
    option_id: int, choices: Iterable[tuple[int, str]], columns: Iterable[tuple[StoreView, str]]
) -> list[ChoiceGrid]:
    """An option's choice price grids for these (store, currency) pairs (one query)."""
    return (await choice_grids_of({option_id: list(choices)}, columns))[option_id]


async def choice_grids_of(
    options: Mapping[int, list[tuple[int, str]]], columns: Iterable[tuple[StoreView, str]]
) -> dict[int, list[ChoiceGrid]]:
    """{option id: its choice price grids}, for many options at once (one query).

    `options` maps an option to its (choice id, label) pairs.
    """
    columns = list(columns)
    ids = [c for choices in options.values() for c, _ in choices] or [0]
    rows = await Price.select().where(
        (Price.target == PriceTarget.CHOICE)
        & Price.target_id.is_in(ids)
        & Price.store.is_in(sorted({s.id for s, _ in columns}) or [0])
    )
    have = {(int(r["store"]), r["currency"], int(r["target_id"]), r["cycle"]): int(r["amount"]) for r in rows}
    out: dict[int, list[ChoiceGrid]] = {}
    for option_id, choices in options.items():
        grids = []
        for store, currency in columns:
            grid_rows = []
            for choice_id, label in choices:
                cells = {}
                for cycle in CHOICE_CYCLES:
                    amount = have.get((store.id, currency, choice_id, cycle))
                    cells[cycle] = format_plain(amount, currency) if amount is not None else ""
                grid_rows.append((choice_id, label, cells))
            grids.append(ChoiceGrid(store.id, store.display_name, currency, option_id, grid_rows))
        out[option_id] = grids
    return out


async def save_choice_prices(
    store: StoreView,
    currency: str,
    choice_ids: Iterable[int],
    cells: Mapping[str, str],
    *,
    account_id: int | None = None,
    by: AuditContext = SYSTEM,
) -> None:
    """Replace the prices of an option's choices in one store and currency.

    `cells` holds `<choice id>.<cycle>` as typed; empty means no charge in that cycle.
    """
    _check_store(store, currency)
    ids = list(choice_ids)
    errors: dict[str, str] = {}
    parsed: dict[tuple[int, str], int] = {}
    for choice_id in ids:
        for cycle in CHOICE_CYCLES:
            key = f"{choice_id}.{cycle}"
            text = str(cells.get(key, "") or "").strip()
            if not text:
                continue
            try:
                parsed[(choice_id, cycle)] = parse_amount(text, currency, field=key)
            except ValidationFailed as exc:
                errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    async with db.write_transaction():
        await Price.delete().where(
            (Price.store == store.id)
            & (Price.target == PriceTarget.CHOICE)
            & Price.target_id.is_in(ids or [0])
            & (Price.currency == currency)
        )
        for (choice_id, cycle), amount in parsed.items():
            await Price.insert(
                Price(
                    store=store.id,
                    target=PriceTarget.CHOICE,
                    target_id=choice_id,
                    currency=currency,
                    cycle=cycle,
                    amount=amount,
                    setup_fee=0,
                )
            )
        await record(
            "catalog.choice_prices",
            account_id=account_id,
            target=f"store:{store.id}",
            summary=f"Set option prices in {store.display_name} ({currency}).",
            details={"choices": ids, "currency": currency},
            **by,
        )


async def delete_choice_prices(choice_ids: Iterable[int]) -> None:
    """Remove every price of these choices (they are being deleted)."""
    ids = list(choice_ids)
    if ids:
        await Price.delete().where((Price.target == PriceTarget.CHOICE) & Price.target_id.is_in(ids))
