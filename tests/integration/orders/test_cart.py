"""The cart: adding with every choice checked, surviving login, another device, moving stores."""

from __future__ import annotations

import factories as f

from panel.core.orders.tables import Cart, CartItem

from .shop import add, bind, post, product, sell


async def _items() -> list[dict]:
    return list(await CartItem.select().order_by(CartItem.id).output(load_json=True))


async def test_a_visitor_adds_a_product_with_an_option_and_an_addon(client, shop):
    added = await add(
        client, shop.starter, "monthly", option_disk="50gb", **{f"addon_{shop.backups}": "monthly"}, quantity="2"
    )
    assert added.status_code == 303, added.text
    assert added.headers["location"] == "/cart?done=added"
    cookie = next(c for c in added.headers.get_list("set-cookie") if c.startswith("panel_cart="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("SameSite=Lax", "SameSite=lax")
    token = client.cookies.get("panel_cart")
    cart = await Cart.select().first()
    assert cart["token_hash"] != token and len(cart["token_hash"]) == 64  # only the hash is stored
    page = await client.get("/cart")
    assert page.status_code == 200
    assert "Starter" in page.text and "Disk: 50 GB" in page.text and "Backups" in page.text
    # 2 x (10.00 + 3.00 disk) + 2 x 2.00 backups + 2 x 5.00 setup
    assert '<dd data-testid="subtotal">$40.00</dd>' in page.text
    rows = await _items()
    assert [(r["product"], r["quantity"], r["parent"]) for r in rows] == [
        (shop.starter, 2, None),
        (shop.backups, 2, rows[0]["id"]),
    ]


async def test_a_cycle_the_product_lacks_is_refused_with_the_reason(client, shop):
    refused = await add(client, shop.domain, "monthly", domain="example.com")
    assert refused.status_code == 422
    assert "This product is not offered monthly; choose annually." in refused.text
    assert await _items() == []


async def test_a_product_the_store_does_not_sell_is_refused(client, shop):
    refused = await add(client, shop.pro, "monthly")
    assert refused.status_code == 422
    assert "This product is not sold in your store." in refused.text
    assert await _items() == []


async def test_bad_quantity_options_addons_and_fields_are_refused(client, shop):
    cases = [
        ({"quantity": "-1"}, "Enter a quantity from 1 to 100."),
        ({"option_disk": "1tb"}, "Choose one of the values of Disk."),
        ({f"addon_{shop.domain}": "annual"}, "That addon cannot be ordered with Starter."),
        ({f"addon_{shop.backups}": "quarterly"}, "Backups: This product is not offered quarterly"),
    ]
    for extra, message in cases:
        refused = await add(client, shop.starter, "monthly", **extra)
        assert refused.status_code == 422, extra
        assert message in refused.text, extra
    gone = await product("Gone", "gone", ptype="switched_off.thing")  # its plugin is not enabled
    await sell(shop.main, gone, "USD", {"monthly": 100})
    refused = await add(client, gone, "monthly")
    assert refused.status_code == 422 and "Gone cannot be ordered right now." in refused.text
    refused = await add(client, shop.domain, "annual", domain="not a domain")
    assert refused.status_code == 422
    assert "Enter a domain name like example.com." in refused.text
    assert await _items() == []
    ok = await add(client, shop.domain, "annual", domain="Example.COM")
    assert ok.status_code == 303
    assert (await _items())[0]["fields"] == {"domain": "example.com"}  # cleaned by the product type


async def test_the_cart_survives_logging_in_and_reaches_another_device(client, authz, shop, new_client):
    await f.user(authz, "ann@example.com")
    assert (await add(client, shop.starter, "annual")).status_code == 303
    assert (await f.login(client, "ann@example.com")).status_code == 303
    page = await client.get("/cart")
    assert "Starter" in page.text and "$150.00" not in page.text  # 100.00 + 5.00 setup
    assert '<dd data-testid="subtotal">$105.00</dd>' in page.text
    cart = await Cart.select().first()
    assert cart["user"] is not None  # the cart now belongs to the user
    async with new_client() as phone:
        before = await phone.get("/cart")
        assert "Your cart is empty" in before.text  # a stranger's browser sees nothing
        assert (await f.login(phone, "ann@example.com")).status_code == 303
        after = await phone.get("/cart")
        assert "Starter" in after.text and '<dd data-testid="subtotal">$105.00</dd>' in after.text
        # adding on the phone adds to the same cart
        assert (await add(phone, shop.domain, "annual", domain="ann.example")).status_code == 303
    assert await Cart.count() == 1
    assert len(await _items()) == 2


async def test_a_users_cart_is_not_shown_to_the_next_visitor_of_the_browser(client, authz, shop):
    await f.user(authz, "ann@example.com")
    await f.login(client, "ann@example.com")
    await add(client, shop.starter, "annual")
    await post(client, "/logout")
    page = await client.get("/cart")
    assert "Your cart is empty" in page.text
    # nor can the browser change it
    item = (await _items())[0]
    assert (await post(client, f"/cart/items/{item['id']}/delete")).status_code == 404
    assert len(await _items()) == 1


async def test_logging_into_an_account_of_another_store_moves_the_cart(client, authz, shop):
    owner = await f.user(authz, "eve@example.com")
    account = await f.account(authz, "Eve EU", owner)
    await bind(account, shop.acme)
    await add(client, shop.starter, "monthly")
    await add(client, shop.domain, "annual", domain="eve.example")
    await f.login(client, "eve@example.com")
    page = await client.get("/cart")
    assert "Acme Reseller" in page.text
    assert "does not sell Domain: removed from the cart" in page.text
    assert "Starter" in page.text and "€9.00" in page.text  # priced in the new store
    cart = await Cart.select().first()
    assert (cart["store"], cart["currency"]) == (shop.acme, "EUR")
    assert [r["product"] for r in await _items()] == [shop.starter]


async def test_change_cycle_quantity_and_remove(client, shop):
    await add(client, shop.starter, "monthly", **{f"addon_{shop.backups}": "monthly"})
    parent, _addon = await _items()
    assert (await post(client, f"/cart/items/{parent['id']}", cycle="annual")).status_code == 303
    assert (await post(client, f"/cart/items/{parent['id']}", quantity="3")).status_code == 303
    refused = await post(client, f"/cart/items/{parent['id']}", cycle="quarterly")
    assert refused.status_code == 422 and "not offered quarterly" in refused.text
    refused = await post(client, f"/cart/items/{parent['id']}", quantity="0")
    assert refused.status_code == 422
    rows = await _items()
    assert [(r["cycle"], r["quantity"]) for r in rows] == [("annual", 3), ("monthly", 3)]  # the addon follows
    assert (await post(client, f"/cart/items/{parent['id']}/delete")).status_code == 303
    assert await _items() == []


async def test_the_cart_api(client, shop):
    empty = await client.get("/api/v1/cart")
    assert empty.status_code == 200 and empty.json()["id"] is None
    added = await client.post(
        "/api/v1/cart/items",
        json={"product_id": shop.starter, "cycle": "monthly", "addons": {str(shop.backups): "monthly"}},
    )
    assert added.status_code == 201, added.text
    body = added.json()
    assert body["currency"] == "USD" and body["subtotal"] == 1000 + 500 + 200
    assert body["items"][0]["addons"][0]["name"] == "Backups"
    refused = await client.post("/api/v1/cart/items", json={"product_id": shop.pro, "cycle": "monthly"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"product": "This product is not sold in your store."}
    missing = await client.post("/api/v1/cart/items", json={"product_id": 999999, "cycle": "monthly"})
    assert missing.status_code == 404
    item_id = body["items"][0]["id"]
    changed = await client.patch(f"/api/v1/cart/items/{item_id}", json={"quantity": 2})
    assert changed.status_code == 200 and changed.json()["subtotal"] == 2 * 1700
    removed = await client.delete(f"/api/v1/cart/items/{item_id}")
    assert removed.status_code == 200 and removed.json()["items"] == []


async def test_a_visitor_buys_from_the_store_they_browse(client, shop):
    await client.get("/cart")
    # the storefront's product page of Acme posted the form
    refused_in_main = await add(client, shop.pro, "monthly")
    assert refused_in_main.status_code == 422
    added = await client.post(
        "/cart/items",
        data={"product_id": str(shop.pro), "cycle": "monthly", "_csrf_token": f.csrf(client)},
        headers={"referer": "http://testserver.local/store/acme/pro"},
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    cart = await Cart.select().first()
    assert (cart["store"], cart["currency"]) == (shop.acme, "EUR")
    page = await client.get("/cart")
    assert "Acme Reseller" in page.text and "€30.00" in page.text
    # a form naming its store moves the cart back, dropping what Main does not sell
    moved = await add(client, shop.starter, "monthly", store="main")
    assert moved.status_code == 200
    assert "Main store, which does not sell Pro: removed from the cart." in moved.text
    assert "Added to your cart." in moved.text
    assert [r["product"] for r in await _items()] == [shop.starter]
