"""Orders pages and API: the client's own orders, staff lists with filters, cancelling a pending order."""

from __future__ import annotations

import factories as f

from panel.core.billing.tables import Invoice, InvoiceStatus
from panel.core.orders.tables import Order, OrderStatus
from panel.core.services.tables import Service, ServiceStatus

from .shop import bind, place, post


async def _two_accounts(authz, shop):
    ann = await f.user(authz, "ann@example.com")
    bob = await f.user(authz, "bob@example.com")
    mia = await f.user(authz, "mia@example.com")
    ann_acct = await f.account(authz, "Ann Ltd", ann, {mia: ["invoices"]})
    bob_acct = await f.account(authz, "Bob Ltd", bob)
    await bind(ann_acct, shop.main)
    await bind(bob_acct, shop.acme)
    return ann_acct, bob_acct


async def _orders(client, shop, ann_acct, bob_acct):
    types = client.app.state.product_types
    first = await place(types, ann_acct, [(shop.starter, "monthly")], store_id=shop.main)
    second = await place(types, ann_acct, [(shop.starter, "annual")], store_id=shop.main)
    bobs = await place(types, bob_acct, [(shop.pro, "monthly")], store_id=shop.acme)
    return first, second, bobs


async def test_a_client_sees_its_own_orders_only(client, authz, shop):
    ann_acct, bob_acct = await _two_accounts(authz, shop)
    first, second, bobs = await _orders(client, shop, ann_acct, bob_acct)
    await f.login(client, "ann@example.com")
    listed = await client.get("/orders")
    assert listed.status_code == 200
    assert first.number in listed.text and second.number in listed.text and bobs.number not in listed.text
    detail = await client.get(f"/orders/{first.order_id}")
    assert detail.status_code == 200 and "Starter" in detail.text and "$15.00" in detail.text
    assert (await client.get(f"/orders/{bobs.order_id}")).status_code == 404  # another account's order
    api = await client.get(f"/api/v1/accounts/{ann_acct}/orders")
    assert [o["number"] for o in api.json()["items"]] == [second.number, first.number]
    one = await client.get(f"/api/v1/accounts/{ann_acct}/orders/{first.order_id}")
    assert one.status_code == 200 and one.json()["lines"][0]["unit_amount"] == 1000
    assert (await client.get(f"/api/v1/accounts/{ann_acct}/orders/{bobs.order_id}")).status_code == 404
    assert (await client.get(f"/api/v1/accounts/{bob_acct}/orders")).status_code == 403


async def test_a_member_without_orders_sees_none(client, authz, shop):
    ann_acct, bob_acct = await _two_accounts(authz, shop)
    first, _, _ = await _orders(client, shop, ann_acct, bob_acct)
    await f.login(client, "mia@example.com")
    assert (await client.get("/orders")).status_code == 403
    assert (await client.get(f"/orders/{first.order_id}")).status_code == 403
    assert (await client.get(f"/api/v1/accounts/{ann_acct}/orders")).status_code == 403


async def test_staff_list_orders_with_filters(client, authz, shop):
    ann_acct, bob_acct = await _two_accounts(authz, shop)
    first, second, bobs = await _orders(client, shop, ann_acct, bob_acct)
    await f.user(authz, "support@example.com", staff="support")
    await f.login(client, "support@example.com")
    everything = await client.get("/admin/orders")
    assert everything.status_code == 200 and 'data-testid="order-total">3 orders' in everything.text
    by_store = await client.get(f"/admin/orders?store={shop.acme}")
    assert bobs.number in by_store.text and first.number not in by_store.text
    by_account = await client.get(f"/admin/orders?account={ann_acct}&status=pending")
    assert first.number in by_account.text and second.number in by_account.text and bobs.number not in by_account.text
    none = await client.get("/admin/orders?status=cancelled")
    assert 'data-testid="order-total">0 orders' in none.text
    detail = await client.get(f"/admin/orders/{bobs.order_id}")
    assert detail.status_code == 200 and "Bob Ltd" in detail.text and "Cancel the order" not in detail.text
    api = await client.get("/api/v1/admin/orders", params={"account": bob_acct})
    assert [o["number"] for o in api.json()["items"]] == [bobs.number]
    paged = await client.get("/api/v1/admin/orders", params={"limit": 2, "offset": 2})
    assert paged.json()["total"] == 3 and [o["number"] for o in paged.json()["items"]] == [first.number]


async def test_clients_cannot_reach_the_staff_orders(client, authz, shop):
    await _two_accounts(authz, shop)
    await f.login(client, "ann@example.com")
    assert (await client.get("/admin/orders")).status_code == 403
    assert (await client.get("/api/v1/admin/orders")).status_code == 403


async def test_billing_staff_cancel_a_pending_order_with_its_invoice_and_services(client, authz, shop):
    ann_acct, bob_acct = await _two_accounts(authz, shop)
    first, second, _ = await _orders(client, shop, ann_acct, bob_acct)
    await f.user(authz, "support@example.com", staff="support")
    await f.login(client, "support@example.com")
    assert (await post(client, f"/admin/orders/{first.order_id}/cancel")).status_code == 403
    await f.user(authz, "billing@example.com", staff="billing")
    client.cookies.clear()
    await f.login(client, "billing@example.com")
    page = await client.get(f"/admin/orders/{first.order_id}")
    assert "Cancel the order" in page.text
    done = await post(client, f"/admin/orders/{first.order_id}/cancel")
    assert done.status_code == 303
    order = await Order.select().where(Order.id == first.order_id).first()
    invoice = await Invoice.select().where(Invoice.id == first.invoice_id).first()
    services = await Service.select(Service.status).where(Service.account == ann_acct).order_by(Service.id)
    assert order["status"] == OrderStatus.CANCELLED and invoice["status"] == InvoiceStatus.CANCELLED
    # the other order's service stays pending
    assert [s["status"] for s in services] == [ServiceStatus.CANCELLED, ServiceStatus.PENDING]
    again = await post(client, f"/admin/orders/{first.order_id}/cancel")
    assert again.status_code == 409
    # a paid order is not cancelled here
    await Invoice.update({Invoice.status: InvoiceStatus.PAID, Invoice.amount_paid: Invoice.total}).where(
        Invoice.id == second.invoice_id
    )
    await Order.update({Order.status: OrderStatus.PAID}).where(Order.id == second.order_id)
    refused = await client.post(
        f"/api/v1/admin/orders/{second.order_id}/cancel", headers={"x-csrftoken": f.csrf(client)}
    )
    assert refused.status_code == 409
    assert (await Order.select(Order.status).where(Order.id == second.order_id).first())["status"] == OrderStatus.PAID
