"""What a store's visitors see: its groups and products with prices, a product's page, its terms.

Every price comes from `pricing` (so a store's kind, discount and policies apply),
loaded for all products of a page at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from panel.core.catalog import pricing
from panel.core.catalog.options import OptionView, options_of
from panel.core.catalog.tables import Cycle, Product, ProductAddon, ProductKind, StoreProduct
from panel.core.stores.services import StoreView
from panel.core.stores.terms import terms, type_labels
from panel.errors import NotFound
from panel.money import format_money, format_percent
from panel.product_types import ProductType
from panel.settings import Setting


@dataclass(frozen=True)
class PriceLine:
    """One billing cycle of a product in a store, ready to show."""

    cycle: str
    label: str
    currency: str
    amount: int
    setup_fee: int
    list_amount: int
    discount_bp: int
    price: str
    setup: str
    list_price: str


@dataclass(frozen=True)
class ProductCard:
    """A product on a store page."""

    id: int
    name: str
    slug: str
    description: str
    product_type: str
    prices: list[PriceLine]

    @property
    def from_price(self) -> PriceLine:
        """The first (shortest) cycle offered."""
        return self.prices[0]


@dataclass(frozen=True)
class GroupSection:
    """A heading of the store page and its products."""

    name: str
    slug: str
    description: str
    products: list[ProductCard]


@dataclass(frozen=True)
class StorePage:
    """A store's front page."""

    store: StoreView
    groups: list[GroupSection]
    terms: list[str]
    discount: str


@dataclass(frozen=True)
class ChoiceLine:
    """A choice of an option with its extra price per cycle ("monthly": "$3.00"; cycles that cost nothing left out)."""

    id: int
    value: str
    label: str
    prices: dict[str, str]


@dataclass(frozen=True)
class OptionLine:
    """An option as the product page offers it."""

    id: int
    name: str
    label: str
    kind: str
    min_quantity: int
    max_quantity: int
    choices: list[ChoiceLine]


@dataclass(frozen=True)
class ProductPage:
    """A product's page in a store: cycles, addons, options, checkout fields and terms."""

    store: StoreView
    product: ProductCard
    addons: list[ProductCard]
    options: list[OptionLine]
    checkout_fields: list[Setting]
    terms: list[str]
    discount: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def price_line(q: pricing.Quote) -> PriceLine:
    """A quote, formatted."""
    return PriceLine(
        cycle=q.cycle,
        label=Cycle.LABELS.get(q.cycle, q.cycle),
        currency=q.currency,
        amount=q.amount,
        setup_fee=q.setup_fee,
        list_amount=q.list_amount,
        discount_bp=q.discount_bp,
        price="Free" if q.cycle == Cycle.FREE else format_money(q.amount, q.currency),
        setup=format_money(q.setup_fee, q.currency) if q.setup_fee else "",
        list_price=format_money(q.list_amount, q.currency) if q.discount_bp else "",
    )


def _store_row(store: StoreView) -> dict[str, object]:
    return {"id": store.id, "kind": store.kind, "reseller": store.reseller_id}


async def _discount(store: StoreView) -> str:
    bp = await pricing.reseller_discount_bp(_store_row(store))
    return format_percent(bp) if bp else ""


async def store_page(store: StoreView, product_types: Mapping[str, ProductType]) -> StorePage:
    """The store's visible groups (in `sort` order) with their active, priced products (a few queries)."""
    source = await pricing.price_source(_store_row(store))
    rows = (
        await StoreProduct.select(
            StoreProduct.product.id,
            StoreProduct.product.name,
            StoreProduct.product.slug,
            StoreProduct.product.description,
            StoreProduct.product.product_type,
            StoreProduct.product._.group._.id,
            StoreProduct.product._.group._.name,
            StoreProduct.product._.group._.slug,
            StoreProduct.product._.group._.description,
            StoreProduct.product._.group._.sort,
            StoreProduct.product._.group._.hidden,
        )
        .where(
            (StoreProduct.store == source)
            & StoreProduct.product._.is_active.eq(True)
            & (StoreProduct.product.kind == ProductKind.PRODUCT)
            & StoreProduct.product._.group.is_not_null()
        )
        .order_by(StoreProduct.product.sort)
        .order_by(StoreProduct.product.name)
    )
    rows = [r for r in rows if not r["product.group.hidden"]]
    quotes = await pricing.store_quotes(store.id, [r["product.id"] for r in rows])
    sections: dict[int, GroupSection] = {}
    order: dict[int, tuple[int, str]] = {}
    for r in rows:
        offered = quotes.get(r["product.id"])
        if not offered:
            continue
        gid = r["product.group.id"]
        if gid not in sections:
            sections[gid] = GroupSection(
                r["product.group.name"], r["product.group.slug"], r["product.group.description"] or "", []
            )
            order[gid] = (int(r["product.group.sort"]), r["product.group.name"])
        sections[gid].products.append(
            ProductCard(
                r["product.id"],
                r["product.name"],
                r["product.slug"],
                r["product.description"] or "",
                r["product.product_type"],
                [price_line(q) for q in offered],
            )
        )
    groups = [sections[g] for g in sorted(sections, key=lambda g: order[g])]
    return StorePage(store, groups, terms(store, type_labels(product_types)), await _discount(store))


async def product_page(store: StoreView, product_slug: str, product_types: Mapping[str, ProductType]) -> ProductPage:
    """A product the store sells, with its cycles, addons, options and the type's checkout fields.

    `NotFound` when the store does not sell it (not enabled, inactive, an addon, no price).
    """
    row = (
        await Product.select(
            Product.id, Product.name, Product.slug, Product.description, Product.product_type, Product.kind
        )
        .where(Product.slug == product_slug)
        .first()
    )
    if row is None or row["kind"] != ProductKind.PRODUCT:
        raise NotFound("This store does not sell that product.")
    addon_rows = (
        await ProductAddon.select(
            ProductAddon.addon.id,
            ProductAddon.addon.name,
            ProductAddon.addon.slug,
            ProductAddon.addon.description,
            ProductAddon.addon.product_type,
        )
        .where(ProductAddon.product == row["id"])
        .order_by(ProductAddon.addon.sort)
    )
    quotes = await pricing.store_quotes(store.id, [row["id"], *[a["addon.id"] for a in addon_rows]])
    if not quotes.get(row["id"]):
        raise NotFound("This store does not sell that product.")
    product = ProductCard(
        row["id"],
        row["name"],
        row["slug"],
        row["description"] or "",
        row["product_type"],
        [price_line(q) for q in quotes[row["id"]]],
    )
    addons = [
        ProductCard(
            a["addon.id"],
            a["addon.name"],
            a["addon.slug"],
            a["addon.description"] or "",
            a["addon.product_type"],
            [price_line(q) for q in quotes[a["addon.id"]]],
        )
        for a in addon_rows
        if quotes.get(a["addon.id"])
    ]
    options = await _option_lines(store, (await options_of([row["id"]])).get(row["id"], []))
    product_type = product_types.get(row["product_type"])
    return ProductPage(
        store=store,
        product=product,
        addons=addons,
        options=options,
        checkout_fields=list(product_type.checkout_fields) if product_type else [],
        terms=terms(store, type_labels(product_types)),
        discount=await _discount(store),
    )


async def _option_lines(store: StoreView, options: list[OptionView]) -> list[OptionLine]:
    choice_ids = [c.id for o in options for c in o.choices]
    prices = await pricing.choice_prices(store.id, choice_ids)
    order = {c: i for i, c in enumerate(Cycle.ALL)}
    out = []
    for o in options:
        choices = []
        for c in o.choices:
            priced = sorted(((cy, a) for cy, a in prices.get(c.id, {}).items() if a), key=lambda p: order.get(p[0], 99))
            shown = {Cycle.LABELS.get(cy, cy).lower(): format_money(a, store.currency) for cy, a in priced}
            choices.append(ChoiceLine(c.id, c.value, c.label, shown))
        out.append(OptionLine(o.id, o.name, o.label, o.kind, o.min_quantity, o.max_quantity, choices))
    return out
