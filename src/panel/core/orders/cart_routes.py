"""The cart pages under /cart: public, for visitors and logged-in users alike.

The storefront's "Add to cart" form posts to `/cart/items`. The store a visitor
buys from is the form's `store` field (a slug), else the storefront page the form
was on (`/store/{slug}` in the Referer), else the cart's store, else the default
store; a user with a current account always buys from that account's store.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from panel.core.authz.guard import PUBLIC
from panel.core.catalog.tables import Cycle
from panel.core.orders import cart as carts
from panel.core.orders.placing import buyer_of
from panel.core.orders.taxes import BuyerPlace
from panel.core.web.pages import page, redirect
from panel.errors import NotFound, ValidationFailed
from panel.money import format_money, format_percent

NOTICES = {
    "added": "Added to your cart.",
    "changed": "Your cart was updated.",
    "removed": "Removed from your cart.",
    "promo": "The promo code was applied.",
    "promo_removed": "The promo code was removed.",
}


def visitor_of(request: Request[Any, Any, Any]) -> carts.Visitor:
    """Who asks: the cart cookie, the user and the session's current account."""
    return carts.Visitor(
        token=request.cookies.get(carts.COOKIE, ""),
        user_id=request.state.get("user_id"),
        account_id=request.state.get("account_id"),
    )


def set_cart_cookie(response: Response[Any], request: Request[Any, Any, Any], token: str) -> None:
    """Give the browser its cart token (HttpOnly, SameSite=Lax)."""
    if token:
        response.set_cookie(
            carts.COOKIE,
            token,
            httponly=True,
            samesite="lax",
            secure=request.app.state.settings.secure_cookies,
            max_age=carts.COOKIE_DAYS * 86400,
        )


def area_of(request: Request[Any, Any, Any]) -> str:
    """The client layout inside an account, the public one otherwise."""
    return "client" if request.state.get("account_id") is not None else "public"


async def place_of(request: Request[Any, Any, Any]) -> BuyerPlace | None:
    """Where the buyer is for tax, when known: the current account's billing contact."""
    account_id = request.state.get("account_id")
    if account_id is None:
        return None
    return (await buyer_of(account_id))[0]


async def store_hint(request: Request[Any, Any, Any], form: Any) -> int | None:
    """The store a visitor browses: the form's `store` slug, else the storefront page in the Referer."""
    slug = str(form.get("store") or "").strip()
    if not slug:
        path = urlsplit(request.headers.get("referer", "")).path.split("/")
        slug = path[2] if len(path) > 2 and path[1] == "store" else ""
    return await carts.store_by_slug(slug) if slug else None


async def cart_page_with(
    request: Request[Any, Any, Any],
    opened: carts.Opened,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    notice: str = "",
    promo_value: str | None = None,
) -> Template:
    """The cart page, with a failed action's errors beside the promo field or on top."""
    shown = await carts.view(opened.cart_id, opened.store_id, await place_of(request))
    errors = errors or {}
    promo_error = errors.get("promo_code") or shown.promo_error
    response = await page(
        request,
        "orders/cart.html",
        area=area_of(request),
        status_code=status_code,
        cart=shown,
        money=lambda amount: format_money(amount, shown.currency),
        percent=format_percent,
        cycle_labels=Cycle.LABELS,
        errors=errors,
        general_errors=[m for k, m in errors.items() if k != "promo_code"],
        promo_error=promo_error,
        promo_value=shown.promo_code if promo_value is None else promo_value,
        notices=opened.notices,
        notice=NOTICES.get(notice, ""),
    )
    set_cart_cookie(response, request, opened.token)
    return response


@get("/cart", authz=PUBLIC)
async def cart_page(request: Request[Any, Any, Any], done: FromQuery[str] = "") -> Template:
    """The cart: items, prices, the promo code, totals and the way to checkout."""
    opened = await carts.open_cart(visitor_of(request))
    return await cart_page_with(request, opened, notice=done)


async def _opened_cart(request: Request[Any, Any, Any]) -> tuple[carts.Opened, int]:
    opened = await carts.open_cart(visitor_of(request))
    return opened, carts.cart_id_of(opened)


def _done(request: Request[Any, Any, Any], opened: carts.Opened, code: str) -> Response[Any]:
    response = redirect(request, f"/cart?done={code}")
    set_cart_cookie(response, request, opened.token)
    return response


@post("/cart/items", authz=PUBLIC)
async def add_to_cart(request: Request[Any, Any, Any]) -> Response[Any]:
    """Add a product with its cycle, options, addons and checkout fields (422 with the reason if refused)."""
    form = await request.form()
    opened = await carts.open_cart(visitor_of(request), await store_hint(request, form), create=True)
    try:
        wanted = carts.parse_item_form(form)
        await carts.add_item(carts.cart_id_of(opened), request.app.state.product_types, wanted)
    except ValidationFailed as exc:
        return await cart_page_with(request, opened, 422, exc.errors)
    except NotFound as exc:
        return await cart_page_with(request, opened, 404, {"product": exc.message})
    if opened.notices:  # the cart moved to this store and dropped items: say so now, not after a redirect
        return await cart_page_with(request, opened, notice="added")
    return _done(request, opened, "added")


@post("/cart/items/{item_id:int}", authz=PUBLIC)
async def change_item(request: Request[Any, Any, Any], item_id: FromPath[int]) -> Response[Any]:
    """Change an item's cycle or quantity."""
    form = await request.form()
    opened, cart_id = await _opened_cart(request)
    try:
        await carts.change_item(
            cart_id, item_id, cycle=form.get("cycle") or None, quantity=form.get("quantity") or None
        )
    except ValidationFailed as exc:
        return await cart_page_with(request, opened, 422, exc.errors)
    return _done(request, opened, "changed")


@post("/cart/items/{item_id:int}/delete", authz=PUBLIC)
async def remove_item(request: Request[Any, Any, Any], item_id: FromPath[int]) -> Response[Any]:
    """Take an item (and its addons) out of the cart."""
    opened, cart_id = await _opened_cart(request)
    await carts.remove_item(cart_id, item_id)
    return _done(request, opened, "removed")


@post("/cart/promo", authz=PUBLIC)
async def apply_promo(request: Request[Any, Any, Any]) -> Response[Any]:
    """Apply a promo code; a refusal is shown beside the promo field and the cart stays as it was."""
    form = await request.form()
    code = str(form.get("promo_code") or "")
    opened = await carts.open_cart(visitor_of(request))
    if opened.cart_id is None:
        return await cart_page_with(request, opened, 422, {"promo_code": "Your cart is empty."}, promo_value=code)
    try:
        await carts.apply_promo(opened.cart_id, code)
    except ValidationFailed as exc:
        return await cart_page_with(request, opened, 422, exc.errors, promo_value=code)
    return _done(request, opened, "promo")


@post("/cart/promo/delete", authz=PUBLIC)
async def remove_promo(request: Request[Any, Any, Any]) -> Response[Any]:
    """Forget the promo code."""
    opened, cart_id = await _opened_cart(request)
    await carts.remove_promo(cart_id)
    return _done(request, opened, "promo_removed")


ROUTES = [cart_page, add_to_cart, change_item, remove_item, apply_promo, remove_promo]
