"""The public storefront (`/store/...`) and its API (`/api/v1/store/{slug}/products`).

Anyone may look: visitors see the default store; a logged-in user working in an
account sees that account's store at `/store`. Each store shows its own branding,
prices and terms; "Add to cart" posts to `/cart/items`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Router, get
from litestar.params import FromPath
from litestar.response import Template

from panel.core.authz.guard import PUBLIC
from panel.core.catalog import storefront
from panel.core.catalog.storefront import ProductCard, StorePage
from panel.core.stores import services as stores
from panel.core.stores.services import StoreView
from panel.core.web.pages import page
from panel.errors import NotFound


async def _store_for(request: Request[Any, Any, Any]) -> StoreView:
    account_id = request.state.get("account_id")
    if account_id is not None:
        store = await stores.store_of_account(account_id)
        if store is not None and store.is_active:
            return store
    store = await stores.default_store()
    if store is None:
        raise NotFound("No store is open yet.")
    return store


async def _render(request: Request[Any, Any, Any], store: StoreView) -> Template:
    data = await storefront.store_page(store, request.app.state.product_types)
    return await page(request, "catalog/store.html", area="public", shop=data, store=store)


@get("/store", authz=PUBLIC)
async def my_store(request: Request[Any, Any, Any]) -> Template:
    """The store of the current account, else the provider's default store."""
    return await _render(request, await _store_for(request))


@get("/store/{slug:str}", authz=PUBLIC)
async def store_page(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    """An open store's groups and products with their prices and the store's terms."""
    return await _render(request, await stores.store_by_slug(slug))


@get("/store/{slug:str}/{product_slug:str}", authz=PUBLIC)
async def product_page(request: Request[Any, Any, Any], slug: FromPath[str], product_slug: FromPath[str]) -> Template:
    """A product: its cycles and prices, setup fee, addons and options, the terms, and "Add to cart"."""
    store = await stores.store_by_slug(slug)
    data = await storefront.product_page(store, product_slug, request.app.state.product_types)
    return await page(request, "catalog/product_page.html", area="public", item=data, store=store)


PAGE_ROUTES = [my_store, store_page, product_page]


# -- API ------------------------------------------------------------------------------------


@dataclass
class StoreInfo:
    """A store as its public catalogue names it."""

    slug: str
    name: str
    currency: str
    accent_color: str
    logo_url: str
    discount: str
    terms: list[str]


@dataclass
class CatalogueGroup:
    """A group of the public catalogue and its products with prices."""

    name: str
    slug: str
    description: str
    products: list[ProductCard]


@dataclass
class CatalogueOut:
    """A store's public catalogue."""

    store: StoreInfo
    groups: list[CatalogueGroup]


def catalogue_out(data: StorePage) -> CatalogueOut:
    """The storefront page as the API returns it."""
    store = data.store
    info = StoreInfo(
        store.slug, store.display_name, store.currency, store.accent_color, store.logo_url, data.discount, data.terms
    )
    return CatalogueOut(info, [CatalogueGroup(g.name, g.slug, g.description, g.products) for g in data.groups])


@get("/store/{slug:str}/products", authz=PUBLIC)
async def api_products(request: Request[Any, Any, Any], slug: FromPath[str]) -> CatalogueOut:
    """An open store's visible products by group, each with its prices per cycle, and the store's terms."""
    store = await stores.store_by_slug(slug)
    return catalogue_out(await storefront.store_page(store, request.app.state.product_types))


def api_router() -> Router:
    """The public catalogue API under /api/v1."""
    return Router(path="/api/v1", route_handlers=[api_products], tags=["store"])
