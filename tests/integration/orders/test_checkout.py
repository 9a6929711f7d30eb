"""Checkout: a new customer signs up and orders; logged-in users order for their accounts."""

from __future__ import annotations

import factories as f

from panel.core.accounts import services as accounts
from panel.core.audit.tables import AuditEvent
from panel.core.auth import services as auth
from panel.core.billing.tables import Invoice, InvoiceLine, InvoiceStatus
from panel.core.catalog.tables import Price, PriceTarget
from panel.core.contacts import services as contacts
from panel.core.orders.tables import CartItem, Order, OrderItem, OrderStatus
from panel.core.services.tables import Service, ServiceStatus

from .shop import PAID, SIGNUP, add, bind, counts, post


async def test_a_new_customer_signs_up_and_orders_in_one_go(client, shop):
    await add(client, shop.starter, "monthly", **{f"addon_{shop.backups}": "monthly"})
    await add(client, shop.domain, "annual", domain="novak.example")
    page = await client.get("/checkout")
    assert page.status_code == 200
    assert 'href="/login?next=/checkout"' in page.text  # or log in and come back
    before = await counts()
    placed = await post(client, "/checkout", **SIGNUP, account_name="")
    assert placed.status_code == 303, placed.text
    invoice_id = int(placed.headers["location"].split("/")[2].split("?")[0])
    after = await counts()
    grew = {k: after[k] - before[k] for k in after}
    assert grew == {
        "users": 1,
        "accounts": 1,
        "contacts": 1,
        "orders": 1,
        "order_items": 3,
        "services": 3,
        "invoices": 1,
        "invoice_lines": 4,  # three items and Starter's setup fee
        "cart_items": -3,  # the cart is empty now
    }
    user_id = await auth.user_id_by_email("nina@example.com")
    mine = await accounts.accounts_of(user_id)
    assert [(a.name, a.is_owner) for a in mine] == [("Novak s.r.o.", True)]
    account_id = mine[0].id
    order = await Order.select().first()
    assert order["account"] == account_id and order["store"] == shop.main and order["placed_by"] == user_id
    assert order["number"] == f"ORD-{order['id']:06d}" and order["invoice_id"] == invoice_id
    assert (order["subtotal"], order["discount"], order["tax"], order["total"]) == (1000 + 500 + 200 + 1500, 0, 0, 3200)
    invoice = await Invoice.select().where(Invoice.id == invoice_id).output(load_json=True).first()
    assert (invoice["account"], invoice["order_id"], invoice["total"]) == (account_id, order["id"], 3200)
    assert invoice["status"] == InvoiceStatus.UNPAID
    assert invoice["billing"]["country"] == "CZ" and invoice["billing"]["name"] == "Nina Novak"
    services = await Service.select().order_by(Service.id)
    assert all(s["account"] == account_id and s["status"] == ServiceStatus.PENDING for s in services)
    starter, backups, domain = services
    assert backups["parent"] == starter["id"]  # the addon hangs under its product's service
    assert domain["label"] == "novak.example"
    items = await OrderItem.select().order_by(OrderItem.id)
    assert [i["service_id"] for i in items] == [s["id"] for s in services]
    assert items[1]["parent"] == items[0]["id"]
    lines = await InvoiceLine.select(InvoiceLine.description, InvoiceLine.amount).order_by(InvoiceLine.sort)
    assert [line["amount"] for line in lines] == [1000, 500, 200, 1500]
    assert lines[1]["description"].startswith("Setup fee: Starter")
    placed_event = await AuditEvent.select().where(AuditEvent.action == "order.placed").first()
    assert (placed_event["actor_user_id"], placed_event["account_id"]) == (user_id, account_id)
    assert placed_event["target"] == f"order:{order['id']}"
    own = await contacts.primary_contact(account_id)
    assert own is not None and own.is_billing and own.email == "nina@example.com"
    # logged in, working in the new account
    me = await client.get("/api/v1/me")
    assert me.json()["id"] == user_id and me.json()["account_id"] == account_id
    assert (await client.get(f"/orders/{order['id']}")).status_code == 200
    invoice_page = await client.get(placed.headers["location"])
    assert invoice_page.status_code == 200 and invoice["number"] in invoice_page.text


async def test_an_email_with_a_login_creates_nothing(client, authz, shop):
    await f.user(authz, "nina@example.com")
    await add(client, shop.starter, "monthly")
    before = await counts()
    refused = await post(client, "/checkout", **SIGNUP)
    assert refused.status_code == 422
    assert (
        'id="signup-email-error" class="field-error">This email already has a login: log in to order.' in refused.text
    )
    assert await counts() == before
    assert "panel_session" not in client.cookies


async def test_bad_sign_up_input_shows_every_problem_and_creates_nothing(client, shop):
    await add(client, shop.starter, "monthly")
    before = await counts()
    bad = {**SIGNUP, "email": "nope", "password": "short", "confirm_password": "short", "country": "", "name": ""}
    refused = await post(client, "/checkout", **bad)
    assert refused.status_code == 422
    for field in ("name", "email", "password", "country"):
        assert f'id="signup-{field}-error"' in refused.text, field
    assert await counts() == before


async def test_an_item_no_longer_sold_stops_checkout_with_the_reason(client, authz, shop):
    await add(client, shop.starter, "monthly")
    # the store stops offering Starter monthly after it was put in the cart
    await Price.delete().where(
        (Price.target == PriceTarget.PRODUCT) & (Price.target_id == shop.starter) & (Price.cycle == "monthly")
    )
    before = await counts()
    refused = await post(client, "/checkout", **SIGNUP)
    assert refused.status_code == 422
    assert "Starter: This product is not offered monthly; choose annually." in refused.text
    assert await counts() == before


async def _member_setup(authz, shop):
    owner = await f.user(authz, "olga@example.com")
    buyer = await f.user(authz, "bert@example.com")
    viewer = await f.user(authz, "vic@example.com")
    first = await f.account(authz, "Olga One", owner, {buyer: ["orders"], viewer: ["invoices"]})
    second = await f.account(authz, "Bert Two", buyer)
    for account_id in (first, second):
        await bind(account_id, shop.main)
        await contacts.save_primary(account_id, {"name": "Billing", "email": "b@example.com", "country": "US"})
    return first, second


async def test_a_member_orders_for_each_account_and_they_never_mix(client, authz, shop):
    first, second = await _member_setup(authz, shop)
    await f.login(client, "bert@example.com")
    await add(client, shop.starter, "monthly")
    page = await client.get("/checkout")
    assert f'type="radio" name="account_id" value="{first}"' in page.text
    assert f'type="radio" name="account_id" value="{second}"' in page.text
    one = await post(client, "/checkout", account_id=str(first))
    assert one.status_code == 303, one.text
    await add(client, shop.domain, "annual", domain="bert.example")
    two = await post(client, "/checkout", account_id=str(second))
    assert two.status_code == 303, two.text
    orders = await Order.select().order_by(Order.id)
    assert [o["account"] for o in orders] == [first, second]
    for order in orders:
        invoice = await Invoice.select().where(Invoice.id == order["invoice_id"]).first()
        assert invoice["account"] == order["account"]
        items = await OrderItem.select().where(OrderItem.order == order["id"])
        services = await Service.select().where(Service.id.is_in([i["service_id"] for i in items]))
        assert {s["account"] for s in services} == {order["account"]}
    assert await Service.count().where(Service.account == first) == 1
    assert await Service.count().where(Service.account == second) == 1
    # each account's order list shows only its own order
    listed = await client.get(f"/api/v1/accounts/{first}/orders")
    assert [o["account_id"] for o in listed.json()["items"]] == [first]
    other = await client.get(f"/api/v1/accounts/{first}/orders/{orders[1]['id']}")
    assert other.status_code == 404


async def test_a_member_without_orders_cannot_order_for_the_account_nor_see_its_orders(client, authz, shop):
    first, _ = await _member_setup(authz, shop)
    await f.login(client, "vic@example.com")
    await add(client, shop.starter, "monthly")
    page = await client.get("/checkout")
    assert 'name="account_id" value="new"' in page.text
    assert f'type="radio" name="account_id" value="{first}"' not in page.text  # not offered
    before = await counts()
    refused = await post(client, "/checkout", account_id=str(first))
    assert refused.status_code == 403
    api = await client.post("/api/v1/checkout", json={"account_id": first}, headers={"x-csrftoken": f.csrf(client)})
    assert api.status_code == 403
    assert await counts() == before
    assert (await client.get(f"/api/v1/accounts/{first}/orders")).status_code == 403
    assert (await client.get("/orders")).status_code == 403


async def test_a_logged_in_user_orders_for_a_new_account(client, authz, shop):
    first, _ = await _member_setup(authz, shop)
    await f.login(client, "olga@example.com")
    await add(client, shop.starter, "annual")
    before = await counts()
    missing = await post(client, "/checkout", account_id="new", name="Client Co", country="")
    assert missing.status_code == 422 and 'id="new-country-error"' in missing.text
    assert await counts() == before
    placed = await post(
        client, "/checkout", account_id="new", account_name="Client Co", name="Cleo Client", country="DE"
    )
    assert placed.status_code == 303, placed.text
    owner = await auth.user_id_by_email("olga@example.com")
    mine = {a.name: a for a in await accounts.accounts_of(owner)}
    new = mine["Client Co"]
    assert new.is_owner and new.id != first
    order = await Order.select().first()
    assert order["account"] == new.id
    assert await Service.count().where(Service.account == new.id) == 1
    assert await Service.count().where(Service.account == first) == 0
    me = await client.get("/api/v1/me")
    assert me.json()["account_id"] == new.id  # now working in the new account


async def test_an_account_of_another_store_is_refused(client, authz, shop):
    first, _ = await _member_setup(authz, shop)
    await bind(first, shop.acme)
    await f.login(client, "bert@example.com")  # two accounts: no current one, the cart stays in Main
    await add(client, shop.starter, "monthly")
    before = await counts()
    refused = await post(client, "/checkout", account_id=str(first))
    assert refused.status_code == 422
    assert "That account buys from Acme Reseller" in refused.text
    assert await counts() == before


async def test_checkout_through_the_api(client, authz, shop):
    first, _ = await _member_setup(authz, shop)
    await f.login(client, "bert@example.com")
    headers = {"x-csrftoken": f.csrf(client)}
    await client.post("/api/v1/cart/items", json={"product_id": shop.starter, "cycle": "monthly"}, headers=headers)
    empty = await client.post("/api/v1/checkout", json={}, headers=headers)
    assert empty.status_code == 422
    placed = await client.post("/api/v1/checkout", json={"account_id": first}, headers=headers)
    assert placed.status_code == 201, placed.text
    body = placed.json()
    assert body["account_id"] == first and body["total"] == 1500 and body["number"].startswith("ORD-")
    assert await CartItem.count() == 0
    again = await client.post("/api/v1/checkout", json={"account_id": first}, headers=headers)
    assert again.status_code == 422 and again.json()["errors"] == {"cart": "Your cart is empty."}


async def test_a_free_order_is_paid_at_once(client, authz, shop):
    first, _ = await _member_setup(authz, shop)
    await Price.update({Price.amount: 0, Price.setup_fee: 0}).where(Price.target_id == shop.starter)
    await f.login(client, "bert@example.com")
    await add(client, shop.starter, "monthly")
    placed = await post(client, "/checkout", account_id=str(first))
    assert placed.status_code == 303
    order = await Order.select().first()
    invoice = await Invoice.select().where(Invoice.id == order["invoice_id"]).first()
    assert order["status"] == OrderStatus.PAID and order["paid_at"] is not None
    assert invoice["status"] == InvoiceStatus.PAID and invoice["total"] == 0
    # handed on as a paid invoice is: provisioned, and plugins told
    assert PAID == [{"invoice_id": invoice["id"], "account_id": first, "order_id": order["id"]}]
    service = await Service.select(Service.status).first()
    assert service["status"] == ServiceStatus.PENDING  # until its provisioning job ran
    assert await f.run_jobs(client.app) == 1
    service = await Service.select(Service.status).first()
    assert service["status"] == ServiceStatus.ACTIVE


async def test_an_order_with_something_to_pay_waits_for_its_invoice(client, authz, shop):
    first, _ = await _member_setup(authz, shop)
    await f.login(client, "bert@example.com")
    await add(client, shop.starter, "monthly")
    await post(client, "/checkout", account_id=str(first))
    order = await Order.select().first()
    assert order["status"] == OrderStatus.PENDING and PAID == []
    assert (await Service.select(Service.status).first())["status"] == ServiceStatus.PENDING
