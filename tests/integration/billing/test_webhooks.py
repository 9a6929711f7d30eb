"""The hosted payment page and its webhook: applied once per reference, whatever arrives twice."""

from __future__ import annotations

import json

import factories as f
from dummy_plugin import card

from panel.core.billing import credit
from panel.core.billing.tables import CreditEntry, InvoiceStatus, Payment

from .helpers import client_account, counts, invoice_row, issue, login, make_store, order_of, paid_events, post_form


async def _pay_on_hosted_page(client, invoice_id, number="4242424242424242"):
    started = await post_form(client, f"/invoices/{invoice_id}/pay", {"how": "gateway", "gateway": card.NAME})
    assert started.status_code == 303, started.text
    hosted = started.headers["location"]
    assert hosted.startswith("/dummy/card/pay/cs_")
    form = await client.get(hosted)
    assert "Pay 1210 (EUR" in form.text
    return await client.post(
        hosted, data={"card_number": number, "_csrf_token": f.form_token(form.text)}, follow_redirects=False
    )


async def test_hosted_page_then_webhook_pays_the_invoice_and_a_retried_webhook_changes_nothing(
    client, authz, events, ledger
):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    invoice_id = await issue(store, acct, order=True)
    await login(client, "a@example.com")

    back = await _pay_on_hosted_page(client, invoice_id)

    assert back.status_code == 303 and back.headers["location"] == f"/invoices/{invoice_id}?done=card"
    assert len(card.WEBHOOKS) == 1
    inv = await invoice_row(invoice_id)
    assert (inv["status"], inv["amount_paid"]) == (InvoiceStatus.PAID, 1210)
    order = await order_of(invoice_id)
    paid_at = order["paid_at"]
    assert order["status"] == "paid"
    assert len(paid_events(events)) == 1
    before = await counts()

    headers, body = card.WEBHOOKS[0]
    client.cookies.clear()  # the gateway's servers have no session
    for _ in range(2):
        again = await client.post("/api/v1/billing/webhooks/dummy.card", content=body, headers=headers)
        assert again.status_code == 200 and again.json() == {"status": "duplicate"}

    assert await counts() == before
    assert await Payment.count() == 1
    assert (await order_of(invoice_id))["paid_at"] == paid_at
    assert len(paid_events(events)) == 1
    assert len(ledger) == 1 and card.refunded_total() == 0
    await login(client, "a@example.com")
    shown = await client.get(f"/invoices/{invoice_id}")
    assert "Paid by customer card (Visa •••• 4242)" in shown.text


async def test_a_webhook_with_a_bad_signature_is_refused_and_records_nothing(client, authz, events):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    invoice_id = await issue(store, acct)
    body = json.dumps(
        {
            "type": "payment.completed",
            "reference": "ch_forged",
            "invoice_id": invoice_id,
            "amount": 1210,
            "currency": "EUR",
        }
    ).encode()
    before = await counts()

    forged = await client.post(
        "/api/v1/billing/webhooks/dummy.card", content=body, headers={card.SIGNATURE_HEADER: "0" * 64}
    )
    unsigned = await client.post("/api/v1/billing/webhooks/dummy.card", content=body)
    unknown = await client.post("/api/v1/billing/webhooks/nope", content=body)
    offline = await client.post("/api/v1/billing/webhooks/bank_transfer", content=body)

    assert forged.status_code == unsigned.status_code == 400
    assert unknown.status_code == offline.status_code == 404
    assert await counts() == before
    assert (await invoice_row(invoice_id))["status"] == InvoiceStatus.UNPAID
    assert paid_events(events) == []


async def test_money_arriving_for_an_invoice_paid_meanwhile_becomes_credit(client, authz, events, ledger):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    invoice_id = await issue(store, acct)
    await login(client, "a@example.com")
    started = await post_form(client, f"/invoices/{invoice_id}/pay", {"how": "gateway", "gateway": card.NAME})
    hosted = started.headers["location"]
    # meanwhile, staff record a bank transfer for the whole invoice
    from panel.core.billing import payments

    by = {"actor": None, "impersonator": None, "ip": ""}
    await payments.record_bank_transfer(client.app.state, invoice_id, 1210, "BANK-9", None, by=by)

    form = await client.get(hosted)
    late = await client.post(
        hosted, data={"card_number": "4242424242424242", "_csrf_token": f.form_token(form.text)}, follow_redirects=False
    )

    assert late.status_code == 303
    assert await Payment.count() == 2
    assert await credit.balance(acct, "EUR") == 1210
    entry = await CreditEntry.select(CreditEntry.kind, CreditEntry.amount).first()
    assert entry == {"kind": "overpayment", "amount": 1210}
    assert (await invoice_row(invoice_id))["amount_paid"] == 1210
    assert len(paid_events(events)) == 1  # the bank transfer settled it; the card payment did not again
    assert card.refunded_total() == 0


async def test_a_pending_charge_is_applied_when_its_webhook_confirms_it(client, authz, events):
    from panel.core import db
    from panel.core.billing.payments import PaymentIn, apply_payment

    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    invoice_id = await issue(store, acct)
    async with db.write_transaction():
        pending = await apply_payment(
            PaymentIn(
                invoice_id, card.NAME, 1210, "key-1", reference="ch_slow", status="pending", surplus_to_credit=True
            )
        )
    assert not pending.settled and pending.applied == 0
    assert (await invoice_row(invoice_id))["status"] == InvoiceStatus.UNPAID

    body = json.dumps(
        {
            "type": "payment.completed",
            "reference": "ch_slow",
            "invoice_id": invoice_id,
            "amount": 1210,
            "currency": "EUR",
        }
    ).encode()
    confirmed = await client.post(
        "/api/v1/billing/webhooks/dummy.card", content=body, headers={card.SIGNATURE_HEADER: card.sign(body)}
    )

    assert confirmed.json() == {"status": "recorded"}
    assert await Payment.count() == 1
    assert (await Payment.select(Payment.status).first())["status"] == "completed"
    assert (await invoice_row(invoice_id))["status"] == InvoiceStatus.PAID
    assert len(paid_events(events)) == 1
