"""Demo catalogue: shared hosting plans, a backup addon and a disk option, in both demo stores.

Idempotent: what exists (found by its address) is left as it is, only what is
missing is added. Prices differ per store and are set in each store's currency.
"""

from __future__ import annotations

import json

from panel.core import db
from panel.core.catalog.tables import (
    ConfigOption,
    Cycle,
    OptionChoice,
    OptionKind,
    Price,
    PriceTarget,
    Product,
    ProductAddon,
    ProductGroup,
    ProductKind,
    StoreProduct,
)

HOSTING = "core.hosting_plan"
MANUAL = "core.manual"
GROUP = ("Shared hosting", "shared-hosting", "Fast SSD hosting for websites and email.")
# slug, name, kind, description, config
PRODUCTS: tuple[tuple[str, str, str, str, dict[str, object]], ...] = (
    ("starter", "Starter", ProductKind.PRODUCT, "One website, 10 GB disk, email included.", {"disk_gb": 10}),
    ("business", "Business", ProductKind.PRODUCT, "Ten websites, 50 GB disk, daily malware scans.", {"disk_gb": 50}),
    (
        "daily-backups",
        "Daily backups",
        ProductKind.ADDON,
        "A backup every night, kept for 30 days.",
        {"instructions": "Switch on nightly backups for the client's hosting account"},
    ),
)
# per store slug: {product slug: {cycle: (amount, setup fee)}} in minor units of the store's currency
PRICES: dict[str, dict[str, dict[str, tuple[int, int]]]] = {
    "main": {
        "starter": {Cycle.MONTHLY: (500, 500), Cycle.ANNUAL: (5000, 0)},
        "business": {Cycle.MONTHLY: (1200, 1000), Cycle.ANNUAL: (12000, 0)},
        "daily-backups": {Cycle.MONTHLY: (200, 0), Cycle.ANNUAL: (2000, 0)},
    },
    "acme": {
        "starter": {Cycle.MONTHLY: (600, 600), Cycle.ANNUAL: (6000, 0)},
        "business": {Cycle.MONTHLY: (1400, 1200), Cycle.ANNUAL: (14000, 0)},
        "daily-backups": {Cycle.MONTHLY: (250, 0), Cycle.ANNUAL: (2500, 0)},
    },
}
DISK_CHOICES = (("10", "10 GB"), ("50", "50 GB"))
# per store slug: {choice value: {cycle: amount}}
DISK_PRICES: dict[str, dict[str, dict[str, int]]] = {
    "main": {"50": {Cycle.MONTHLY: 300, Cycle.ANNUAL: 3000}},
    "acme": {"50": {Cycle.MONTHLY: 350, Cycle.ANNUAL: 3500}},
}
CURRENCY = {"main": "USD", "acme": "EUR"}


async def _group() -> int:
    name, slug, description = GROUP
    row = await ProductGroup.select(ProductGroup.id).where(ProductGroup.slug == slug).first()
    if row is None:
        row = (
            await ProductGroup.insert(ProductGroup(name=name, slug=slug, description=description, sort=10)).returning(
                ProductGroup.id
            )
        )[0]
    return int(row["id"])


async def _products(group_id: int) -> dict[str, int]:
    ids: dict[str, int] = {}
    for sort, (slug, name, kind, description, config) in enumerate(PRODUCTS):
        row = await Product.select(Product.id).where(Product.slug == slug).first()
        if row is None:
            product = Product(
                group=group_id if kind == ProductKind.PRODUCT else None,
                kind=kind,
                name=name,
                slug=slug,
                description=description,
                product_type=HOSTING if kind == ProductKind.PRODUCT else MANUAL,
                config=json.dumps(config),
                sort=sort,
            )
            row = (await Product.insert(product).returning(Product.id))[0]
        ids[slug] = int(row["id"])
    return ids


async def _price(
    store_id: int, target: str, target_id: int, currency: str, cycle: str, amount: int, setup: int
) -> None:
    where = (
        (Price.store == store_id)
        & (Price.target == target)
        & (Price.target_id == target_id)
        & (Price.currency == currency)
        & (Price.cycle == cycle)
    )
    if not await Price.exists().where(where):
        await Price.insert(
            Price(
                store=store_id,
                target=target,
                target_id=target_id,
                currency=currency,
                cycle=cycle,
                amount=amount,
                setup_fee=setup,
            )
        )


async def _disk_option(product_id: int) -> dict[str, int]:
    row = (
        await ConfigOption.select(ConfigOption.id)
        .where((ConfigOption.product == product_id) & (ConfigOption.name == "disk"))
        .first()
    )
    if row is None:
        row = (
            await ConfigOption.insert(
                ConfigOption(product=product_id, name="disk", label="Disk", kind=OptionKind.SELECT)
            ).returning(ConfigOption.id)
        )[0]
    option_id = int(row["id"])
    choices: dict[str, int] = {}
    for sort, (value, label) in enumerate(DISK_CHOICES):
        found = (
            await OptionChoice.select(OptionChoice.id)
            .where((OptionChoice.option == option_id) & (OptionChoice.value == value))
            .first()
        )
        if found is None:
            found = (
                await OptionChoice.insert(
                    OptionChoice(option=option_id, value=value, label=label, sort=sort)
                ).returning(OptionChoice.id)
            )[0]
        choices[value] = int(found["id"])
    return choices


async def load_demo_catalog(store_ids: dict[str, int]) -> None:
    """Add the demo catalogue to the demo stores (`{"main": id, "acme": id}`), once."""
    async with db.write_transaction():
        products = await _products(await _group())
        for slug in ("starter", "business"):
            if not await ProductAddon.exists().where(
                (ProductAddon.product == products[slug]) & (ProductAddon.addon == products["daily-backups"])
            ):
                await ProductAddon.insert(ProductAddon(product=products[slug], addon=products["daily-backups"]))
        disk = {slug: await _disk_option(products[slug]) for slug in ("starter", "business")}
        for store_slug, store_id in store_ids.items():
            if store_slug not in PRICES:
                continue
            currency = CURRENCY[store_slug]
            for product_slug, cycles in PRICES[store_slug].items():
                product_id = products[product_slug]
                if not await StoreProduct.exists().where(
                    (StoreProduct.store == store_id) & (StoreProduct.product == product_id)
                ):
                    await StoreProduct.insert(StoreProduct(store=store_id, product=product_id))
                for cycle, (amount, setup) in cycles.items():
                    await _price(store_id, PriceTarget.PRODUCT, product_id, currency, cycle, amount, setup)
            for choices in disk.values():
                for value, cycles_c in DISK_PRICES[store_slug].items():
                    for cycle, amount in cycles_c.items():
                        await _price(store_id, PriceTarget.CHOICE, choices[value], currency, cycle, amount, 0)
