"""The orders API under /api/v1: cart, checkout, an account's orders, and staff's orders.

The cart works with the `panel_cart` cookie (visitors, browsers) or, for a logged-in
user or an API token, the user's latest cart. Amounts are integers of the currency's
minor unit (cents).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from litestar import Request, Response, Router, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from panel.core.audit.context import audit_context
from panel.core.auth.tables import User
from panel.core.authz.guard import LOGGED_IN, PUBLIC, requires
from panel.core.contacts.routes import ContactFields
from panel.core.orders import cart as carts
from panel.core.orders import checkout, services
from panel.core.orders.cart_routes import place_of, set_cart_cookie, visitor_of
from panel.core.orders.checkout_routes import may_order
from panel.core.orders.lines import PricedItem
from panel.errors import Forbidden, ValidationFailed


@dataclass
class CartLineOut:
    """A cart item priced now (amounts per unit); `problem` says why it cannot be ordered as it is."""

    id: int
    product_id: int
    name: str
    cycle: str
    quantity: int
    options: dict[str, str]
    option_text: str
    fields: dict[str, Any]
    amount: int
    setup_fee: int
    problem: str
    addons: list[CartLineOut] = field(default_factory=list)


@dataclass
class CartOut:
    """The cart with its totals; `tax` is known only when the buyer's place is (`tax_known`)."""

    id: int | None
    store: str
    currency: str
    promo_code: str
    promo_error: str
    items: list[CartLineOut]
    subtotal: int
    discount: int
    tax: int
    tax_known: bool
    total: int
    problems: list[str]
    notices: list[str]


@dataclass
class ItemBody:
    """An item to add: product, cycle, quantity, options by name, addons (id -> cycle), checkout fields.

    `store` (a store's slug) is the store a visitor browses; ignored inside an account.
    """

    product_id: int
    cycle: str
    quantity: int = 1
    options: dict[str, str] = field(default_factory=dict)
    addons: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    store: str = ""


@dataclass
class ItemPatch:
    """A new cycle or quantity for an item."""

    cycle: str | None = None
    quantity: int | None = None


@dataclass
class PromoBody:
    """A promo code to apply."""

    code: str


@dataclass
class NewAccountBody(ContactFields):
    """A new account to order for: its name and billing address (the country decides tax)."""

    account_name: str = ""


@dataclass
class CheckoutBody:
    """Order for `account_id`, or for a `new_account` created in the same transaction."""

    account_id: int | None = None
    new_account: NewAccountBody | None = None


@dataclass
class PlacedOut:
    """The order just placed and its invoice."""

    order_id: int
    number: str
    invoice_id: int
    account_id: int
    currency: str
    total: int
    paid: bool


@dataclass
class OrderListOut:
    """A page of orders and how many match."""

    total: int
    limit: int
    offset: int
    items: list[services.OrderRow]


def _line(item: PricedItem) -> CartLineOut:
    return CartLineOut(
        id=item.id,
        product_id=item.product_id,
        name=item.name,
        cycle=item.cycle,
        quantity=item.quantity,
        options=item.options,
        option_text=item.option_text,
        fields=item.fields,
        amount=item.amount,
        setup_fee=item.setup_fee,
        problem=item.problem,
        addons=[_line(a) for a in item.addons],
    )


async def _cart_out(request: Request[Any, Any, Any], opened: carts.Opened) -> Response[CartOut]:
    shown = await carts.view(opened.cart_id, opened.store_id, await place_of(request))
    out = CartOut(
        id=shown.id,
        store=shown.store_slug,
        currency=shown.currency,
        promo_code=shown.promo_code,
        promo_error=shown.promo_error,
        items=[_line(i) for i in shown.items],
        subtotal=shown.totals.subtotal,
        discount=shown.totals.discount,
        tax=shown.totals.tax,
        tax_known=shown.tax_known,
        total=shown.totals.total,
        problems=shown.problems,
        notices=opened.notices,
    )
    response = Response(out)
    set_cart_cookie(response, request, opened.token)
    return response


@get("/cart", authz=PUBLIC)
async def api_cart(request: Request[Any, Any, Any]) -> Response[CartOut]:
    """The cart with prices and totals (an empty cart has `id` null)."""
    return await _cart_out(request, await carts.open_cart(visitor_of(request)))


@post("/cart/items", authz=PUBLIC)
async def api_add_item(request: Request[Any, Any, Any], data: JSONBody[ItemBody]) -> Response[CartOut]:
    """Add an item; 422 with the reason (not sold in the store, cycle not offered, bad options or fields)."""
    hint = await carts.store_by_slug(data.store) if data.store else None
    opened = await carts.open_cart(visitor_of(request), hint, create=True)
    addons: dict[int, str] = {}
    for key, cycle in data.addons.items():
        if not str(key).isdigit():
            raise ValidationFailed({f"addon_{key}": "Name addons by their product id."})
        addons[int(key)] = cycle
    wanted = carts.ItemRequest(data.product_id, data.cycle, data.quantity, data.options, addons, data.fields)
    await carts.add_item(carts.cart_id_of(opened), request.app.state.product_types, wanted)
    response = await _cart_out(request, opened)
    response.status_code = 201
    return response


@patch("/cart/items/{item_id:int}", authz=PUBLIC)
async def api_change_item(
    request: Request[Any, Any, Any], item_id: FromPath[int], data: JSONBody[ItemPatch]
) -> Response[CartOut]:
    """Change an item's cycle or quantity."""
    opened = await carts.open_cart(visitor_of(request))
    await carts.change_item(carts.cart_id_of(opened), item_id, cycle=data.cycle, quantity=data.quantity)
    return await _cart_out(request, opened)


@delete("/cart/items/{item_id:int}", authz=PUBLIC, status_code=200)
async def api_remove_item(request: Request[Any, Any, Any], item_id: FromPath[int]) -> Response[CartOut]:
    """Take an item (and its addons) out of the cart."""
    opened = await carts.open_cart(visitor_of(request))
    await carts.remove_item(carts.cart_id_of(opened), item_id)
    return await _cart_out(request, opened)


@post("/cart/promo", authz=PUBLIC, status_code=200)
async def api_apply_promo(request: Request[Any, Any, Any], data: JSONBody[PromoBody]) -> Response[CartOut]:
    """Apply a promo code (422 with `errors.promo_code` when refused; the cart is unchanged)."""
    opened = await carts.open_cart(visitor_of(request))
    if opened.cart_id is None:
        raise ValidationFailed({"promo_code": "Your cart is empty."})
    await carts.apply_promo(opened.cart_id, data.code)
    return await _cart_out(request, opened)


@delete("/cart/promo", authz=PUBLIC, status_code=200)
async def api_remove_promo(request: Request[Any, Any, Any]) -> Response[CartOut]:
    """Forget the promo code."""
    opened = await carts.open_cart(visitor_of(request))
    await carts.remove_promo(carts.cart_id_of(opened))
    return await _cart_out(request, opened)


@post("/checkout", authz=LOGGED_IN)
async def api_checkout(request: Request[Any, Any, Any], data: JSONBody[CheckoutBody]) -> PlacedOut:
    """Place the cart's order for `account_id` (needs `orders` there: else 403) or a `new_account`."""
    opened = await carts.open_cart(visitor_of(request))
    cart_id = carts.cart_id_of(opened)
    state = request.app.state
    ip = str(request.state.get("client_address") or "")
    user_id = request.state.user_id
    if data.new_account is not None:
        body = data.new_account
        address = {k: v for k, v in asdict(body).items() if k != "account_name"}
        row = await User.select(User.email).where(User.id == user_id).first()
        placed = await checkout.checkout_new_account(
            state.authz,
            cart_id=cart_id,
            user_id=user_id,
            user_email=row["email"] if row else "",
            account_name=body.account_name,
            address=address,
            product_types=state.product_types,
            ip=ip,
            by=audit_context(request),
        )
    elif data.account_id is not None:
        if not may_order(request, data.account_id):
            raise Forbidden("You may not place orders for that account.")
        placed = await checkout.checkout_account(
            cart_id=cart_id,
            account_id=data.account_id,
            user_id=user_id,
            product_types=state.product_types,
            ip=ip,
            by=audit_context(request),
        )
    else:
        raise ValidationFailed({"account_id": "Name the account to order for, or a new account."})
    await checkout.after_commit(state, placed)
    return PlacedOut(
        placed.order_id, placed.number, placed.invoice_id, placed.account_id, placed.currency, placed.total, placed.paid
    )


@get("/accounts/{account_id:int}/orders", authz=requires("order:*", "list", account_param="account_id"))
async def api_account_orders(
    account_id: FromPath[int], status: FromQuery[str] = "", limit: FromQuery[int] = 50, offset: FromQuery[int] = 0
) -> OrderListOut:
    """The account's orders, newest first."""
    found = await services.account_orders(account_id, limit, offset, status)
    return OrderListOut(found.total, found.limit, found.offset, found.rows)


@get(
    "/accounts/{account_id:int}/orders/{order_id:int}",
    authz=requires("order:{order_id}", "read", account_param="account_id"),
)
async def api_account_order(account_id: FromPath[int], order_id: FromPath[int]) -> services.OrderDetail:
    """One order of the account with its lines (another account's order: 404)."""
    return await services.get_order(account_id, order_id)


@get("/admin/orders", authz=requires("order:*", "list", scope="platform"))
async def api_admin_orders(
    status: FromQuery[str] = "",
    store: FromQuery[int | None] = None,
    account: FromQuery[int | None] = None,
    limit: FromQuery[int] = 50,
    offset: FromQuery[int] = 0,
) -> OrderListOut:
    """Every order, newest first, by status, store and account."""
    found = await services.search_orders(services.OrderFilters(status, store, account), limit, offset)
    return OrderListOut(found.total, found.limit, found.offset, found.rows)


@get("/admin/orders/{order_id:int}", authz=requires("order:{order_id}", "read", scope="platform"))
async def api_admin_order(order_id: FromPath[int]) -> services.OrderDetail:
    """One order, for staff."""
    return await services.get_any_order(order_id)


@post("/admin/orders/{order_id:int}/cancel", authz=requires("order:{order_id}", "cancel", scope="platform"))
async def api_admin_cancel(request: Request[Any, Any, Any], order_id: FromPath[int]) -> services.OrderDetail:
    """Cancel a pending order with its unpaid invoice and pending services (409 otherwise)."""
    await services.cancel_order(order_id, by=audit_context(request))
    return await services.get_any_order(order_id)


def api_router() -> Router:
    """The orders API under /api/v1."""
    return Router(
        path="/api/v1",
        route_handlers=[
            api_cart,
            api_add_item,
            api_change_item,
            api_remove_item,
            api_apply_promo,
            api_remove_promo,
            api_checkout,
            api_account_orders,
            api_account_order,
            api_admin_orders,
            api_admin_order,
            api_admin_cancel,
        ],
        tags=["orders"],
    )
