"""Helpers of the catalogue tests (import as `catalog_support`): groups, products and prices.

Stores, clients, logins and form posts are the shared ones of `factories`, re-exported here.
"""

from __future__ import annotations

from factories import client_of, login_as, make_store, post_form

from panel.core.catalog.tables import Price, PriceTarget, Product, ProductGroup, StoreProduct

__all__ = ["client_of", "login_as", "make_group", "make_product", "make_store", "post_form", "sell", "set_prices"]


async def make_group(name: str, slug: str, sort: int = 0, hidden: bool = False) -> int:
    """A product group row."""
    group = ProductGroup(name=name, slug=slug, sort=sort, hidden=hidden)
    return int((await ProductGroup.insert(group).returning(ProductGroup.id))[0]["id"])


async def make_product(
    slug: str, group: int | None = None, *, kind: str = "product", active: bool = True, product_type: str = "x.plan"
) -> int:
    """A product row (the type is just a name: pricing does not care)."""
    product = Product(
        name=slug.replace("-", " ").title(),
        slug=slug,
        group=group,
        kind=kind,
        product_type=product_type,
        is_active=active,
        description=f"About {slug}.",
    )
    return int((await Product.insert(product).returning(Product.id))[0]["id"])


async def sell(store_id: int, product_id: int, prices: dict[str, tuple[int, int]], currency: str = "USD") -> None:
    """Enable a product in a store and give it {cycle: (amount, setup fee)} there."""
    await StoreProduct.insert(StoreProduct(store=store_id, product=product_id))
    await set_prices(store_id, product_id, prices, currency)


async def set_prices(store_id: int, product_id: int, prices: dict[str, tuple[int, int]], currency: str = "USD") -> None:
    """Price rows of a product in a store and currency."""
    for cycle, (amount, setup) in prices.items():
        await Price.insert(
            Price(
                store=store_id,
                target=PriceTarget.PRODUCT,
                target_id=product_id,
                currency=currency,
                cycle=cycle,
                amount=amount,
                setup_fee=setup,
            )
        )
