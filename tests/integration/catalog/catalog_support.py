"""Helpers of the catalogue tests (import as `catalog_support`): stores, products, prices, form posts."""

from __future__ import annotations

from typing import Any

import factories as f

from panel.core.accounts.tables import Account
from panel.core.catalog.tables import Price, PriceTarget, Product, ProductGroup, StoreProduct
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
    """A store row, written directly."""
    store = Store(name=name, slug=slug, kind=kind, reseller=reseller, is_default=default, currency=currency, **columns)
    return int((await Store.insert(store).returning(Store.id))[0]["id"])


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


async def client_of(authz: Any, email: str, store_id: int, name: str | None = None) -> tuple[int, int]:
    """A user owning an account bound to `store_id`: (user id, account id)."""
    user_id = await f.user(authz, email)
    account_id = await f.account(authz, name or email.split("@")[0].title(), user_id)
    await Account.update({Account.store: store_id}).where(Account.id == account_id)
    return user_id, account_id


async def login_as(client: Any, email: str) -> None:
    """Forget any earlier login and log in through the form."""
    client.cookies.clear()
    answer = await f.login(client, email)
    assert answer.status_code in (302, 303), answer.text


async def post_form(client: Any, path: str, data: dict[str, Any] | list[tuple[str, str]] | None = None) -> Any:
    """POST a form with the CSRF token (repeated keys for lists), without following the redirect."""
    items = list(data.items()) if isinstance(data, dict) else list(data or [])
    form: dict[str, Any] = {}
    for key, value in [*items, ("_csrf_token", f.csrf(client))]:
        if key in form:
            form[key] = [*(form[key] if isinstance(form[key], list) else [form[key]]), value]
        else:
            form[key] = value
    return await client.post(path, data=form, follow_redirects=False)
