"""Data for the client-area tests: a store with a product and an addon, accounts, services, invoices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import factories as f
from billing.helpers import client_account, give_credit, issue, make_store  # tests/integration/billing
from services import commerce  # tests/integration/services

from panel.core.catalog.tables import Price, PriceTarget, Product, ProductAddon, ProductKind, StoreProduct
from panel.core.services import provisioning

__all__ = ["Shop", "active_service", "client_account", "give_credit", "issue", "shop"]


@dataclass(frozen=True)
class Shop:
    """Main store (default, EUR) sells Thing (`dummy.thing`, 10.00 monthly) and its addon Daily backups
    (2.00 monthly, 20.00 annually); Unsold backups is an addon of Thing that the store does not sell."""

    store: int
    thing: int
    backups: int
    unsold: int


async def _product(name: str, slug: str, kind: str = ProductKind.PRODUCT) -> int:
    row = await Product.insert(Product(name=name, slug=slug, product_type="dummy.thing", kind=kind)).returning(
        Product.id
    )
    return int(row[0]["id"])


async def _sell(store: int, product: int, prices: dict[str, int]) -> None:
    await StoreProduct.insert(StoreProduct(store=store, product=product))
    for cycle, amount in prices.items():
        await Price.insert(
            Price(
                store=store, target=PriceTarget.PRODUCT, target_id=product, currency="EUR", cycle=cycle, amount=amount
            )
        )


async def shop() -> Shop:
    """The test catalogue (see `Shop`)."""
    store = await make_store(prefix="INV-")
    thing = await _product("Thing", "thing")
    backups = await _product("Daily backups", "daily-backups", ProductKind.ADDON)
    unsold = await _product("Unsold backups", "unsold-backups", ProductKind.ADDON)
    await _sell(store, thing, {"monthly": 1000})
    await _sell(store, backups, {"monthly": 200, "annual": 2000})
    await ProductAddon.insert(ProductAddon(product=thing, addon=backups), ProductAddon(product=thing, addon=unsold))
    return Shop(store, thing, backups, unsold)


async def active_service(app: Any, account_id: int, s: Shop, label: str = "thing.example") -> int:
    """A paid order's Thing, provisioned by its job: an active service of the account."""
    # numbered apart from checkout's ORD-<id>, which a test may place too
    order_id, [service_id] = await commerce.order(
        account_id, s.store, [{"product": s.thing, "type": "dummy.thing", "label": label, "amount": 1000}],
        currency="EUR", number=f"TEST-{account_id}-{label}",
    )  # fmt: skip
    await provisioning.enqueue_order(app.state.settings, order_id)
    await f.run_jobs(app)
    return service_id
