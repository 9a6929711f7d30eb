"""Refunds are credit notes with their own numbers; paid invoices never change otherwise. Cancelling."""

from __future__ import annotations

from dummy_plugin import card

from panel.core.audit.tables import AuditEvent
from panel.core.billing import credit
from panel.core.billing.invoicing import LineDraft
from panel.core.billing.tables import Invoice, InvoiceStatus, Payment

from .helpers import (
    client_account,
    counts,
    give_credit,
    invoice_row,
    issue,
    lines_of,
    login,
    make_store,
    post_form,
    staff,
)

BY = {"actor": None, "impersonator": None, "ip": ""}


async def _paid_invoice(client, authz, lines=None):
    from panel.core.billing import payments

    store = await make_store(prefix="INV-")
    acct = await client_account(authz, "a@example.com", store)
    invoice_id = await issue(store, acct, lines)
    total = (await invoice_row(invoice_id))["total"]
    await payments.record_bank_transfer(client.app.state, invoice_id, total, f"REF-{invoice_id}", None, by=BY)
    return store, acct, invoice_id


async def test_full_refund_to_credit_issues_a_credit_note_and_leaves_the_invoice_as_it_was(client, authz):
    lines = [
        LineDraft("Hosting", 1000, tax_name="VAT", tax_bp=2100),
        LineDraft("Setup", 500, quantity=2, discount=100, tax_name="VAT", tax_bp=2100),
    ]
    _store, acct, invoice_id = await _paid_invoice(client, authz, lines)
    original_lines = await lines_of(invoice_id)
    original = await invoice_row(invoice_id)
    await staff(client, authz, "billing")

    answer = await post_form(
        client,
        f"/admin/invoices/{invoice_id}/refund",
        {"amount": "22.99", "to": "credit", "reason": "Cancelled in time"},
    )

    assert answer.status_code == 303, answer.text
    note = await Invoice.select().where(Invoice.original == invoice_id).first()
    assert note["kind"] == "credit_note" and note["number"] == "CN-INV-000001"
    assert note["total"] == original["total"] == 2299 and note["tax"] == original["tax"]
    assert note["status"] == InvoiceStatus.PAID
    after = await invoice_row(invoice_id)
    assert after["status"] == InvoiceStatus.REFUNDED
    assert {k: v for k, v in after.items() if k != "status"} == {k: v for k, v in original.items() if k != "status"}
    assert await lines_of(invoice_id) == original_lines
    assert await credit.balance(acct, "EUR") == 2299
    page = await client.get(f"/admin/invoices/{invoice_id}")
    assert "Credit note CN-INV-000001" in page.text and 'data-testid="refund-form"' not in page.text
    assert await AuditEvent.count().where(AuditEvent.action == "invoice.refund") == 1

    await login(client, "a@example.com")
    mine = await client.get(f"/invoices/{note['id']}")
    assert mine.status_code == 200 and "Credit note" in mine.text and "Refund of" in mine.text
    assert "Cancelled in time" in mine.text


async def test_partial_refunds_keep_the_invoice_paid_until_everything_is_back(client, authz):
    _store, acct, invoice_id = await _paid_invoice(client, authz)  # 12.10
    await staff(client, authz, "admin")
    url = f"/admin/invoices/{invoice_id}/refund"

    assert (await post_form(client, url, {"amount": "2.10", "to": "credit", "reason": "Downtime"})).status_code == 303
    assert (await invoice_row(invoice_id))["status"] == InvoiceStatus.PAID
    before = await counts()
    over = await post_form(client, url, {"amount": "10.01", "to": "credit", "reason": "Too much"})
    assert over.status_code == 422 and "At most €10.00" in over.text
    negative = await post_form(client, url, {"amount": "-1", "to": "credit", "reason": "x"})
    assert negative.status_code == 422 and "cannot be negative" in negative.text
    no_reason = await post_form(client, url, {"amount": "1", "to": "credit", "reason": ""})
    assert no_reason.status_code == 422
    assert await counts() == before

    assert (await post_form(client, url, {"amount": "10.00", "to": "credit", "reason": "Closed"})).status_code == 303
    assert (await invoice_row(invoice_id))["status"] == InvoiceStatus.REFUNDED
    notes = (
        await Invoice.select(Invoice.number, Invoice.total).where(Invoice.original == invoice_id).order_by(Invoice.id)
    )
    assert notes == [{"number": "CN-INV-000001", "total": 210}, {"number": "CN-INV-000002", "total": 1000}]
    assert await credit.balance(acct, "EUR") == 1210


async def test_refund_through_the_card_gateway(client, authz, ledger):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    invoice_id = await issue(store, acct)
    await login(client, "a@example.com")
    await post_form(client, "/payment-methods", {"gateway": card.NAME, "card_number": "4242424242424242"})
    method = (await client.get("/payment-methods")).text
    assert "Visa" in method
    from panel.core.billing.tables import PaymentMethod

    method_id = (await PaymentMethod.select(PaymentMethod.id).first())["id"]
    await post_form(client, f"/invoices/{invoice_id}/pay", {"how": "method", "payment_method_id": str(method_id)})
    await staff(client, authz, "billing")

    answer = await post_form(
        client, f"/admin/invoices/{invoice_id}/refund", {"amount": "5.00", "to": "gateway", "reason": "Partial"}
    )

    assert answer.status_code == 303, answer.text
    assert card.refunded_total() == 500
    payment = await Payment.select(Payment.refunded, Payment.status).first()
    assert payment == {"refunded": 500, "status": "part_refunded"}
    assert await credit.balance(acct, "EUR") == 0


async def test_a_bank_transfer_cannot_be_refunded_through_a_gateway(client, authz):
    _store, _acct, invoice_id = await _paid_invoice(client, authz)
    await staff(client, authz, "billing")
    before = await counts()
    answer = await post_form(
        client, f"/admin/invoices/{invoice_id}/refund", {"amount": "1.00", "to": "gateway", "reason": "x"}
    )
    assert answer.status_code == 422 and "refund to credit" in answer.text
    assert await counts() == before


async def test_unpaid_invoices_are_cancelled_not_refunded(client, authz):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    unpaid = await issue(store, acct)
    part_paid = await issue(store, acct)
    order_invoice = await issue(store, acct, order=True)
    await give_credit(acct, 100)
    from panel.core.billing import payments

    await payments.pay_from_credit(client.app.state, part_paid, acct, 100, "k", by=BY)
    await staff(client, authz, "billing")

    refused = await post_form(
        client, f"/admin/invoices/{unpaid}/refund", {"amount": "1", "to": "credit", "reason": "x"}
    )
    assert refused.status_code == 409
    assert (await post_form(client, f"/admin/invoices/{unpaid}/cancel", {"reason": ""})).status_code == 422
    assert (await post_form(client, f"/admin/invoices/{unpaid}/cancel", {"reason": "Duplicate"})).status_code == 303
    assert (await invoice_row(unpaid))["status"] == InvoiceStatus.CANCELLED
    again = await post_form(client, f"/admin/invoices/{unpaid}/cancel", {"reason": "Duplicate"})
    assert again.status_code == 409
    partly = await post_form(client, f"/admin/invoices/{part_paid}/cancel", {"reason": "x"})
    assert partly.status_code == 409 and "refund the payments" in partly.text
    with_order = await post_form(client, f"/admin/invoices/{order_invoice}/cancel", {"reason": "x"})
    assert with_order.status_code == 409 and "cancel the order" in with_order.text

    await login(client, "a@example.com")
    cancelled = await post_form(client, f"/invoices/{unpaid}/pay", {"how": "credit", "key": "abc"})
    assert cancelled.status_code == 409 and "cancelled" in cancelled.text
    assert (await post_form(client, f"/admin/invoices/{part_paid}/cancel", {"reason": "mine"})).status_code == 403
