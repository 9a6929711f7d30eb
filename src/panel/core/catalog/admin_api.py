"""The catalogue API for staff: /api/v1/admin/catalog[...]. Same services and rules as the pages.

Amounts are integers of the currency's minor unit (cents); a price grid is replaced
whole, and a cycle left out (or with a null amount) is not offered.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from litestar import Request, Router, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from panel.core.audit.context import audit_context
from panel.core.catalog import prices, selling
from panel.core.catalog import services as catalog
from panel.core.catalog.admin_routes import READ, UPDATE
from panel.core.catalog.services import GroupView, ProductView
from panel.core.catalog.tables import Cycle, ProductKind
from panel.core.stores import services as stores
from panel.errors import NotFound, ValidationFailed
from panel.money import CURRENCIES, format_plain, parse_amount

# -- bodies and answers -----------------------------------------------------------------------


@dataclass
class GroupBody:
    """A group's fields; left out (or null) keeps the value (or the default, when creating)."""

    name: str | None = None
    slug: str | None = None
    description: str | None = None
    sort: int | None = None
    hidden: bool | None = None


@dataclass
class ProductBody:
    """A product's fields; left out (or null) keeps the value. `config` changes only the keys given."""

    name: str | None = None
    slug: str | None = None
    kind: str | None = None
    product_type: str | None = None
    group_id: int | None = None
    description: str | None = None
    config: dict[str, Any] | None = None
    is_active: bool | None = None
    sort: int | None = None


@dataclass
class CyclePrice:
    """One cycle's price and setup fee, in minor units (a null amount: not offered)."""

    amount: int | None = None
    setup_fee: int | None = None


@dataclass
class PricesBody:
    """A product's whole price grid in one store and currency, by cycle (a cycle left out: not offered)."""

    store_id: int
    currency: str
    prices: dict[str, CyclePrice] = field(default_factory=dict)


@dataclass
class StoresBody:
    """Exactly the stores that sell the product."""

    store_ids: list[int] = field(default_factory=list)


@dataclass
class PriceGridOut:
    """A product's prices in one store and currency: {cycle: amount or setup fee} for offered cycles."""

    store_id: int
    store_name: str
    currency: str
    amounts: dict[str, int]
    setup_fees: dict[str, int]


@dataclass
class ProductOut:
    """A product with the stores that sell it and its price grids."""

    product: ProductView
    store_ids: list[int]
    prices: list[PriceGridOut]


@dataclass
class ProductListOut:
    """A page of products and how many match."""

    total: int
    limit: int
    offset: int
    items: list[ProductView]


def _given(body: Any) -> dict[str, Any]:
    return {k: v for k, v in asdict(body).items() if v is not None}


async def _product_out(product_id: int) -> ProductOut:
    product = await catalog.get_product(product_id)
    columns = prices.priced_columns(await stores.list_stores())
    grids = await prices.product_grids(product_id, columns)
    out = [
        PriceGridOut(
            g.store_id,
            g.store_name,
            g.currency,
            {c.cycle: parse_amount(c.amount, g.currency) for c in g.rows if c.amount},
            {c.cycle: parse_amount(c.setup_fee, g.currency) for c in g.rows if c.setup_fee},
        )
        for g in grids
    ]
    return ProductOut(product, sorted(await selling.enabled_stores(product_id)), out)


# -- groups -----------------------------------------------------------------------------------


@get("/admin/catalog/groups", authz=READ)
async def api_groups() -> list[GroupView]:
    """Every product group in storefront order."""
    return await catalog.list_groups()


@post("/admin/catalog/groups", authz=UPDATE, status_code=201)
async def api_add_group(request: Request[Any, Any, Any], data: JSONBody[GroupBody]) -> GroupView:
    """Add a group; 422 with `errors` beside each field and nothing saved."""
    group_id = await catalog.save_group(None, _given(data), by=audit_context(request))
    return await catalog.get_group(group_id)


@patch("/admin/catalog/groups/{group_id:int}", authz=UPDATE)
async def api_change_group(
    request: Request[Any, Any, Any], group_id: FromPath[int], data: JSONBody[GroupBody]
) -> GroupView:
    """Change the fields given; the rest stay."""
    values = {**asdict(await catalog.get_group(group_id)), **_given(data)}
    await catalog.save_group(group_id, values, by=audit_context(request))
    return await catalog.get_group(group_id)


# -- products ---------------------------------------------------------------------------------


@get("/admin/catalog/products", authz=READ)
async def api_products(
    group: FromQuery[int | None] = None, limit: FromQuery[int] = catalog.PAGE_SIZE, offset: FromQuery[int] = 0
) -> ProductListOut:
    """Products and addons by group and sort order, a page at a time (at most 500)."""
    limit, offset = max(1, min(limit, 500)), max(offset, 0)
    items, total = await catalog.list_products(group, limit, offset)
    return ProductListOut(total, limit, offset, items)


@post("/admin/catalog/products", authz=UPDATE, status_code=201)
async def api_add_product(request: Request[Any, Any, Any], data: JSONBody[ProductBody]) -> ProductOut:
    """Create a product of a registered type (sold nowhere yet, no prices)."""
    values = {"kind": ProductKind.PRODUCT, "is_active": True, **_given(data)}
    product_id = await catalog.save_product(None, values, request.app.state.product_types, by=audit_context(request))
    return await _product_out(product_id)


@get("/admin/catalog/products/{product_id:int}", authz=READ)
async def api_product(product_id: FromPath[int]) -> ProductOut:
    """A product, the stores that sell it and its prices per store and currency."""
    return await _product_out(product_id)


@patch("/admin/catalog/products/{product_id:int}", authz=UPDATE)
async def api_change_product(
    request: Request[Any, Any, Any], product_id: FromPath[int], data: JSONBody[ProductBody]
) -> ProductOut:
    """Change the fields given; the rest stay (`config` keys not given stay too)."""
    product = await catalog.get_product(product_id)
    given = _given(data)
    values = {**asdict(product), **given, "config": {**product.config, **given.get("config", {})}}
    await catalog.save_product(product_id, values, request.app.state.product_types, by=audit_context(request))
    return await _product_out(product_id)


@put("/admin/catalog/products/{product_id:int}/prices", authz=UPDATE)
async def api_set_prices(
    request: Request[Any, Any, Any], product_id: FromPath[int], data: JSONBody[PricesBody]
) -> ProductOut:
    """Replace the product's prices in one store and currency; 422 with `errors` by cycle, nothing saved."""
    await catalog.get_product(product_id)
    try:
        store = await stores.get_store(data.store_id)
    except NotFound:
        raise ValidationFailed({"store_id": "Choose one of the stores."}) from None
    unknown = {f"prices.{c}": "Not a billing cycle." for c in data.prices if c not in Cycle.ALL}
    if unknown:
        raise ValidationFailed(unknown)
    currency = data.currency.strip().upper()
    cells: dict[str, str] = {}
    for cycle, cell in data.prices.items():
        if cell.amount is not None:
            cells[f"{cycle}.amount"] = format_plain(cell.amount, currency) if currency in CURRENCIES else ""
        if cell.setup_fee is not None:
            cells[f"{cycle}.setup_fee"] = format_plain(cell.setup_fee, currency) if currency in CURRENCIES else ""
    try:
        await prices.save_product_prices(store, currency, product_id, cells, by=audit_context(request))
    except ValidationFailed as exc:
        where = "currency" if currency not in CURRENCIES else "store_id"
        raise ValidationFailed(
            {(where if k == "form" else f"prices.{k}"): message for k, message in exc.errors.items()}
        ) from None
    return await _product_out(product_id)


@put("/admin/catalog/products/{product_id:int}/stores", authz=UPDATE)
async def api_set_stores(
    request: Request[Any, Any, Any], product_id: FromPath[int], data: JSONBody[StoresBody]
) -> ProductOut:
    """Sell the product in exactly these stores (not `reseller_catalog` ones: 422 on `stores`)."""
    await selling.set_enabled(product_id, data.store_ids, by=audit_context(request))
    return await _product_out(product_id)


def api_router() -> Router:
    """The staff catalogue API under /api/v1."""
    return Router(
        path="/api/v1",
        route_handlers=[
            api_groups,
            api_add_group,
            api_change_group,
            api_products,
            api_add_product,
            api_product,
            api_change_product,
            api_set_prices,
            api_set_stores,
        ],
        tags=["catalog"],
    )
