"""The stores API for staff: /api/v1/admin/stores[...]. Same services and rules as the pages."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from litestar import Request, Router, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from panel.core.audit.context import audit_context
from panel.core.stores import services
from panel.core.stores.admin_routes import CREATE, LIST, READ, UPDATE
from panel.core.stores.services import StoreView
from panel.core.stores.terms import terms, type_labels


@dataclass
class StoreBody:
    """A store's settings; fields left out (or null) keep their value (or the default, when creating)."""

    name: str | None = None
    slug: str | None = None
    currency: str | None = None
    kind: str | None = None
    reseller_id: int | None = None
    is_default: bool | None = None
    is_active: bool | None = None
    brand_name: str | None = None
    accent_color: str | None = None
    logo_url: str | None = None
    contact_instructions: str | None = None
    invoice_prefix: str | None = None
    setup_fees_allowed: bool | None = None
    full_prepayment: bool | None = None
    money_back_days: int | None = None
    auto_renew: bool | None = None
    min_contract_months: dict[str, int] | None = None
    non_refundable_types: list[str] | None = None
    show_client_area_link: bool | None = None
    clients_can_change_username: bool | None = None


@dataclass
class StoreOut:
    """A store with its terms as clients read them."""

    store: StoreView
    terms: list[str]


def _given(body: StoreBody) -> dict[str, Any]:
    return {k: v for k, v in asdict(body).items() if v is not None}


def _out(request: Request[Any, Any, Any], store: StoreView) -> StoreOut:
    return StoreOut(store, terms(store, type_labels(request.app.state.product_types)))


@get("/admin/stores", authz=LIST)
async def api_list(limit: FromQuery[int] = 500, offset: FromQuery[int] = 0) -> list[StoreView]:
    """Every store, the default first."""
    return await services.list_stores(max(1, min(limit, 500)), max(offset, 0))


@post("/admin/stores", authz=CREATE, status_code=201)
async def api_create(request: Request[Any, Any, Any], data: JSONBody[StoreBody]) -> StoreOut:
    """Create a store; 422 with `errors` beside each field. Unset fields take the defaults."""
    values = {**services.form_values(), **_given(data)}
    store_id = await services.create_store(values, request.app.state.product_types, by=audit_context(request))
    return _out(request, await services.get_store(store_id))


@get("/admin/stores/{store_id:int}", authz=READ)
async def api_get(request: Request[Any, Any, Any], store_id: FromPath[int]) -> StoreOut:
    """One store and its terms."""
    return _out(request, await services.get_store(store_id))


@patch("/admin/stores/{store_id:int}", authz=UPDATE)
async def api_update(request: Request[Any, Any, Any], store_id: FromPath[int], data: JSONBody[StoreBody]) -> StoreOut:
    """Change the fields given; the rest stay. 422 with `errors` and nothing saved if any is wrong."""
    store = await services.update_store(
        store_id, _given(data), request.app.state.product_types, by=audit_context(request)
    )
    return _out(request, store)


@post("/admin/stores/{store_id:int}/apply-client-area-link", authz=UPDATE, status_code=200)
async def api_apply_link(request: Request[Any, Any, Any], store_id: FromPath[int]) -> dict[str, int]:
    """Make every existing service of the store follow its client-area link setting; returns how many."""
    count = await services.apply_client_area_link_to_all(store_id, by=audit_context(request))
    return {"services": count}


def api_router() -> Router:
    """The stores API under /api/v1."""
    return Router(
        path="/api/v1", route_handlers=[api_list, api_create, api_get, api_update, api_apply_link], tags=["stores"]
    )
