"""The checkout page: `/checkout` for visitors (sign up and order) and logged-in users.

Public on purpose: the page adapts to who asks. Ordering for an existing account
asks the rules engine (`order:*` `create` in that account) here, since the account
comes from the form; a refusal is 403 and creates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Template

from panel.core.accounts import services as accounts
from panel.core.accounts.routes import switch_account
from panel.core.accounts.tables import Account
from panel.core.audit.context import audit_context
from panel.core.auth.routes import set_session_cookie, start_session
from panel.core.authz.guard import PUBLIC
from panel.core.contacts.countries import sorted_by_name
from panel.core.contacts.validation import FIELDS
from panel.core.orders import cart as carts
from panel.core.orders import checkout
from panel.core.orders.cart_routes import area_of, place_of, set_cart_cookie, visitor_of
from panel.core.orders.placing import Placed
from panel.core.referrals import services as referrals
from panel.core.stores.tables import Store
from panel.core.web.pages import allowed, page, redirect
from panel.errors import Forbidden, ValidationFailed
from panel.money import format_money, format_percent

NEW = "new"


@dataclass(frozen=True)
class AccountChoice:
    """An account the user may order for, and whether it buys from the cart's store."""

    id: int
    name: str
    store_name: str
    fits: bool


def may_order(request: Request[Any, Any, Any], account_id: int) -> bool:
    """Whether the user may place orders for this account (`order:*` `create`)."""
    return allowed(request, "order:*", "create", f"acct:{account_id}")


async def orderable_accounts(request: Request[Any, Any, Any], cart_store: int | None) -> list[AccountChoice]:
    """The user's accounts where they may order, each with its store (two queries)."""
    mine = [a for a in await accounts.accounts_of(request.state.user_id) if may_order(request, a.id)]
    if not mine:
        return []
    rows = await Account.select(Account.id, Account.store, Account.store.name).where(
        Account.id.is_in([a.id for a in mine])
    )
    stores = {r["id"]: (r["store"], r["store.name"]) for r in rows}
    default = await carts.default_store() if any(s[0] is None for s in stores.values()) else None
    default_name = ""
    if default is not None:
        row = await Store.select(Store.name).where(Store.id == default).first()
        default_name = row["name"] if row else ""
    out = []
    for a in mine:
        store_id, store_name = stores.get(a.id, (None, ""))
        if store_id is None:
            store_id, store_name = default, default_name
        out.append(AccountChoice(a.id, a.name, store_name or "", store_id == cart_store))
    return out


def _values(form: Any) -> dict[str, str]:
    keep = (*FIELDS, "account_name", "account_id")
    return {k: str(form.get(k) or "") for k in keep}


async def checkout_page_with(
    request: Request[Any, Any, Any],
    opened: carts.Opened,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Template:
    """The checkout page: the cart's summary and the sign-up or account choice, with a failed attempt's errors."""
    shown = await carts.view(opened.cart_id, opened.store_id, await place_of(request))
    logged_in = request.state.get("user_id") is not None
    choices = await orderable_accounts(request, shown.store_id) if logged_in else []
    values = dict(values or {})
    if logged_in and not values.get("account_id"):
        current = request.state.get("account_id")
        fitting = [c.id for c in choices if c.fits]
        values["account_id"] = str(current if current in fitting else (fitting[0] if fitting else NEW))
    errors = errors or {}
    field_errors = {*FIELDS, "password", "confirm_password", "account_name", "account_id", "promo_code"}
    response = await page(
        request,
        "orders/checkout.html",
        area=area_of(request),
        status_code=status_code,
        cart=shown,
        money=lambda amount: format_money(amount, shown.currency),
        percent=format_percent,
        logged_in=logged_in,
        choices=choices,
        values=values,
        errors=errors,
        general_errors=[m for k, m in errors.items() if k not in field_errors],
        countries=sorted_by_name(),
        new=NEW,
    )
    set_cart_cookie(response, request, opened.token)
    return response


@get("/checkout", authz=PUBLIC)
async def checkout_page(request: Request[Any, Any, Any]) -> Template:
    """Check out: sign up (or log in and come back), or choose the account to order for."""
    return await checkout_page_with(request, await carts.open_cart(visitor_of(request)))


@post("/checkout", authz=PUBLIC)
async def place_order(request: Request[Any, Any, Any]) -> Response[Any]:
    """Place the order; on success go to its invoice, else show every problem beside its field (422)."""
    form = await request.form()
    opened = await carts.open_cart(visitor_of(request))
    values = _values(form)
    if opened.cart_id is None:
        return await checkout_page_with(request, opened, 422, values, {"cart": "Your cart is empty."})
    state = request.app.state
    ip = str(request.state.get("client_address") or "")
    address = {k: v for k, v in values.items() if k in FIELDS}
    user_id = request.state.get("user_id")
    try:
        if user_id is None:
            signup = checkout.SignUp(
                name=values["name"],
                email=values["email"],
                password=str(form.get("password") or ""),
                confirm_password=str(form.get("confirm_password") or ""),
                account_name=values["account_name"],
            )
            user_id, placed = await checkout.checkout_signup(
                state.authz,
                cart_id=opened.cart_id,
                signup=signup,
                address=address,
                product_types=state.product_types,
                ip=ip,
            )
        elif values["account_id"] == NEW:
            placed = await checkout.checkout_new_account(
                state.authz,
                cart_id=opened.cart_id,
                user_id=user_id,
                user_email=request.state.session.email if request.state.get("session") else "",
                account_name=values["account_name"],
                address=address,
                product_types=state.product_types,
                ip=ip,
                by=audit_context(request),
            )
        else:
            account_id = int(values["account_id"]) if values["account_id"].isdigit() else 0
            if not account_id or not may_order(request, account_id):
                raise Forbidden("You may not place orders for that account.")
            placed = await checkout.checkout_account(
                cart_id=opened.cart_id,
                account_id=account_id,
                user_id=user_id,
                product_types=state.product_types,
                ip=ip,
                by=audit_context(request),
            )
    except ValidationFailed as exc:
        return await checkout_page_with(request, opened, 422, values, exc.errors)
    if request.state.get("user_id") is None or values["account_id"] == NEW:  # a new account: who referred it
        await referrals.attach_from_request(request, placed.account_id, actor=user_id)
    await checkout.after_commit(state, placed)
    return await _to_invoice(request, placed, new_user=request.state.get("user_id") is None, user_id=user_id)


async def _to_invoice(
    request: Request[Any, Any, Any], placed: Placed, *, new_user: bool, user_id: int
) -> Response[Any]:
    """Go to the order's invoice, logged in and working in the account the order is for."""
    settings = request.app.state.settings
    token = ""
    if new_user:
        token, _, _ = await start_session(request, user_id)
        await accounts.remember_choice(user_id, placed.account_id)
    elif request.state.get("session") is not None and request.state.get("account_id") != placed.account_id:
        token = await switch_account(request, placed.account_id)
    response = redirect(request, f"/invoices/{placed.invoice_id}?done=ordered")
    if token:
        set_session_cookie(response, settings, token)
    return response


ROUTES = [checkout_page, place_order]
