"""The catalogue: product groups, products, addons, configurable options and prices.

A product's `product_type` names a `ProductType` registered by core or a plugin
(`core.hosting_plan`, `domains.registration` ...); `config` holds the values of that
type's `options`. Prices are rows of `Price`, per store, currency and billing cycle:
a store sells a product when `StoreProduct` enables it and it has a price there
(a `reseller_catalog` store uses its provider store's rows).
"""

from __future__ import annotations

from typing import ClassVar

from piccolo.columns import JSON, BigInt, Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from panel.core.stores.tables import Store


class Cycle:
    """Billing cycles and their length in months (0: charged once; free: never)."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"
    BIENNIAL = "biennial"
    TRIENNIAL = "triennial"
    ONETIME = "onetime"
    FREE = "free"

    MONTHS: ClassVar[dict[str, int]] = {
        MONTHLY: 1,
        QUARTERLY: 3,
        SEMIANNUAL: 6,
        ANNUAL: 12,
        BIENNIAL: 24,
        TRIENNIAL: 36,
        ONETIME: 0,
        FREE: 0,
    }
    LABELS: ClassVar[dict[str, str]] = {
        MONTHLY: "Monthly",
        QUARTERLY: "Quarterly",
        SEMIANNUAL: "Semi-annually",
        ANNUAL: "Annually",
        BIENNIAL: "Every 2 years",
        TRIENNIAL: "Every 3 years",
        ONETIME: "One time",
        FREE: "Free",
    }
    ALL = tuple(MONTHS)


class ProductGroup(Table, tablename="panel_catalog_group"):
    """A heading of the storefront: "Shared hosting", "Domains", "SSL"."""

    id: Serial  # added by Piccolo; declared for type checkers

    name = Varchar(length=200)
    slug = Varchar(length=80, unique=True, index=True)
    description = Text(default="")
    sort = Integer(default=0)
    hidden = Boolean(default=False)


class ProductKind:
    """Values of `Product.kind`."""

    PRODUCT = "product"
    ADDON = "addon"


class Product(Table, tablename="panel_catalog_product"):
    """Something a store can sell; an addon is sold only with a product it applies to."""

    id: Serial  # added by Piccolo; declared for type checkers

    group = ForeignKey(references=ProductGroup, on_delete=OnDelete.restrict, null=True, index=True)
    kind = Varchar(length=10, default=ProductKind.PRODUCT)
    name = Varchar(length=200)
    slug = Varchar(length=80, unique=True, index=True)
    description = Text(default="")
    product_type = Varchar(length=80, index=True)
    config = JSON(default="{}")
    is_active = Boolean(default=True)
    sort = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class ProductAddon(Table, tablename="panel_catalog_product_addon"):
    """Addon `addon` may be bought with product `product`."""

    id: Serial  # added by Piccolo; declared for type checkers

    product = ForeignKey(references=Product, on_delete=OnDelete.cascade, index=True)
    addon = ForeignKey(references=Product, on_delete=OnDelete.cascade, index=True)


class OptionKind:
    """Values of `ConfigOption.kind`."""

    SELECT = "select"
    QUANTITY = "quantity"
    YESNO = "yesno"


class ConfigOption(Table, tablename="panel_catalog_option"):
    """A choice the client makes when ordering: disk size, location, extra IPs."""

    id: Serial  # added by Piccolo; declared for type checkers

    product = ForeignKey(references=Product, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=60)
    label = Varchar(length=200)
    kind = Varchar(length=10, default=OptionKind.SELECT)
    min_quantity = Integer(default=0)
    max_quantity = Integer(default=0)
    sort = Integer(default=0)


class OptionChoice(Table, tablename="panel_catalog_option_choice"):
    """One value of a select option (or the single priced unit of quantity/yes-no)."""

    id: Serial  # added by Piccolo; declared for type checkers

    option = ForeignKey(references=ConfigOption, on_delete=OnDelete.cascade, index=True)
    value = Varchar(length=100)
    label = Varchar(length=200)
    sort = Integer(default=0)


class StoreProduct(Table, tablename="panel_catalog_store_product"):
    """Store `store` sells `product` (addons too)."""

    id: Serial  # added by Piccolo; declared for type checkers

    store = ForeignKey(references=Store, on_delete=OnDelete.cascade, index=True)
    product = ForeignKey(references=Product, on_delete=OnDelete.cascade, index=True)


class PriceTarget:
    """Values of `Price.target`: what a price row prices."""

    PRODUCT = "product"  # a product or an addon (target_id = product id)
    CHOICE = "choice"  # an option choice (target_id = choice id), per unit for quantity


class Price(Table, tablename="panel_catalog_price"):
    """The price of one target in one store, currency and billing cycle, in minor units.

    Unique on (store, target, target_id, currency, cycle); the services keep it so.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    store = ForeignKey(references=Store, on_delete=OnDelete.cascade, index=True)
    target = Varchar(length=10, default=PriceTarget.PRODUCT)
    target_id = Integer(index=True)
    currency = Varchar(length=3)
    cycle = Varchar(length=12)
    amount = BigInt(default=0)
    setup_fee = BigInt(default=0)
