"""Where products are sold and what goes with them: store enablement and addons."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from panel.core import db
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.catalog.services import PRODUCT_COLUMNS, ProductView, get_product, product_view
from panel.core.catalog.tables import Product, ProductAddon, ProductKind, StoreProduct
from panel.core.stores.tables import Store, StoreKind
from panel.errors import ValidationFailed

# -- where a product is sold --------------------------------------------------------------


async def enabled_stores(product_id: int) -> set[int]:
    """Ids of the stores that enable the product."""
    rows = await StoreProduct.select(StoreProduct.store).where(StoreProduct.product == product_id)
    return {int(r["store"]) for r in rows}


async def set_enabled(product_id: int, store_ids: Iterable[int], *, by: AuditContext = SYSTEM) -> None:
    """Enable the product in exactly `store_ids`.

    A `reseller_catalog` store sells its provider store's products, so it cannot be chosen.
    """
    product = await get_product(product_id)
    wanted = set(store_ids)
    rows = await Store.select(Store.id, Store.kind).where(Store.id.is_in(sorted(wanted) or [0]))
    kinds = {int(r["id"]): r["kind"] for r in rows}
    if set(kinds) != wanted or StoreKind.RESELLER_CATALOG in kinds.values():
        raise ValidationFailed({"stores": "Choose stores that have products of their own."})
    now = await enabled_stores(product_id)
    add, remove = wanted - now, now - wanted
    if not add and not remove:
        return
    async with db.write_transaction():
        if remove:
            await StoreProduct.delete().where(
                (StoreProduct.product == product_id) & StoreProduct.store.is_in(sorted(remove))
            )
        for store_id in sorted(add):
            await StoreProduct.insert(StoreProduct(store=store_id, product=product_id))
        await record(
            "catalog.product_stores",
            account_id=None,
            target=f"product:{product_id}",
            summary=f"Changed where {product.name} is sold.",
            details={"added": sorted(add), "removed": sorted(remove)},
            **by,
        )


async def set_store_products(
    store_id: int,
    product_ids: Iterable[int],
    offerable: Collection[int],
    *,
    account_id: int | None = None,
    by: AuditContext = SYSTEM,
) -> None:
    """Enable exactly `product_ids` in one store, each of which must be in `offerable`.

    Products enabled there but not offerable (e.g. deactivated since) are left alone.
    `account_id` is the account the change is audited in (the reseller's).
    """
    wanted = set(product_ids)
    if not wanted <= set(offerable):
        raise ValidationFailed({"products": "Choose products from the list."})
    rows = await StoreProduct.select(StoreProduct.product).where(StoreProduct.store == store_id)
    now = {int(r["product"]) for r in rows} & set(offerable)
    add, remove = wanted - now, now - wanted
    if not add and not remove:
        return
    async with db.write_transaction():
        if remove:
            await StoreProduct.delete().where(
                (StoreProduct.store == store_id) & StoreProduct.product.is_in(sorted(remove))
            )
        for product_id in sorted(add):
            await StoreProduct.insert(StoreProduct(store=store_id, product=product_id))
        await record(
            "store.products",
            account_id=account_id,
            target=f"store:{store_id}",
            summary="Changed which products the store sells.",
            details={"added": sorted(add), "removed": sorted(remove)},
            **by,
        )


# -- addons -------------------------------------------------------------------------------


async def addons_of(product_id: int) -> list[ProductView]:
    """The addons that may be bought with a product."""
    links = await ProductAddon.select(ProductAddon.addon).where(ProductAddon.product == product_id)
    ids = [int(r["addon"]) for r in links]
    if not ids:
        return []
    rows = await Product.select(*PRODUCT_COLUMNS).where(Product.id.is_in(ids)).order_by(Product.sort)
    return [product_view(r) for r in rows]


async def all_addons() -> list[ProductView]:
    """Every addon of the catalogue, to choose from."""
    rows = await Product.select(*PRODUCT_COLUMNS).where(Product.kind == ProductKind.ADDON).order_by(Product.name)
    return [product_view(r) for r in rows]


async def set_addons(product_id: int, addon_ids: Iterable[int], *, by: AuditContext = SYSTEM) -> None:
    """The addons that apply to a product, exactly these."""
    product = await get_product(product_id)
    wanted = set(addon_ids) - {product_id}
    if wanted:
        found = await Product.select(Product.id).where(
            Product.id.is_in(sorted(wanted)) & (Product.kind == ProductKind.ADDON)
        )
        if {int(r["id"]) for r in found} != wanted:
            raise ValidationFailed({"addons": "Choose addons from the list."})
    async with db.write_transaction():
        await ProductAddon.delete().where(ProductAddon.product == product_id)
        for addon_id in sorted(wanted):
            await ProductAddon.insert(ProductAddon(product=product_id, addon=addon_id))
        await record(
            "catalog.product_addons",
            account_id=None,
            target=f"product:{product_id}",
            summary=f"Changed the addons of {product.name}.",
            details={"addons": sorted(wanted)},
            **by,
        )


async def products_of_store(store_id: int, *, active_only: bool = True) -> list[ProductView]:
    """The products (and addons) a store enables, by group and sort order (two queries)."""
    ids = [
        int(r["product"]) for r in await StoreProduct.select(StoreProduct.product).where(StoreProduct.store == store_id)
    ]
    if not ids:
        return []
    query = Product.select(*PRODUCT_COLUMNS).where(Product.id.is_in(ids))
    if active_only:
        query = query.where(Product.is_active.eq(True))
    rows = await query.order_by(Product.group.sort).order_by(Product.sort).order_by(Product.name)
    return [product_view(r) for r in rows]
