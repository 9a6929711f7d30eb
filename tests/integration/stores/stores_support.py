"""Helpers of the stores tests (import as `stores_support`): stores, clients and form posts."""

from __future__ import annotations

from typing import Any

import factories as f

from panel.core.accounts.tables import Account
from panel.core.stores.tables import Store, StoreKind


async def make_store(
    name: str,
    slug: str,
    *,
    kind: str = StoreKind.PROVIDER,
    reseller: int | None = None,
    default: bool = False,
    currency: str = "USD",
    **columns: Any,
) -> int:
    """A store row, written directly (the services are what the tests exercise)."""
    store = Store(name=name, slug=slug, kind=kind, reseller=reseller, is_default=default, currency=currency, **columns)
    row = await Store.insert(store).returning(Store.id)
    return int(row[0]["id"])


async def bind(account_id: int, store_id: int) -> None:
    """Make the account a client of the store."""
    await Account.update({Account.store: store_id}).where(Account.id == account_id)


async def client_of(authz: Any, email: str, store_id: int, name: str | None = None) -> tuple[int, int]:
    """A user owning an account bound to `store_id`: (user id, account id)."""
    user_id = await f.user(authz, email)
    account_id = await f.account(authz, name or email.split("@")[0].title(), user_id)
    await bind(account_id, store_id)
    return user_id, account_id


async def login_as(client: Any, email: str) -> None:
    """Forget any earlier login and log in through the form."""
    client.cookies.clear()
    answer = await f.login(client, email)
    assert answer.status_code in (302, 303), answer.text


async def post_form(client: Any, path: str, data: dict[str, Any] | list[tuple[str, str]] | None = None) -> Any:
    """POST a form with the CSRF token, without following the redirect."""
    items = list(data.items()) if isinstance(data, dict) else list(data or [])
    form: dict[str, Any] = {}
    for key, value in [*items, ("_csrf_token", f.csrf(client))]:
        if key in form:
            form[key] = [*(form[key] if isinstance(form[key], list) else [form[key]]), value]
        else:
            form[key] = value
    return await client.post(path, data=form, follow_redirects=False)


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
