"""Online stores: the provider's own and its resellers'.

A store decides what its clients may buy, at which prices, and on which terms
(its policies). `kind` says where products and prices come from:

- `provider`: a store of the provider, with its own products and prices.
- `reseller`: a reseller's store with its own products (from the provider's
  catalogue) and its own prices; `reseller` is the reseller's account.
- `reseller_catalog`: the provider's default store's catalogue and prices, less
  the reseller's tier discount; `reseller` is the reseller's account.
"""

from __future__ import annotations

from typing import Any

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table


class StoreKind:
    """Values of `Store.kind`."""

    PROVIDER = "provider"
    RESELLER = "reseller"
    RESELLER_CATALOG = "reseller_catalog"

    ALL = (PROVIDER, RESELLER, RESELLER_CATALOG)


class Store(Table, tablename="panel_store"):
    """A store with its own name, currency, branding and policies."""

    id: Serial  # added by Piccolo; declared for type checkers

    name = Varchar(length=200)
    slug = Varchar(length=60, unique=True, index=True)
    currency = Varchar(length=3, default="USD")
    is_default = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())

    kind = Varchar(length=20, default=StoreKind.PROVIDER)
    reseller: ForeignKey[Any] = ForeignKey(
        references=LazyTableReference("Account", module_path="panel.core.accounts.tables"),
        on_delete=OnDelete.restrict,
        null=True,
        index=True,
    )
    is_active = Boolean(default=True)
    # Branding, shown on the storefront, the client area, invoices and emails.
    brand_name = Varchar(length=200, default="")
    accent_color = Varchar(length=7, default="")
    logo_url = Varchar(length=500, default="")
    contact_instructions = Text(default="")
    invoice_prefix = Varchar(length=20, default="")
    # Policies (see docs/stores.md for how each is applied).
    setup_fees_allowed = Boolean(default=True)
    full_prepayment = Boolean(default=True)
    money_back_days = Integer(default=0)
    auto_renew = Boolean(default=False)
    # {product type name: minimum months}, e.g. {"core.hosting_plan": 12}
    min_contract_months = JSON(default="{}")
    # product type names not refunded on early termination, e.g. ["domains.registration"]
    non_refundable_types = JSON(default="[]")
    show_client_area_link = Boolean(default=True)
    clients_can_change_username = Boolean(default=True)


class ResellerTier(Table, tablename="panel_reseller_tier"):
    """A reseller discount tier: from `min_services` active services, `discount_bp` off."""

    id: Serial  # added by Piccolo; declared for type checkers

    name = Varchar(length=100)
    min_services = Integer(default=0)
    discount_bp = Integer(default=0)
