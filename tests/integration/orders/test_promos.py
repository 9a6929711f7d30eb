"""Promo codes: staff manage them, buyers apply them, checkout counts their uses."""

from __future__ import annotations

import asyncio
import datetime as dt

import factories as f
import pytest

from panel.core.orders import cart as carts
from panel.core.orders import promos
from panel.core.orders.placing import place_order
from panel.core.orders.tables import Cart, Order, OrderItem, PromoCode
from panel.errors import ValidationFailed

from .shop import add, bind, counts, new_cart, place, post


async def _staff(client, authz, role="admin"):
    await f.user(authz, f"{role}@example.com", staff=role)
    client.cookies.clear()
    assert (await f.login(client, f"{role}@example.com")).status_code == 303


async def _promo(**fields) -> int:
    raw = {"kind": "percent", "value": "10", "is_active": "on", **fields}
    return await promos.create_promo(raw)


async def _account(authz, shop, email="owner@example.com"):
    owner = await f.user(authz, email)
    account_id = await f.account(authz, f"{email} account", owner)
    await bind(account_id, shop.main)
    return owner, account_id


async def test_staff_create_a_promo_code_and_bad_input_saves_nothing(client, authz, shop):
    await _staff(client, authz)
    form = await client.get("/admin/promos/new")
    assert form.status_code == 200 and "Starter" in form.text
    bad = await post(
        client,
        "/admin/promos/new",
        code="x",
        kind="fixed",
        value="-5",
        currency="USD",
        max_uses="many",
        expires_on="soon",
        store_id="999",
    )
    assert bad.status_code == 422
    for field in ("code", "value", "max_uses", "expires_on", "store_id"):
        assert f'id="f-{field}-error"' in bad.text, field
    assert await PromoCode.count() == 0
    made = await post(
        client,
        "/admin/promos/new",
        code="welcome5",
        kind="fixed",
        value="5.00",
        currency="USD",
        products=str(shop.starter),
        recurring="on",
        max_uses="100",
        expires_on="2099-12-31",
        store_id=str(shop.main),
        is_active="on",
    )
    assert made.status_code == 303, made.text
    promo = await promos.find_code("WELCOME5")
    assert promo is not None
    assert (promo.kind, promo.value, promo.currency, promo.products, promo.recurring) == (
        "fixed",
        500,
        "USD",
        [shop.starter],
        True,
    )
    assert (promo.max_uses, promo.expires_on, promo.store_id) == (100, "2099-12-31", shop.main)
    listed = await client.get("/admin/promos")
    assert "WELCOME5" in listed.text and "$5.00" in listed.text
    duplicate = await post(client, "/admin/promos/new", code="Welcome5", kind="percent", value="10")
    assert duplicate.status_code == 422 and "Another promo code already uses this text." in duplicate.text


async def test_only_staff_admins_manage_promo_codes(client, authz, shop):
    await _staff(client, authz, "support")
    assert (await client.get("/admin/promos")).status_code == 403
    assert (await post(client, "/admin/promos/new", code="SNEAKY", value="50")).status_code == 403
    await f.user(authz, "client@example.com")
    client.cookies.clear()
    await f.login(client, "client@example.com")
    assert (await client.get("/admin/promos")).status_code == 403
    assert await PromoCode.count() == 0


async def test_unknown_expired_used_up_or_foreign_codes_are_refused_beside_the_field(client, shop):
    await _promo(code="GOOD")
    await _promo(code="OLD", expires_on=(dt.date.today() - dt.timedelta(days=1)).isoformat())
    full = await _promo(code="FULL", max_uses="2")
    await PromoCode.update({PromoCode.uses: 2}).where(PromoCode.id == full)
    await _promo(code="ACME", store_id=str(shop.acme))
    await _promo(code="EUROS", kind="fixed", value="5", currency="EUR")
    await _promo(code="DOMAINS", products=[str(shop.domain)])
    await _promo(code="OFF", is_active="")
    await add(client, shop.starter, "monthly")
    assert (await post(client, "/cart/promo", promo_code="good")).status_code == 303
    cases = {
        "NOPE": "There is no promo code NOPE.",
        "OFF": "There is no promo code OFF.",
        "OLD": "The promo code OLD expired on",
        "FULL": "The promo code FULL has been used up.",
        "ACME": "The promo code ACME is not valid in this store.",
        "EUROS": "The promo code EUROS is for orders in EUR.",
        "DOMAINS": "The promo code DOMAINS does not apply to anything in your cart.",
    }
    for code, message in cases.items():
        refused = await post(client, "/cart/promo", promo_code=code)
        assert refused.status_code == 422, code
        assert f'<p id="promo_code-error" class="field-error">{message}' in refused.text, code
        cart = await Cart.select(Cart.promo_code).first()
        assert cart["promo_code"] == "GOOD", code  # the cart kept its code
    api = await client.post("/api/v1/cart/promo", json={"code": "nope"})
    assert api.status_code == 422 and api.json()["errors"] == {"promo_code": "There is no promo code NOPE."}


async def test_a_code_that_expired_after_it_was_applied_stops_checkout(client, authz, shop):
    promo_id = await _promo(code="SOON")
    _, account_id = await _account(authz, shop)
    await f.login(client, "owner@example.com")
    await add(client, shop.starter, "monthly")
    await post(client, "/cart/promo", promo_code="SOON")
    await PromoCode.update({PromoCode.expires_at: dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)}).where(
        PromoCode.id == promo_id
    )
    cart_page = await client.get("/cart")
    assert "The promo code SOON expired on" in cart_page.text
    before = await counts()
    refused = await post(client, "/checkout", account_id=str(account_id))
    assert refused.status_code == 422 and "The promo code SOON expired on" in refused.text
    assert await counts() == before


async def _items(order_id: int) -> list[dict]:
    return list(await OrderItem.select().where(OrderItem.order == order_id).order_by(OrderItem.id))


@pytest.mark.parametrize(
    ("fields", "first", "recurring"),
    [
        ({"kind": "percent", "value": "10"}, [100, 20], [1000, 200]),  # first period only
        ({"kind": "percent", "value": "10", "recurring": "on"}, [100, 20], [900, 180]),
        ({"kind": "fixed", "value": "11.50", "currency": "USD"}, [1000, 150], [1000, 200]),  # spread, capped per line
        ({"kind": "fixed", "value": "5", "currency": "USD", "recurring": "on"}, [500, 0], [500, 200]),
    ],
)
async def test_percent_and_fixed_codes_for_the_first_period_or_every_period(
    client, authz, shop, fields, first, recurring
):
    await _promo(code="DEAL", **fields)
    _, account_id = await _account(authz, shop)
    types = client.app.state.product_types
    cart_id = await new_cart(types, [], store_id=shop.main)
    await carts.add_item(cart_id, types, carts.ItemRequest(shop.starter, "monthly", addons={shop.backups: "monthly"}))
    await carts.apply_promo(cart_id, "deal")
    placed = await place_order(cart_id=cart_id, account_id=account_id, placed_by=None, product_types=types)
    items = await _items(placed.order_id)
    assert [i["discount"] for i in items] == first
    assert [i["recurring_amount"] for i in items] == recurring
    order = await Order.select().where(Order.id == placed.order_id).first()
    assert order["discount"] == sum(first) and order["promo_code"] == "DEAL"
    assert order["total"] == 1000 + 500 + 200 - sum(first)  # the setup fee is never discounted
    assert (await promos.get_promo((await promos.find_code("DEAL")).id)).uses == 1


async def test_max_uses_hold_under_concurrent_checkouts(client, authz, shop):
    await _promo(code="ONCE", max_uses="1")
    _, one = await _account(authz, shop, "one@example.com")
    _, two = await _account(authz, shop, "two@example.com")
    types = client.app.state.product_types
    ids = [await new_cart(types, [(shop.starter, "monthly")], store_id=shop.main, promo="ONCE") for _ in range(2)]
    results = await asyncio.gather(
        place_order(cart_id=ids[0], account_id=one, placed_by=None, product_types=types),
        place_order(cart_id=ids[1], account_id=two, placed_by=None, product_types=types),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, ValidationFailed)]
    assert len(refused) == 1, results
    assert "used up" in refused[0].errors["promo_code"]
    assert await Order.count() == 1
    assert (await promos.find_code("ONCE")).uses == 1
    # and a third buyer through the pages is told so
    await f.login(client, "two@example.com")
    await add(client, shop.starter, "monthly")
    refused_page = await post(client, "/cart/promo", promo_code="ONCE")
    assert refused_page.status_code == 422 and "The promo code ONCE has been used up." in refused_page.text


async def test_a_promo_code_on_an_order_through_the_pages(client, authz, shop):
    await _promo(code="HALF", value="50")
    _, account_id = await _account(authz, shop)
    await f.login(client, "owner@example.com")
    await add(client, shop.starter, "monthly")
    assert (await post(client, "/cart/promo", promo_code=" half ")).status_code == 303
    page = await client.get("/cart")
    assert 'data-testid="promo-applied">HALF' in page.text and '<dd data-testid="discount">-$5.00</dd>' in page.text
    assert (await post(client, "/checkout", account_id=str(account_id))).status_code == 303
    order = await Order.select().first()
    assert (order["discount"], order["total"], order["promo_code"]) == (500, 1000, "HALF")
    placed_again = await place(
        client.app.state.product_types, account_id, [(shop.starter, "monthly")], store_id=shop.main
    )
    assert placed_again.total == 1500  # no code, no discount
