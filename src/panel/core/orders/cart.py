"""The cart: which cart a browser or user has, in which store, and what is in it.

A cart is found by a random token in the `panel_cart` cookie (only its sha256 is
stored). When its visitor is logged in the cart also belongs to the user, so a user
who logs in keeps the cart, and a user without the cookie (another device) gets
their latest cart. A cart of a user is never shown to anyone else, even with the
cookie (a shared computer after logging out).

The cart is in one store: a visitor's is the store they browse; a logged-in user
with a current account buys from that account's store. When the store changes, the
items move with the cart and what the new store does not sell is dropped, with a
notice saying so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from panel.core import db
from panel.core.accounts.tables import Account
from panel.core.catalog import pricing
from panel.core.catalog.tables import ProductAddon
from panel.core.orders import lines, promos
from panel.core.orders.tables import Cart, CartItem
from panel.core.orders.taxes import BuyerPlace, tax_for
from panel.core.orders.totals import NO_TAX, Promotion, Totals, compute
from panel.core.stores.tables import Store
from panel.errors import NotFound, PanelError, ValidationFailed
from panel.product_types import ProductType

COOKIE = "panel_cart"
COOKIE_DAYS = 30


@dataclass(frozen=True)
class Visitor:
    """Who asks for a cart: the cookie's token ('' if none), the user and their current account."""

    token: str = ""
    user_id: int | None = None
    account_id: int | None = None


@dataclass
class Opened:
    """A cart found or made: its id (None: no cart yet), a new token for the cookie, notices."""

    cart_id: int | None
    store_id: int | None = None
    token: str = ""
    notices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ItemRequest:
    """An item to add: a product in a cycle, its options, addons (id -> cycle) and checkout fields."""

    product_id: int
    cycle: str
    quantity: int | str = 1
    options: Mapping[str, str] = field(default_factory=dict)
    addons: Mapping[int, str] = field(default_factory=dict)
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass
class CartView:
    """A cart priced now, with the promo code's state and, when the buyer's place is known, tax."""

    id: int | None
    store_id: int | None
    store_name: str
    store_slug: str
    currency: str
    items: list[lines.PricedItem]
    promo_code: str = ""
    promo_error: str = ""
    totals: Totals = field(default_factory=Totals)
    tax_known: bool = False
    notices: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Whether there is nothing to order."""
        return not self.items

    @property
    def problems(self) -> list[str]:
        """Why some items cannot be ordered as they are."""
        every = [x for item in self.items for x in (item, *item.addons)]
        return [f"{x.name}: {x.problem}" for x in every if x.problem]


def cart_id_of(opened: Opened) -> int:
    """The opened cart's id; `NotFound` when there is no cart yet."""
    if opened.cart_id is None:
        raise NotFound("Your cart is empty.")
    return opened.cart_id


def hash_token(token: str) -> str:
    """The stored form of a cart token."""
    return hashlib.sha256(token.encode()).hexdigest()


async def default_store() -> int:
    """The provider's default store (where visitors shop unless they browse another)."""
    row = await Store.select(Store.id).where(Store.is_default.eq(True)).first()
    if row is None:
        row = await Store.select(Store.id).order_by(Store.id).first()
    if row is None:
        raise PanelError("The shop is not open yet: there is no store.")
    return int(row["id"])


async def account_store(account_id: int) -> int:
    """The store an account buys from (the default store for an account bound to none)."""
    row = await Account.select(Account.store).where(Account.id == account_id).first()
    if row is None:
        raise NotFound("No such account.")
    return int(row["store"]) if row["store"] is not None else await default_store()


async def store_by_slug(slug: str) -> int | None:
    """An active store's id by its slug."""
    row = await Store.select(Store.id).where((Store.slug == slug) & (Store.is_active.eq(True))).first()
    return int(row["id"]) if row else None


async def _find(visitor: Visitor) -> dict[str, Any] | None:
    """The visitor's cart: the cookie's, else (logged in) the user's latest."""
    if visitor.token:
        row = await Cart.select().where(Cart.token_hash == hash_token(visitor.token)).first()
        if row is not None and row["user"] in (None, visitor.user_id):
            if visitor.user_id is not None and row["user"] is None:  # the visitor logged in: the cart is theirs
                await Cart.update({Cart.user: visitor.user_id}).where((Cart.id == row["id"]) & Cart.user.is_null())
                row["user"] = visitor.user_id
            return dict(row)
    if visitor.user_id is not None:
        row = (
            await Cart.select()
            .where(Cart.user == visitor.user_id)
            .order_by(Cart.updated_at, ascending=False)
            .order_by(Cart.id, ascending=False)
            .first()
        )
        return dict(row) if row else None
    return None


async def _wanted_store(visitor: Visitor, hint: int | None, cart: Mapping[str, Any] | None) -> int:
    if visitor.account_id is not None:
        return await account_store(visitor.account_id)
    if hint is not None:
        return hint
    if cart is not None:
        return int(cart["store"])
    return await default_store()


async def open_cart(visitor: Visitor, store_hint: int | None = None, *, create: bool = False) -> Opened:
    """Find the visitor's cart, move it to the store they buy from, and make one if asked.

    Reading an unchanged cart writes nothing (a storefront's page views take no write lock).

    `store_hint` is the store a visitor browses (ignored for a user with a current
    account, who buys from that account's store). Returns a new `token` only when a
    cart was made: the caller sets it in the cookie.
    """
    cart = await _find(visitor)
    store_id = await _wanted_store(visitor, store_hint, cart)
    if cart is not None:
        notices: list[str] = []
        if int(cart["store"]) != store_id:
            async with db.write_transaction():
                notices = await _move(cart, store_id)
        return Opened(int(cart["id"]), store_id, "", notices)
    if not create:
        return Opened(None, store_id)
    token = secrets.token_urlsafe(32)
    currency = await Store.select(Store.currency).where(Store.id == store_id).first()
    row = await Cart.insert(
        Cart(
            token_hash=hash_token(token),
            user=visitor.user_id,
            store=store_id,
            currency=currency["currency"] if currency else "USD",
        )
    ).returning(Cart.id)
    return Opened(int(row[0]["id"]), store_id, token)


async def _move(cart: Mapping[str, Any], store_id: int) -> list[str]:
    """Move a cart to another store; drop (and name) what that store does not sell in the chosen cycle."""
    store = await Store.select(Store.name, Store.currency).where(Store.id == store_id).first()
    if store is None:
        raise NotFound("That store does not exist.")
    rows = await CartItem.select(CartItem.id, CartItem.product, CartItem.product.name, CartItem.cycle).where(
        CartItem.cart == cart["id"]
    )
    dropped: list[str] = []
    for row in rows:
        try:
            await pricing.quote(store_id, row["product"], row["cycle"])
        except (ValidationFailed, NotFound):
            dropped.append(row["product.name"])
            await CartItem.delete().where(CartItem.id == row["id"])
    await Cart.update(
        {Cart.store: store_id, Cart.currency: store["currency"], Cart.updated_at: dt.datetime.now(dt.UTC)}
    ).where(Cart.id == cart["id"])
    if not dropped:
        return []
    names = ", ".join(dropped)
    return [f"Your cart now buys from {store['name']}, which does not sell {names}: removed from the cart."]


async def item_rows(cart_id: int) -> list[dict[str, Any]]:
    """The cart's item rows (options and fields as dicts), oldest first."""
    return list(await CartItem.select().where(CartItem.cart == cart_id).order_by(CartItem.id).output(load_json=True))


async def cart_row(cart_id: int) -> dict[str, Any]:
    """The cart's row with its store's name and slug, or `NotFound`."""
    row = await Cart.select(*Cart.all_columns(), Cart.store.name, Cart.store.slug).where(Cart.id == cart_id).first()
    if row is None:
        raise NotFound("That cart no longer exists.")
    return dict(row)


async def view(cart_id: int | None, store_id: int | None, place: BuyerPlace | None = None) -> CartView:
    """The cart priced now: items, the promo code checked again, and tax when `place` is known."""
    if cart_id is None:
        store = await Store.select().where(Store.id == store_id).first() if store_id else None
        return CartView(
            None,
            store_id,
            store["name"] if store else "",
            store["slug"] if store else "",
            store["currency"] if store else "USD",
            [],
        )
    cart = await cart_row(cart_id)
    items = await lines.price_rows(cart["store"], await item_rows(cart_id))
    out = CartView(
        cart_id,
        cart["store"],
        cart["store.name"],
        cart["store.slug"],
        cart["currency"],
        items,
        promo_code=cart["promo_code"],
    )
    try:
        units = lines.units(items)
    except ValidationFailed:
        return out  # `problems` says what is wrong
    promotion: Promotion | None = None
    if cart["promo_code"]:
        try:
            _, promotion = await promos.check(cart["promo_code"], cart["store"], cart["currency"], units)
        except ValidationFailed as exc:
            out.promo_error = exc.errors[promos.FIELD]
    tax = await tax_for(cart["store"], place) if place is not None else NO_TAX
    out.totals = compute(units, promotion, tax)
    out.tax_known = place is not None and bool(place.country)
    return out


async def _touch(cart_id: int) -> None:
    await Cart.update({Cart.updated_at: dt.datetime.now(dt.UTC)}).where(Cart.id == cart_id)


async def add_item(cart_id: int, product_types: Mapping[str, ProductType], wanted: ItemRequest) -> int:
    """Add a product (and its addons) to the cart, every choice checked; returns the new item's id.

    Refused with a clear reason (nothing added): a product that does not exist, is not
    sold in the cart's store or not in that cycle, an addon that does not belong to
    it, options out of range, a quantity below 1, checkout fields the product type
    rejects, or a type whose plugin is switched off.
    """
    cart = await cart_row(cart_id)
    store_id = int(cart["store"])
    quantity = lines.check_quantity(wanted.quantity)
    infos = await lines.products([wanted.product_id, *wanted.addons])
    info = lines.require_product(infos.get(wanted.product_id))
    await pricing.quote(store_id, info.id, wanted.cycle)
    await _check_term(store_id, info.product_type, wanted.cycle, info.name)
    options = lines.clean_options(info.options, wanted.options)
    fields = await _checkout_fields(product_types, info, wanted.fields)
    allowed_addons = {
        r["addon"] for r in await ProductAddon.select(ProductAddon.addon).where(ProductAddon.product == info.id)
    }
    addons: list[tuple[lines.ProductInfo, str]] = []
    for addon_id, cycle in wanted.addons.items():
        addon = infos.get(addon_id)
        if addon is None or addon_id not in allowed_addons:
            raise ValidationFailed({f"addon_{addon_id}": f"That addon cannot be ordered with {info.name}."})
        try:
            await pricing.quote(store_id, addon_id, cycle)
        except ValidationFailed as exc:
            raise ValidationFailed({f"addon_{addon_id}": f"{addon.name}: {exc.message}"}) from exc
        addons.append((addon, cycle))
    async with db.write_transaction():
        row = await CartItem.insert(
            CartItem(
                cart=cart_id, product=info.id, cycle=wanted.cycle, quantity=quantity, options=options, fields=fields
            )
        ).returning(CartItem.id)
        item_id = int(row[0]["id"])
        for addon, cycle in addons:
            await CartItem.insert(
                CartItem(cart=cart_id, product=addon.id, parent=item_id, cycle=cycle, quantity=quantity)
            )
        await _touch(cart_id)
    return item_id


async def add_service_addon(cart_id: int, account_id: int, service_id: int, addon_id: int, cycle: str) -> int:
    """Put an addon for a service the account already has in the cart; returns the cart item's id.

    Refused with a clear reason (nothing added): a service of another account
    (`NotFound`), a service that is not active, an addon that does not go with the
    service's product, one the service already has, or one the cart's store does not
    sell in that cycle. The same addon for the same service twice is one item.
    """
    from panel.core.services.tables import Service, ServiceStatus

    service = await (
        Service.select(Service.id, Service.product, Service.status, Service.label)
        .where((Service.id == service_id) & (Service.account == account_id))
        .first()
    )
    if service is None:
        raise NotFound("No such service in this account.")
    if service["status"] != ServiceStatus.ACTIVE:
        raise ValidationFailed({"addon": "Addons can be ordered for active services only."})
    if not await ProductAddon.exists().where(
        (ProductAddon.product == service["product"]) & (ProductAddon.addon == addon_id)
    ):
        raise ValidationFailed({"addon": "That addon cannot be ordered for this service."})
    if await Service.exists().where(
        (Service.parent == service_id) & (Service.product == addon_id) & Service.status.is_in(list(ServiceStatus.LIVE))
    ):
        raise ValidationFailed({"addon": "This service has that addon already."})
    cart = await cart_row(cart_id)
    await pricing.quote(int(cart["store"]), addon_id, cycle)
    async with db.write_transaction():
        there = await (
            CartItem.select(CartItem.id)
            .where((CartItem.cart == cart_id) & (CartItem.for_service == service_id) & (CartItem.product == addon_id))
            .first()
        )
        if there is not None:
            await CartItem.update({CartItem.cycle: cycle}).where(CartItem.id == there["id"])
            item_id = int(there["id"])
        else:
            row = await CartItem.insert(
                CartItem(cart=cart_id, product=addon_id, cycle=cycle, quantity=1, for_service=service_id)
            ).returning(CartItem.id)
            item_id = int(row[0]["id"])
        await _touch(cart_id)
    return item_id


async def _check_term(store_id: int, product_type: str, cycle: str, name: str) -> None:
    """Refuse a cycle shorter than a minimum term the store wants paid in advance."""
    from panel.core.stores.services import get_store, minimum_term_problem

    problem = minimum_term_problem(await get_store(store_id), product_type, cycle, name)
    if problem:
        raise ValidationFailed({"cycle": problem})


async def _checkout_fields(
    product_types: Mapping[str, ProductType], info: lines.ProductInfo, raw: Mapping[str, str]
) -> dict[str, Any]:
    ptype = product_types.get(info.product_type)
    if ptype is None:
        raise ValidationFailed({"product": f"{info.name} cannot be ordered right now."})
    return await ptype.validate_checkout(raw, info.config)


async def _item(cart_id: int, item_id: int) -> dict[str, Any]:
    row = await CartItem.select().where((CartItem.id == item_id) & (CartItem.cart == cart_id)).first()
    if row is None:
        raise NotFound("That item is not in your cart.")
    return dict(row)


async def change_item(cart_id: int, item_id: int, cycle: str | None = None, quantity: Any = None) -> None:
    """Change an item's cycle (priced again) or quantity (its addons follow the quantity)."""
    item = await _item(cart_id, item_id)
    cart = await cart_row(cart_id)
    changes: dict[Any, Any] = {}
    if cycle is not None and cycle != item["cycle"]:
        await pricing.quote(int(cart["store"]), int(item["product"]), cycle)
        found = (await lines.products([int(item["product"])])).get(int(item["product"]))
        info = found if item["for_service"] is not None and found else lines.require_product(found)
        await _check_term(int(cart["store"]), info.product_type, cycle, info.name)
        changes[CartItem.cycle] = cycle
    if quantity is not None and item["parent"] is None and item["for_service"] is None:
        changes[CartItem.quantity] = lines.check_quantity(quantity)
    if not changes:
        return
    async with db.write_transaction():
        await CartItem.update(changes).where(CartItem.id == item_id)
        if CartItem.quantity in changes:
            await CartItem.update({CartItem.quantity: changes[CartItem.quantity]}).where(CartItem.parent == item_id)
        await _touch(cart_id)


async def remove_item(cart_id: int, item_id: int) -> None:
    """Take an item (and its addons) out of the cart."""
    await _item(cart_id, item_id)
    async with db.write_transaction():
        await CartItem.delete().where((CartItem.parent == item_id) & (CartItem.cart == cart_id))
        await CartItem.delete().where((CartItem.id == item_id) & (CartItem.cart == cart_id))
        await _touch(cart_id)


async def apply_promo(cart_id: int, code: str) -> str:
    """Check a promo code against the cart and keep it; returns the normalised code.

    Refused beside the promo field (the cart unchanged): unknown, expired, used up,
    another store's, another currency's, or applying to nothing in the cart.
    """
    cart = await cart_row(cart_id)
    items = await lines.price_rows(cart["store"], await item_rows(cart_id))
    units = lines.units(items)
    await promos.check(code, cart["store"], cart["currency"], units)
    text = promos.normalise_code(code)
    await Cart.update({Cart.promo_code: text, Cart.updated_at: dt.datetime.now(dt.UTC)}).where(Cart.id == cart_id)
    return text


async def remove_promo(cart_id: int) -> None:
    """Forget the cart's promo code."""
    await Cart.update({Cart.promo_code: ""}).where(Cart.id == cart_id)


async def empty(cart_id: int) -> None:
    """Remove every item and the promo code (after checkout; in its transaction)."""
    await CartItem.delete().where(CartItem.cart == cart_id)
    await Cart.update({Cart.promo_code: "", Cart.updated_at: dt.datetime.now(dt.UTC)}).where(Cart.id == cart_id)


_ITEM_KEYS = frozenset({"product_id", "cycle", "quantity", "store", "_csrf_token"})


def parse_item_form(form: Mapping[str, Any]) -> ItemRequest:
    """An `ItemRequest` from the storefront's form fields.

    `product_id`, `cycle`, `quantity`, `option_<name>`, `addon_<id>` (= the addon's
    cycle; empty: not wanted); every other field is offered to the product type's
    `validate_checkout`, which keeps the checkout fields it declares.
    """
    product = str(form.get("product_id") or "").strip()
    if not product.isdigit():
        raise ValidationFailed({"product": "Choose a product."})
    options: dict[str, str] = {}
    addons: dict[int, str] = {}
    fields: dict[str, str] = {}
    for key, value in form.items():
        text = str(value).strip()
        if key.startswith("option_"):
            options[key.removeprefix("option_")] = text
        elif key.startswith("addon_"):
            addon = key.removeprefix("addon_")
            if not addon.isdigit():
                raise ValidationFailed({key: "Choose addons from the list."})
            if text:
                addons[int(addon)] = text
        elif key not in _ITEM_KEYS:
            fields[key] = str(value)
    return ItemRequest(
        product_id=int(product),
        cycle=str(form.get("cycle") or "").strip(),
        quantity=str(form.get("quantity") or "1"),
        options=options,
        addons=addons,
        fields=fields,
    )
