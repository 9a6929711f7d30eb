"""What a product costs in a store: the one place prices are looked up.

Checkout, the storefront, renewals and the admin area all ask here, so a store's
kind (own prices, or the provider's catalogue less the reseller's discount) and its
policies (setup fees allowed or not) apply everywhere alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from panel.core.catalog.tables import Cycle, Price, PriceTarget, Product, StoreProduct
from panel.core.stores.tables import Store, StoreKind
from panel.errors import NotFound, ValidationFailed
from panel.money import percent_of


@dataclass(frozen=True)
class Quote:
    """The price of one product (or option choice) in one cycle, in the store's currency.

    `amount` is charged every cycle (once for `onetime`, never for `free`), after the
    reseller discount `discount_bp` (0 outside `reseller_catalog` stores) was taken
    off `list_amount`. `setup_fee` is charged with the first invoice only.
    """

    product_id: int
    cycle: str
    currency: str
    amount: int
    setup_fee: int
    list_amount: int
    discount_bp: int = 0

    @property
    def months(self) -> int:
        """Length of the cycle in months; 0 for one-time and free."""
        return Cycle.MONTHS[self.cycle]


async def _store(store_id: int) -> dict[str, object]:
    row = await Store.select().where(Store.id == store_id).first()
    if row is None:
        raise NotFound("That store does not exist.")
    return row


async def price_source(store: dict[str, object]) -> int:
    """The store whose products and prices `store` sells: itself, or the provider's default store."""
    if store["kind"] != StoreKind.RESELLER_CATALOG:
        return int(str(store["id"]))
    row = await Store.select(Store.id).where(Store.is_default.eq(True)).first()
    if row is None:
        raise NotFound("The provider has no default store to sell from.")
    return int(row["id"])


async def reseller_discount_bp(store: dict[str, object]) -> int:
    """The discount clients of a `reseller_catalog` store get: their reseller's tier."""
    if store["kind"] != StoreKind.RESELLER_CATALOG or not store["reseller"]:
        return 0
    from panel.core.stores import tiers

    return await tiers.discount_bp(int(str(store["reseller"])))


async def sells(store_id: int, product_id: int) -> bool:
    """Whether the store sells this product (enabled there and active)."""
    store = await _store(store_id)
    source = await price_source(store)
    return bool(
        await StoreProduct.exists().where(
            (StoreProduct.store == source)
            & (StoreProduct.product == product_id)
            & (StoreProduct.product._.is_active.eq(True))
        )
    )


async def quotes(store_id: int, product_id: int) -> list[Quote]:
    """Every cycle the store offers the product in, shortest first; [] if it is not sold."""
    return (await store_quotes(store_id, [product_id])).get(product_id, [])


async def store_quotes(store_id: int, product_ids: Iterable[int]) -> dict[int, list[Quote]]:
    """`quotes` for many products of one store at once (a storefront page): a fixed number of queries.

    Products the store does not sell (not enabled, inactive, or without a price in the
    store's currency) are left out of the answer.
    """
    wanted = sorted(set(product_ids))
    if not wanted:
        return {}
    store = await _store(store_id)
    source = await price_source(store)
    sold = [
        int(r["product"])
        for r in await StoreProduct.select(StoreProduct.product).where(
            (StoreProduct.store == source)
            & StoreProduct.product.is_in(wanted)
            & (StoreProduct.product._.is_active.eq(True))
        )
    ]
    if not sold:
        return {}
    discount = await reseller_discount_bp(store)
    rows = await Price.select().where(
        (Price.store == source)
        & (Price.target == PriceTarget.PRODUCT)
        & Price.target_id.is_in(sold)
        & (Price.currency == store["currency"])
    )
    order = {c: i for i, c in enumerate(Cycle.ALL)}
    out: dict[int, list[Quote]] = {}
    for r in rows:
        if r["cycle"] in order:
            out.setdefault(int(r["target_id"]), []).append(_quote(int(r["target_id"]), r, store, discount))
    for offered in out.values():
        offered.sort(key=lambda q: order[q.cycle])
    return out


def _quote(product_id: int, row: dict[str, object], store: dict[str, object], discount: int) -> Quote:
    list_amount = int(str(row["amount"]))
    setup = int(str(row["setup_fee"])) if store["setup_fees_allowed"] else 0
    if row["cycle"] == Cycle.FREE:
        list_amount, setup = 0, 0
    return Quote(
        product_id=product_id,
        cycle=str(row["cycle"]),
        currency=str(row["currency"]),
        amount=list_amount - percent_of(list_amount, discount),
        setup_fee=setup,
        list_amount=list_amount,
        discount_bp=discount,
    )


async def quote(store_id: int, product_id: int, cycle: str) -> Quote:
    """The price of a product in one cycle; a clear error if the store does not sell it so."""
    if cycle not in Cycle.ALL:
        raise ValidationFailed({"cycle": "Choose a billing cycle."})
    offered = await quotes(store_id, product_id)
    if not offered:
        if not await Product.exists().where(Product.id == product_id):
            raise NotFound("That product does not exist.")
        raise ValidationFailed({"product": "This product is not sold in your store."})
    for q in offered:
        if q.cycle == cycle:
            return q
    names = ", ".join(Cycle.LABELS[q.cycle].lower() for q in offered)
    raise ValidationFailed({"cycle": f"This product is not offered {Cycle.LABELS[cycle].lower()}; choose {names}."})


async def choice_price(store_id: int, choice_id: int, cycle: str) -> int:
    """Price of one unit of an option choice in a cycle (0 when the store sets none)."""
    store = await _store(store_id)
    source = await price_source(store)
    row = (
        await Price.select(Price.amount)
        .where(
            (Price.store == source)
            & (Price.target == PriceTarget.CHOICE)
            & (Price.target_id == choice_id)
            & (Price.currency == store["currency"])
            & (Price.cycle == cycle)
        )
        .first()
    )
    amount = int(row["amount"]) if row else 0
    return amount - percent_of(amount, await reseller_discount_bp(store))


async def choice_prices(store_id: int, choice_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """{choice id: {cycle: price}} for many option choices of one store at once, after the discount.

    A cycle missing for a choice costs 0 there (see `choice_price`).
    """
    wanted = sorted(set(choice_ids))
    if not wanted:
        return {}
    store = await _store(store_id)
    source = await price_source(store)
    discount = await reseller_discount_bp(store)
    rows = await Price.select(Price.target_id, Price.cycle, Price.amount).where(
        (Price.store == source)
        & (Price.target == PriceTarget.CHOICE)
        & Price.target_id.is_in(wanted)
        & (Price.currency == store["currency"])
    )
    out: dict[int, dict[str, int]] = {}
    for r in rows:
        amount = int(r["amount"])
        out.setdefault(int(r["target_id"]), {})[str(r["cycle"])] = amount - percent_of(amount, discount)
    return out
