"""Carts, promotions, tax rules and orders.

A cart belongs to a browser (a random token in a cookie, stored hashed) until its
visitor logs in; then it belongs to the user too, so it survives logging in and
moving between devices. Checkout turns a cart into an `Order` with its lines, its
pending services and its invoice, in one transaction.
"""

from __future__ import annotations

from typing import Any

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from panel.core.accounts.tables import Account
from panel.core.auth.tables import User
from panel.core.catalog.tables import Product
from panel.core.stores.tables import Store


class Cart(Table, tablename="panel_order_cart"):
    """A shopping cart in one store."""

    id: Serial  # added by Piccolo; declared for type checkers

    token_hash = Varchar(length=64, unique=True, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=True, index=True)
    store = ForeignKey(references=Store, on_delete=OnDelete.cascade)
    currency = Varchar(length=3)
    promo_code = Varchar(length=40, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class CartItem(Table, tablename="panel_order_cart_item"):
    """A product in a cart, with its cycle, option choices and checkout fields.

    An addon is either under its product's item (`parent`), or, bought later for a
    service the account already has, on its own with `for_service` naming that service.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    cart = ForeignKey(references=Cart, on_delete=OnDelete.cascade, index=True)
    product = ForeignKey(references=Product, on_delete=OnDelete.cascade)
    parent: ForeignKey[Any] = ForeignKey(references="self", on_delete=OnDelete.cascade, null=True)
    cycle = Varchar(length=12)
    quantity = Integer(default=1)
    options = JSON(default="{}")
    fields = JSON(default="{}")
    for_service = Integer(null=True, default=None)


class PromoKind:
    """Values of `PromoCode.kind`."""

    PERCENT = "percent"
    FIXED = "fixed"


class PromoCode(Table, tablename="panel_order_promo"):
    """A discount code: a percentage (`value` in basis points) or a fixed amount (minor units)."""

    id: Serial  # added by Piccolo; declared for type checkers

    code = Varchar(length=40, unique=True, index=True)
    kind = Varchar(length=10, default=PromoKind.PERCENT)
    value = BigInt(default=0)
    currency = Varchar(length=3, default="")
    store = ForeignKey(references=Store, on_delete=OnDelete.cascade, null=True)
    # product ids it applies to; empty: every product
    products = JSON(default="[]")
    recurring = Boolean(default=False)
    max_uses = Integer(default=0)
    uses = Integer(default=0)
    expires_at = Timestamptz(null=True, default=None)
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class TaxRule(Table, tablename="panel_order_tax_rule"):
    """Tax at `rate_bp` for buyers in `country` (and `region`, '' for all of it).

    `reverse_charge`: a buyer with a VAT id in another country than the store's
    `home_country` pays no tax here; the invoice says "reverse charge".
    """

    id: Serial  # added by Piccolo; declared for type checkers

    store = ForeignKey(references=Store, on_delete=OnDelete.cascade, null=True, index=True)
    name = Varchar(length=60, default="VAT")
    country = Varchar(length=2, index=True)
    region = Varchar(length=100, default="")
    rate_bp = Integer(default=0)
    reverse_charge = Boolean(default=False)
    home_country = Varchar(length=2, default="")


class OrderStatus:
    """Values of `Order.status`."""

    PENDING = "pending"
    PAID = "paid"
    CANCELLED = "cancelled"

    ALL = (PENDING, PAID, CANCELLED)


class Order(Table, tablename="panel_order"):
    """A placed order: what was bought, by whom, for which account, at which prices."""

    id: Serial  # added by Piccolo; declared for type checkers

    number = Varchar(length=40, unique=True, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, index=True)
    store = ForeignKey(references=Store, on_delete=OnDelete.restrict, index=True)
    placed_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    status = Varchar(length=12, default=OrderStatus.PENDING, index=True)
    currency = Varchar(length=3)
    subtotal = BigInt(default=0)
    discount = BigInt(default=0)
    tax = BigInt(default=0)
    total = BigInt(default=0)
    promo_code = Varchar(length=40, default="")
    invoice_id = Integer(null=True, default=None, index=True)
    ip = Varchar(length=45, default="")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    paid_at = Timestamptz(null=True, default=None)


class OrderItem(Table, tablename="panel_order_item"):
    """One line of an order; `service_id` is the service it created."""

    id: Serial  # added by Piccolo; declared for type checkers

    order = ForeignKey(references=Order, on_delete=OnDelete.cascade, index=True)
    product = ForeignKey(references=Product, on_delete=OnDelete.restrict)
    parent: ForeignKey[Any] = ForeignKey(references="self", on_delete=OnDelete.cascade, null=True)
    description = Varchar(length=255)
    product_type = Varchar(length=80)
    cycle = Varchar(length=12)
    quantity = Integer(default=1)
    unit_amount = BigInt(default=0)
    setup_fee = BigInt(default=0)
    discount = BigInt(default=0)
    recurring_amount = BigInt(default=0)
    options = JSON(default="{}")
    fields = JSON(default="{}")
    service_id = Integer(null=True, default=None)
