"""A small catalogue for the orders tests, written straight into the tables.

The catalogue's admin pages are another feature's; these tests only need rows. Two
product types are registered by `TEST_TYPES`, a plugin made for these tests:
`test.plan` (no checkout fields) and `test.domain` (asks for a domain name).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import factories as f

from panel.core.accounts.tables import Account
from panel.core.auth.tables import User
from panel.core.billing.tables import Invoice, InvoiceLine
from panel.core.catalog.tables import (
    ConfigOption,
    OptionChoice,
    Price,
    PriceTarget,
    Product,
    ProductAddon,
    ProductKind,
    StoreProduct,
)
from panel.core.contacts.tables import Contact
from panel.core.orders.tables import CartItem, Order, OrderItem
from panel.core.services.tables import Service
from panel.core.stores.tables import Store
from panel.errors import ValidationFailed
from panel.plugin import PluginMeta, hookimpl
from panel.product_types import ProductType
from panel.settings import Setting


class TestPlan(ProductType):
    """A plan with nothing to ask at checkout."""

    name = "test.plan"
    label = "Test plan"


class TestDomain(ProductType):
    """Asks for a domain name at checkout and lower-cases it."""

    name = "test.domain"
    label = "Test domain"
    checkout_fields = (Setting("domain", "a domain name", required=True),)

    async def validate_checkout(self, fields: Mapping[str, str], product_config: Mapping[str, Any]) -> dict[str, Any]:
        domain = str(fields.get("domain") or "").strip().lower()
        if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", domain):
            raise ValidationFailed({"domain": "Enter a domain name like example.com."})
        return {"domain": domain}


PAID: list[dict[str, Any]] = []
"""`panel_on_invoice_paid` calls the test plugin received (emptied by the `app` fixture)."""


class _TestTypes:
    PLUGIN_META = PluginMeta(name="orders_test", version="0.1.0", summary="product types for the orders tests")

    @staticmethod
    @hookimpl
    def panel_register_product_types(register: Callable[[ProductType], None]) -> None:
        register(TestPlan())
        register(TestDomain())

    @staticmethod
    @hookimpl
    def panel_on_invoice_paid(invoice_id: int, account_id: int, order_id: int | None) -> None:
        PAID.append({"invoice_id": invoice_id, "account_id": account_id, "order_id": order_id})


TEST_TYPES = _TestTypes


@dataclass(frozen=True)
class Shop:
    """Ids of the test catalogue.

    Main store (default, USD) sells Starter (monthly 10.00 / annual 100.00, setup 5.00,
    option disk 10gb free / 50gb +3.00 a month), its addon Backups (monthly 2.00 /
    annual 20.00) and Domain (annual 15.00 only). Acme (EUR) sells Starter (monthly
    9.00) and Pro (monthly 30.00), which Main does not sell.
    """

    main: int
    acme: int
    starter: int
    backups: int
    domain: int
    pro: int


async def store(name: str, slug: str, currency: str = "USD", default: bool = False) -> int:
    row = await Store.insert(Store(name=name, slug=slug, currency=currency, is_default=default)).returning(Store.id)
    return int(row[0]["id"])


async def product(name: str, slug: str, ptype: str = "test.plan", kind: str = ProductKind.PRODUCT) -> int:
    row = await Product.insert(Product(name=name, slug=slug, product_type=ptype, kind=kind)).returning(Product.id)
    return int(row[0]["id"])


async def sell(store_id: int, product_id: int, currency: str, prices: dict[str, int], setup: int = 0) -> None:
    await StoreProduct.insert(StoreProduct(store=store_id, product=product_id))
    for cycle, amount in prices.items():
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


async def build_shop() -> Shop:
    main = await store("Main store", "main", "USD", default=True)
    acme = await store("Acme Reseller", "acme", "EUR")
    starter = await product("Starter", "starter")
    backups = await product("Backups", "backups", kind=ProductKind.ADDON)
    domain = await product("Domain", "domain", "test.domain")
    pro = await product("Pro", "pro")
    await sell(main, starter, "USD", {"monthly": 1000, "annual": 10000}, setup=500)
    await sell(main, backups, "USD", {"monthly": 200, "annual": 2000})
    await sell(main, domain, "USD", {"annual": 1500})
    await sell(acme, starter, "EUR", {"monthly": 900})
    await sell(acme, pro, "EUR", {"monthly": 3000})
    await ProductAddon.insert(ProductAddon(product=starter, addon=backups))
    option = (
        await ConfigOption.insert(ConfigOption(product=starter, name="disk", label="Disk")).returning(ConfigOption.id)
    )[0]["id"]
    await OptionChoice.insert(OptionChoice(option=option, value="10gb", label="10 GB", sort=0))
    big = (
        await OptionChoice.insert(OptionChoice(option=option, value="50gb", label="50 GB", sort=1)).returning(
            OptionChoice.id
        )
    )[0]["id"]
    for cycle, amount in {"monthly": 300, "annual": 3000}.items():
        await Price.insert(
            Price(store=main, target=PriceTarget.CHOICE, target_id=big, currency="USD", cycle=cycle, amount=amount)
        )
    return Shop(main, acme, starter, backups, domain, pro)


async def bind(account_id: int, store_id: int) -> None:
    """Bind an account to a store."""
    await Account.update({Account.store: store_id}).where(Account.id == account_id)


async def add(client: Any, product_id: int, cycle: str, **extra: Any) -> Any:
    """Post the storefront's "Add to cart" form."""
    if not f.csrf(client):
        await client.get("/cart")
    data = {"product_id": str(product_id), "cycle": cycle, "_csrf_token": f.csrf(client), **extra}
    return await client.post("/cart/items", data=data, follow_redirects=False)


async def post(client: Any, url: str, **data: Any) -> Any:
    """Post a form with the CSRF token."""
    if not f.csrf(client):
        await client.get("/cart")
    return await client.post(url, data={**data, "_csrf_token": f.csrf(client)}, follow_redirects=False)


SIGNUP = {
    "name": "Nina Novak",
    "email": "nina@example.com",
    "password": "a long enough password",
    "confirm_password": "a long enough password",
    "company": "Novak s.r.o.",
    "address1": "Main street 1",
    "city": "Praha",
    "postcode": "110 00",
    "country": "CZ",
}


async def counts() -> dict[str, int]:
    """Rows of every table checkout writes."""
    return {
        "users": await User.count(),
        "accounts": await Account.count(),
        "contacts": await Contact.count(),
        "orders": await Order.count(),
        "order_items": await OrderItem.count(),
        "services": await Service.count(),
        "invoices": await Invoice.count(),
        "invoice_lines": await InvoiceLine.count(),
        "cart_items": await CartItem.count(),
    }


async def place(
    product_types: Mapping[str, ProductType],
    account_id: int,
    items: list[tuple[int, str]],
    *,
    store_id: int,
    promo: str = "",
    user_id: int | None = None,
) -> Any:
    """Fill a fresh cart through the services and check it out for `account_id` (returns `Placed`)."""
    from panel.core.orders.placing import place_order

    cart_id = await new_cart(product_types, items, store_id=store_id, promo=promo)
    return await place_order(cart_id=cart_id, account_id=account_id, placed_by=user_id, product_types=product_types)


async def new_cart(
    product_types: Mapping[str, ProductType], items: list[tuple[int, str]], *, store_id: int, promo: str = ""
) -> int:
    """A fresh cart in a store with these (product, cycle) items and promo code; returns its id."""
    from panel.core.orders import cart as carts

    opened = await carts.open_cart(carts.Visitor(), store_id, create=True)
    cart_id = carts.cart_id_of(opened)
    for product_id, cycle in items:
        await carts.add_item(cart_id, product_types, carts.ItemRequest(product_id, cycle))
    if promo:
        await carts.apply_promo(cart_id, promo)
    return cart_id
