"""Checkout: the ways a cart becomes an order, each all or nothing.

- `checkout_signup`: a new customer; their user, account (they own it, bound to the
  cart's store), its own details and the order are written together;
- `checkout_new_account`: a logged-in user orders for a new account of theirs (a
  client of theirs, say), created in the same transaction;
- `checkout_account`: a logged-in user orders for an account they may order for (the
  route asks the rules engine; the account must buy from the cart's store).

Each ends in `placing.place_order`, inside the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from panel.core import db
from panel.core.audit.services import SYSTEM, AuditContext
from panel.core.auth import passwords
from panel.core.auth import services as auth
from panel.core.authz import Authorizer
from panel.core.billing.settlement import after_paid
from panel.core.clients import services as clients
from panel.core.contacts import opening
from panel.core.orders import cart as carts
from panel.core.orders.placing import Placed, check_cart, place_order
from panel.errors import ValidationFailed
from panel.product_types import ProductType

EMAIL_TAKEN = "This email already has a login: log in to order."


@dataclass(frozen=True)
class SignUp:
    """A new customer's login and the name of their account (the address comes as contact fields)."""

    name: str
    email: str
    password: str
    confirm_password: str | None = None
    account_name: str = ""


# -- the three ways in ----------------------------------------------------------------------


async def checkout_account(
    *,
    cart_id: int,
    account_id: int,
    user_id: int,
    product_types: Mapping[str, ProductType],
    ip: str = "",
    by: AuditContext = SYSTEM,
) -> Placed:
    """Order for an existing account (the caller checked that the user may order for it)."""
    return await place_order(
        cart_id=cart_id, account_id=account_id, placed_by=user_id, product_types=product_types, ip=ip, by=by
    )


async def _collect_cart_errors(cart_id: int, errors: dict[str, str]) -> None:
    try:
        await check_cart(cart_id)
    except ValidationFailed as exc:
        errors.update(exc.errors)


async def checkout_new_account(
    authz: Authorizer,
    *,
    cart_id: int,
    user_id: int,
    user_email: str,
    account_name: str,
    address: Mapping[str, Any],
    product_types: Mapping[str, ProductType],
    ip: str = "",
    by: AuditContext = SYSTEM,
) -> Placed:
    """Create an account owned by the user (bound to the cart's store) and order for it, in one transaction."""
    errors: dict[str, str] = {}
    new: opening.NewAccount | None = None
    try:
        new = opening.check_new_account(account_name, address, email=user_email, require_country=True)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    await _collect_cart_errors(cart_id, errors)
    if errors or new is None:
        raise ValidationFailed(errors)
    cart = await carts.cart_row(cart_id)
    async with authz.atomic(), db.write_transaction():
        account_id = await opening.write_new_account(authz, user_id, new, int(cart["store"]), by=by)
        return await place_order(
            cart_id=cart_id, account_id=account_id, placed_by=user_id, product_types=product_types, ip=ip, by=by
        )


async def checkout_signup(
    authz: Authorizer,
    *,
    cart_id: int,
    signup: SignUp,
    address: Mapping[str, Any],
    product_types: Mapping[str, ProductType],
    ip: str = "",
) -> tuple[int, Placed]:
    """A new customer: user, account (owned by them, in the cart's store), own details and order, all or nothing.

    Every problem is reported at once beside its field; an email that already has a
    login gets `EMAIL_TAKEN` and nothing is created. Returns the new user's id (the
    caller logs them in) and the order.
    """
    email = auth.normalise_email(signup.email)
    errors: dict[str, str] = {}
    if not signup.name.strip():
        errors["name"] = "Enter your name."
    if problem := auth.validate_email(email):
        errors["email"] = problem
    elif await auth.user_id_by_email(email) is not None:
        errors["email"] = EMAIL_TAKEN
    if problem := passwords.check_strength(signup.password):
        errors["password"] = problem
    elif signup.confirm_password is not None and signup.confirm_password != signup.password:
        errors["confirm_password"] = "The two passwords differ."  # noqa: S105 (a message)
    account: opening.NewAccount | None = None
    try:
        account = opening.check_new_account(
            signup.account_name, {**address, "name": signup.name, "email": email}, require_country=True
        )
    except ValidationFailed as exc:
        errors.update({k: v for k, v in exc.errors.items() if k not in errors})
    await _collect_cart_errors(cart_id, errors)
    if errors or account is None:
        raise ValidationFailed(errors)
    cart = await carts.cart_row(cart_id)
    new = clients.NewClient(
        login_email=email, password=signup.password, store_id=int(cart["store"]), account_name=account.name
    )
    async with authz.atomic(), db.write_transaction():
        try:
            account_id = await clients.create_client(authz, new, account.details.values())
        except ValidationFailed as exc:  # the email was taken meanwhile
            raise ValidationFailed(
                {
                    ("email" if k == "login_email" else k): (EMAIL_TAKEN if k == "login_email" else v)
                    for k, v in exc.errors.items()
                }
            ) from exc
        user_id = await auth.user_id_by_email(email)
        if user_id is None:  # create_client just made it, in this transaction
            raise RuntimeError("the new customer's user was not written")
        by: AuditContext = {"actor": user_id, "impersonator": None, "ip": ip}
        placed = await place_order(
            cart_id=cart_id, account_id=account_id, placed_by=user_id, product_types=product_types, ip=ip, by=by
        )
    return user_id, placed


async def after_commit(state: Any, placed: Placed) -> None:
    """After the checkout committed: a free order is paid, so hand it on as a paid invoice would be.

    Calls billing's `after_paid` (provisioning, then the `panel_on_invoice_paid`
    hook), which logs its own failures: the order stands whatever happens there.
    """
    if placed.paid:
        await after_paid(state, placed.invoice_id)
