"""Cancellation requests: at period end by the scheduler, now with a money-back refund; minimum terms; deny paths."""

from __future__ import annotations

from datetime import timedelta

import factories as f

from panel.core import runtime
from panel.core.billing import credit
from panel.core.billing.tables import Invoice, InvoiceKind, InvoiceStatus
from panel.core.lifecycle import cancellations
from panel.core.lifecycle.tables import CancellationRequest, Renewal
from panel.core.services.tables import ServiceStatus
from panel.core.stores.tables import Store

from .helpers import PRICE, active_service, again, client_with_store, day, service, wait_for_subject


async def api_post(client, path, body):
    """An API call from the logged-in browser session (which must send the CSRF token)."""
    await f.get_csrf(client)
    return await client.post(path, json=body, headers={"x-csrftoken": f.csrf(client)})


async def _paid_order_invoice(account: int, store: int, sid: int, amount: int = PRICE) -> int:
    """The paid invoice of the service's order (the commerce helper writes the order, not its invoice)."""
    from panel.core import db
    from panel.core.billing.invoicing import LineDraft, issue_invoice

    async with db.write_transaction():
        invoice_id = await issue_invoice(
            store_id=store,
            account_id=account,
            currency="USD",
            lines=[LineDraft("Thing", amount, product_type="dummy.thing", service_id=sid)],
            billing={"name": "Client"},
        )
    await Invoice.update({Invoice.status: InvoiceStatus.PAID, Invoice.amount_paid: amount}).where(
        Invoice.id == invoice_id
    )
    return invoice_id


async def test_cancel_at_period_end_is_carried_out_by_the_scheduler_on_the_due_date(client, smtp):
    app = client.app
    c = await client_with_store(app)
    sid = await active_service(app, c)
    due = (await service(sid))["next_due_date"]
    await day(app, due - timedelta(days=14))  # the renewal invoice is out
    [renewal] = await Renewal.select()

    await f.login_as(client, "owner@example.com")
    form = await client.get(f"/services/{sid}/cancel")
    assert form.status_code == 200 and "At the end of the paid period" in form.text
    sent = await f.post_form(client, f"/services/{sid}/cancel", {"when": "period_end", "reason": "too expensive"})
    assert sent.status_code == 303
    page = await client.get(f"/services/{sid}/cancel")
    assert f"({due.isoformat()})" in page.text and 'data-testid="cancel-requested"' in page.text
    # the renewal invoice is withdrawn with it
    assert (await Invoice.select(Invoice.status).where(Invoice.id == renewal["invoice"]).first())["status"] == (
        InvoiceStatus.CANCELLED
    )

    await day(app, due - timedelta(days=1))
    assert (await service(sid))["status"] == ServiceStatus.ACTIVE
    await day(app, due)
    await again(app, due)
    assert (await service(sid))["status"] == ServiceStatus.CANCELLED
    request = await CancellationRequest.select().first()
    assert request["status"] == "done" and request["refund_amount"] == 0  # not "now": no refund
    assert await Invoice.count().where(Invoice.kind == InvoiceKind.CREDIT_NOTE) == 0
    await wait_for_subject(smtp, "thing.example is cancelled")


async def test_cancel_now_within_money_back_refunds_refundable_items_only(client):
    app = client.app
    c = await client_with_store(app, money_back_days=30, non_refundable_types=["dummy.addon"])
    sid = await active_service(app, c)
    invoice_id = await _paid_order_invoice(c.account, c.store, sid)
    plan = await cancellations.refund_plan(await service(sid), (await service(sid))["activated_at"].date())
    assert plan.invoice_id == invoice_id and plan.amount == PRICE

    await f.login_as(client, "owner@example.com")
    form = await client.get(f"/services/{sid}/cancel")
    assert "Cancelling now refunds $15.00." in form.text
    sent = await f.post_form(client, f"/services/{sid}/cancel", {"when": "now", "refund_to": "credit"})
    assert sent.status_code == 303
    assert (await service(sid))["status"] == ServiceStatus.ACTIVE  # the job does it
    await f.run_jobs(app)
    await f.run_jobs(app)
    assert (await service(sid))["status"] == ServiceStatus.CANCELLED
    notes = await Invoice.select().where(Invoice.kind == InvoiceKind.CREDIT_NOTE)
    assert len(notes) == 1 and notes[0]["total"] == PRICE and notes[0]["original"] == invoice_id
    assert await credit.balance(c.account, "USD") == PRICE


async def test_no_refund_after_the_money_back_period_or_for_non_refundable_types(client):
    app = client.app
    c = await client_with_store(app, money_back_days=30, non_refundable_types=["dummy.thing"])
    sid = await active_service(app, c)
    await _paid_order_invoice(c.account, c.store, sid)
    started = (await service(sid))["activated_at"].date()
    assert (await cancellations.refund_plan(await service(sid), started)).why_not == (
        "This kind of service is not refundable."
    )
    await Store.update({Store.non_refundable_types: []}).where(Store.id == c.store)
    late = await cancellations.refund_plan(await service(sid), started + timedelta(days=31))
    assert late.amount == 0 and late.why_not == "The 30-day money-back period has ended."

    request_id = await cancellations.request_cancellation(c.account, sid, "now", "", user_id=c.owner)
    assert await cancellations.carry_out(runtime.current(), request_id, started + timedelta(days=31)) == "done"
    assert await Invoice.count().where(Invoice.kind == InvoiceKind.CREDIT_NOTE) == 0
    assert await credit.balance(c.account, "USD") == 0


async def test_the_minimum_term_refuses_an_early_cancellation_with_the_date(client):
    app = client.app
    c = await client_with_store(app, min_contract_months={"dummy.thing": 12})
    sid = await active_service(app, c)
    await f.login_as(client, "owner@example.com")
    refused = await f.post_form(client, f"/services/{sid}/cancel", {"when": "period_end"})
    assert refused.status_code == 422
    assert 'data-testid="error-when"' in refused.text and "minimum term of 12 months" in refused.text
    api = await api_post(client, f"/api/v1/accounts/{c.account}/services/{sid}/cancellation", {"when": "now"})
    assert api.status_code == 422 and "minimum term of 12 months" in api.text, api.text
    assert await CancellationRequest.count() == 0


async def test_a_request_twice_is_refused_and_withdrawing_keeps_the_service(client):
    app = client.app
    c = await client_with_store(app)
    sid = await active_service(app, c)
    await f.login_as(client, "owner@example.com")
    assert (await f.post_form(client, f"/services/{sid}/cancel", {"when": "period_end"})).status_code == 303
    api = await api_post(client, f"/api/v1/accounts/{c.account}/services/{sid}/cancellation", {"when": "period_end"})
    assert api.status_code == 422 and "already requested" in api.text
    assert (await f.post_form(client, f"/services/{sid}/cancel/withdraw", {})).status_code == 303
    assert (await CancellationRequest.select(CancellationRequest.status).first())["status"] == "withdrawn"
    due = (await service(sid))["next_due_date"]
    await day(app, due)
    assert (await service(sid))["status"] == ServiceStatus.ACTIVE


async def test_another_accounts_service_and_a_member_without_services_are_refused(client, staff_login):
    app = client.app
    c = await client_with_store(app)
    other = await f.client_of(app.state.authz, "other@example.com", c.store)
    theirs = await active_service(app, type(c)(c.owner, other[1], c.store, c.product), "theirs.example")
    mine = await active_service(app, c)
    await f.login_as(client, "owner@example.com")
    assert (await client.get(f"/services/{theirs}/cancel")).status_code == 404
    assert (await f.post_form(client, f"/services/{theirs}/cancel", {"when": "now"})).status_code == 404
    api = await api_post(client, f"/api/v1/accounts/{c.account}/services/{theirs}/cancellation", {"when": "now"})
    assert api.status_code == 404
    assert (await client.get("/admin/cancellations")).status_code in (403, 404)

    from panel.core.accounts import services as accounts

    reader = await f.user(app.state.authz, "reader@example.com")
    await accounts.add_member(app.state.authz, c.account, reader, ["invoices"])
    await f.login_as(client, "reader@example.com")
    assert (await f.post_form(client, f"/services/{mine}/cancel", {"when": "now"})).status_code == 403
    assert await CancellationRequest.count() == 0

    await staff_login(client, app.state.authz, "support")
    await cancellations.request_cancellation(c.account, mine, "period_end", "closing down", user_id=c.owner)
    listed = await client.get("/admin/cancellations?status=open")
    assert listed.status_code == 200 and "thing.example" in listed.text and "closing down" in listed.text


async def test_a_money_back_refund_goes_back_to_the_card_it_was_paid_with(client):
    from dummy_plugin import card

    from panel.core import db
    from panel.core.billing.invoicing import LineDraft, issue_invoice
    from panel.core.billing.tables import PaymentMethod

    card.reset()
    app = client.app
    c = await client_with_store(app, money_back_days=30)
    sid = await active_service(app, c)
    async with db.write_transaction():
        invoice_id = await issue_invoice(
            store_id=c.store,
            account_id=c.account,
            currency="USD",
            lines=[LineDraft("Thing", PRICE, product_type="dummy.thing", service_id=sid)],
            billing={"name": "Client"},
        )
    await f.login_as(client, "owner@example.com")
    await f.post_form(client, "/payment-methods", {"gateway": card.NAME, "card_number": "4242424242424242"})
    method_id = (await PaymentMethod.select(PaymentMethod.id).first())["id"]
    paid = await f.post_form(
        client, f"/invoices/{invoice_id}/pay", {"how": "method", "payment_method_id": str(method_id)}
    )
    assert paid.status_code == 303
    assert (await Invoice.select(Invoice.status).where(Invoice.id == invoice_id).first())["status"] == "paid"

    sent = await f.post_form(client, f"/services/{sid}/cancel", {"when": "now", "refund_to": "gateway"})
    assert sent.status_code == 303
    await f.run_jobs(app)

    assert (await service(sid))["status"] == ServiceStatus.CANCELLED
    assert card.refunded_total() == PRICE
    assert await credit.balance(c.account, "USD") == 0
    assert await Invoice.count().where(Invoice.kind == InvoiceKind.CREDIT_NOTE) == 1
    card.reset()
