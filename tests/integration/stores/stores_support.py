"""Helpers of the stores tests (import as `stores_support`): store forms, products and services.

Stores, clients, logins and form posts are the shared ones of `factories`, re-exported here.
"""

from __future__ import annotations

from typing import Any

from factories import bind, client_of, login_as, make_store, post_form

__all__ = ["bind", "client_of", "login_as", "make_product", "make_service", "make_store", "post_form", "store_form"]


def store_form(**changes: Any) -> dict[str, str]:
    """A valid admin store form (ticked boxes as "on"); `changes` replace or drop (None) fields."""
    form = {
        "name": "Main store",
        "slug": "main",
        "currency": "USD",
        "kind": "provider",
        "reseller_id": "",
        "is_active": "on",
        "setup_fees_allowed": "on",
        "full_prepayment": "on",
        "money_back_days": "30",
        "show_client_area_link": "on",
        "clients_can_change_username": "on",
        "brand_name": "",
        "accent_color": "",
        "logo_url": "",
        "contact_instructions": "",
        "invoice_prefix": "",
    }
    for key, value in changes.items():
        if value is None:
            form.pop(key, None)
        else:
            form[key] = value
    return form


async def make_product(slug: str, product_type: str = "dummy.thing", *, active: bool = True) -> int:
    """A product row (its type is just a name: pricing and stores do not care)."""
    from panel.core.catalog.tables import Product

    row = await Product.insert(
        Product(name=slug.title(), slug=slug, product_type=product_type, is_active=active)
    ).returning(Product.id)
    return int(row[0]["id"])


async def make_service(
    account_id: int, store_id: int, product_id: int, status: str = "active", show_link: bool | None = None
) -> int:
    """A service row of an account in a store."""
    from panel.core.services.tables import Service

    row = await Service.insert(
        Service(
            account=account_id,
            store=store_id,
            product=product_id,
            product_type="dummy.thing",
            status=status,
            cycle="monthly",
            currency="USD",
            show_client_area_link=show_link,
        )
    ).returning(Service.id)
    return int(row[0]["id"])
