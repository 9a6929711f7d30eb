"""Client-area pages of services, and the services API for members and tokens.

Pages work on the session's current account (`/services`, `/services/{id}`); the API
names the account in the path (`/api/v1/accounts/{account_id}/services`). A service id
of another account answers 404 through your account, never data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Template

from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires
from panel.core.orders import cart as carts
from panel.core.orders.cart_routes import set_cart_cookie, visitor_of
from panel.core.services import addons, lifecycle, services
from panel.core.services.services import PAGE_SIZE, ServiceDetail, ServiceRow
from panel.core.web.pages import allowed, page, redirect
from panel.errors import Forbidden, ValidationFailed
from panel.product_types import ClientAction

# What the client may read from `Service.data` (staff enter these when they set a service up).
CLIENT_DATA = (("username", "Username"), ("server", "Server"))


def _safe_url(url: str) -> str:
    return url if url.lower().startswith(("https://", "http://")) else ""


async def _actions(request: Request[Any, Any, Any], service: ServiceDetail) -> list[ClientAction]:
    state = await lifecycle.load_state(service.id, service.account_id)
    if state is None:
        return []
    app = request.app.state
    return lifecycle.client_actions(app.product_types, state, app.settings)


async def _has_password(request: Request[Any, Any, Any], service: ServiceDetail) -> bool:
    state = await lifecycle.load_state(service.id, service.account_id)
    return (
        state is not None
        and state.status == "active"
        and lifecycle.has_password(request.app.state.product_types, state)
    )


@get("/services", authz=requires("service:*", "list"))
async def service_list(request: Request[Any, Any, Any], page_no: FromQuery[int] = 1) -> Template:
    """The account's services: product, label, price per cycle, due date and status, 50 a page."""
    found = await services.list_services(request.state.account_id, PAGE_SIZE, (max(page_no, 1) - 1) * PAGE_SIZE)
    return await page(
        request,
        "services/list.html",
        found=found,
        page_url=lambda n: "/services?" + urlencode({"page_no": n}),
    )


async def _detail_page(
    request: Request[Any, Any, Any], service_id: int, notice: str = "", error: str = "", status_code: int = 200
) -> Template:
    account_id = request.state.account_id
    service = await services.get_service(account_id, service_id)
    can_manage = allowed(request, f"service:{service_id}", "update", f"acct:{account_id}")
    return await page(
        request,
        "services/detail.html",
        status_code=status_code,
        service=service,
        actions=await _actions(request, service) if can_manage else [],
        can_password=can_manage and await _has_password(request, service),
        client_data=[(label, service.data[key]) for key, label in CLIENT_DATA if service.data.get(key)],
        link_url=_safe_url(service.client_area_url) or "/",
        addons=await addons.addon_offers(account_id, service) if service.status == "active" else [],
        can_order=allowed(request, "order:*", "create", f"acct:{account_id}"),
        notice=notice,
        error=error,
    )


@get("/services/{service_id:int}", authz=requires("service:{service_id}", "read"))
async def service_page(request: Request[Any, Any, Any], service_id: FromPath[int]) -> Template:
    """One service: details, the type's actions, and the client-area link or the store's contact instructions."""
    return await _detail_page(request, service_id)


def _require_action(request: Request[Any, Any, Any], account_id: int, service_id: int, action: ClientAction) -> None:
    """An action may name a rules-engine action of its own (default `update`, which the route checked)."""
    if action.action != "update" and not allowed(request, f"service:{service_id}", action.action, f"acct:{account_id}"):
        raise Forbidden("You do not have permission to do that in this account.")


@post("/services/{service_id:int}/actions/{name:str}", authz=requires("service:{service_id}", "update"))
async def run_action(request: Request[Any, Any, Any], service_id: FromPath[int], name: FromPath[str]) -> Template:
    """Carry out one of the service's client actions (members with `manage_services`)."""
    account_id = request.state.account_id
    app = request.app.state
    action = await lifecycle.find_client_action(app.product_types, account_id, service_id, name, app.settings)
    _require_action(request, account_id, service_id, action)
    try:
        message = await lifecycle.run_client_action(
            app.product_types, account_id, service_id, name, by=audit_context(request), settings=app.settings
        )
    except lifecycle.ServiceRefused as exc:
        return await _detail_page(request, service_id, error=exc.message, status_code=409)
    return await _detail_page(request, service_id, notice=message)


@post("/services/{service_id:int}/password", authz=requires("service:{service_id}", "update"))
async def set_password(request: Request[Any, Any, Any], service_id: FromPath[int]) -> Template:
    """Set the service's login password through its product type (members with `manage_services`)."""
    form = await request.form()
    app = request.app.state
    try:
        message = await lifecycle.change_password(
            app.product_types,
            request.state.account_id,
            service_id,
            str(form.get("password") or ""),
            by=audit_context(request),
            settings=app.settings,
        )
    except ValidationFailed as exc:
        return await _detail_page(request, service_id, error=exc.errors["password"], status_code=422)
    except lifecycle.ServiceRefused as exc:
        return await _detail_page(request, service_id, error=exc.message, status_code=409)
    return await _detail_page(request, service_id, notice=message)


@post("/services/{service_id:int}/addons", authz=requires("service:{service_id}", "read"))
async def order_addon(request: Request[Any, Any, Any], service_id: FromPath[int]) -> Response[Any]:
    """Put an addon for this service in the cart (members who may place orders), then show the cart."""
    account_id = request.state.account_id
    if not allowed(request, "order:*", "create", f"acct:{account_id}"):
        raise Forbidden("You may not place orders in this account.")
    form = await request.form()
    addon = str(form.get("addon_id") or "").strip()
    opened = await carts.open_cart(visitor_of(request), create=True)
    try:
        if not addon.isdigit():
            raise ValidationFailed({"addon": "Choose an addon."})
        await carts.add_service_addon(
            carts.cart_id_of(opened), account_id, service_id, int(addon), str(form.get("cycle") or "").strip()
        )
    except ValidationFailed as exc:
        response: Response[Any] = await _detail_page(request, service_id, error=exc.message, status_code=422)
    else:
        response = redirect(request, "/cart?done=added")
    set_cart_cookie(response, request, opened.token)
    return response


PAGE_ROUTES = [service_list, service_page, run_action, set_password, order_addon]


# -- API ----------------------------------------------------------------------------------


@dataclass
class ServiceOut:
    """A service as the API lists it."""

    id: int
    label: str
    product: str
    product_type: str
    status: str
    cycle: str
    currency: str
    recurring_amount: int
    price: str
    next_due_date: date | None
    created_at: datetime


@dataclass
class ServiceListOut:
    """A page of the account's services and how many there are."""

    total: int
    limit: int
    offset: int
    items: list[ServiceOut]


@dataclass
class ActionOut:
    """A client action the service offers."""

    name: str
    label: str
    confirm: str = ""


@dataclass
class ServiceDetailOut(ServiceOut):
    """One service with what its page shows.

    `client_area_url` is set when the client-area link is visible; otherwise
    `contact_instructions` says how to reach the store.
    """

    activated_at: datetime | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    client_area_link_visible: bool = True
    client_area_url: str = ""
    contact_instructions: str = ""
    actions: list[ActionOut] = field(default_factory=list)


def _out(r: ServiceRow) -> ServiceOut:
    return ServiceOut(
        r.id, r.label, r.product_name, r.product_type, r.status, r.cycle, r.currency, r.recurring_amount, r.price,
        r.next_due_date, r.created_at,
    )  # fmt: skip


@get("/accounts/{account_id:int}/services", authz=requires("service:*", "list", account_param="account_id"))
async def api_list(
    account_id: FromPath[int], limit: FromQuery[int] = PAGE_SIZE, offset: FromQuery[int] = 0
) -> ServiceListOut:
    """The account's services, newest first (`services` permission)."""
    found = await services.list_services(account_id, limit, offset)
    return ServiceListOut(found.total, found.limit, found.offset, [_out(r) for r in found.rows])


@get(
    "/accounts/{account_id:int}/services/{service_id:int}",
    authz=requires("service:{service_id}", "read", account_param="account_id"),
)
async def api_get(
    request: Request[Any, Any, Any], account_id: FromPath[int], service_id: FromPath[int]
) -> ServiceDetailOut:
    """One service of the account; another account's id is 404."""
    s = await services.get_service(account_id, service_id)
    can_manage = allowed(request, f"service:{service_id}", "update", f"acct:{account_id}")
    actions = await _actions(request, s) if can_manage else []
    return ServiceDetailOut(
        **vars(_out(_as_row(s))),
        activated_at=s.activated_at,
        fields=s.fields,
        details={key: s.data[key] for key, _ in CLIENT_DATA if s.data.get(key)},
        client_area_link_visible=s.link_visible,
        client_area_url=(_safe_url(s.client_area_url) or "/") if s.link_visible else "",
        contact_instructions="" if s.link_visible else s.contact_instructions,
        actions=[ActionOut(a.name, a.label, a.confirm) for a in actions],
    )


def _as_row(s: ServiceDetail) -> ServiceRow:
    return ServiceRow(
        s.id, s.account_id, s.account_name, s.store_name, s.label, s.product_name, s.product_type, s.status,
        s.status_label, s.cycle, s.cycle_label, s.currency, s.recurring_amount, s.price, s.next_due_date,
        s.provision_error, s.created_at,
    )  # fmt: skip


@dataclass
class ActionResultOut:
    """What the action said."""

    message: str


@post(
    "/accounts/{account_id:int}/services/{service_id:int}/actions/{name:str}",
    authz=requires("service:{service_id}", "update", account_param="account_id"),
    status_code=200,
)
async def api_action(
    request: Request[Any, Any, Any],
    account_id: FromPath[int],
    service_id: FromPath[int],
    name: FromPath[str],
    data: JSONBody[dict[str, Any] | None] = None,
) -> ActionResultOut:
    """Carry out a client action (`manage_services`); the type's refusal is 409 with its message."""
    app = request.app.state
    action = await lifecycle.find_client_action(app.product_types, account_id, service_id, name, app.settings)
    _require_action(request, account_id, service_id, action)
    message = await lifecycle.run_client_action(
        app.product_types, account_id, service_id, name, data or {}, by=audit_context(request), settings=app.settings
    )
    return ActionResultOut(message)


@dataclass
class PasswordIn:
    """The new password (10 to 200 characters); it is never stored by the panel."""

    password: str


@post(
    "/accounts/{account_id:int}/services/{service_id:int}/password",
    authz=requires("service:{service_id}", "update", account_param="account_id"),
    status_code=200,
)
async def api_password(
    request: Request[Any, Any, Any], account_id: FromPath[int], service_id: FromPath[int], data: JSONBody[PasswordIn]
) -> ActionResultOut:
    """Set the service's password; 422 for a weak one, 409 when the type has none or refuses."""
    app = request.app.state
    message = await lifecycle.change_password(
        app.product_types, account_id, service_id, data.password, by=audit_context(request), settings=app.settings
    )
    return ActionResultOut(message)


def api_router() -> Router:
    """The services API under /api/v1."""
    return Router(path="/api/v1", route_handlers=[api_list, api_get, api_action, api_password], tags=["services"])
