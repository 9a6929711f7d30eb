"""Bank transfers: staff record them with the bank's reference (partial allowed); clients cannot."""

from __future__ import annotations

from panel.core.audit.tables import AuditEvent
from panel.core.billing.tables import InvoiceStatus, Payment

from .helpers import (
    client_account,
    counts,
    invoice_row,
    issue,
    login,
    make_store,
    order_of,
    paid_events,
    post_form,
    staff,
)


async def test_client_sees_the_instructions_but_cannot_record_a_transfer(client, authz, settings):
    store = await make_store(contact_instructions="IBAN NL00 BANK 0123 4567 89, Example BV")
    acct = await client_account(authz, "a@example.com", store)
    invoice_id = await issue(store, acct)
    await login(client, "a@example.com")

    page = await client.get(f"/invoices/{invoice_id}")
    assert 'data-testid="bank-transfer"' in page.text and "IBAN NL00 BANK" in page.text

    before = await counts()
    answer = await post_form(
        client,
        f"/admin/invoices/{invoice_id}/bank-transfer",
        {"amount": "12.10", "reference": "ME", "received_on": "2026-11-20"},
    )
    assert answer.status_code == 403
    api = await client.post(
        f"/api/v1/admin/invoices/{invoice_id}/bank-transfers",
        json={"amount": "12.10", "reference": "ME"},
        headers={"x-csrftoken": client.cookies.get("csrftoken") or ""},
    )
    assert api.status_code == 403
    assert await counts() == before
    assert (await invoice_row(invoice_id))["status"] == InvoiceStatus.UNPAID


async def test_staff_record_partial_transfers_until_paid(client, authz, events):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    invoice_id = await issue(store, acct, order=True)
    await staff(client, authz, "billing")
    url = f"/admin/invoices/{invoice_id}/bank-transfer"

    first = await post_form(client, url, {"amount": "10.00", "reference": "NL-REF-1", "received_on": "2026-11-20"})
    assert first.status_code == 303, first.text
    inv = await invoice_row(invoice_id)
    assert (inv["status"], inv["amount_paid"]) == (InvoiceStatus.UNPAID, 1000)
    assert (await order_of(invoice_id))["status"] == "pending"
    assert paid_events(events) == []

    same_ref = await post_form(client, url, {"amount": "2.10", "reference": "NL-REF-1", "received_on": "2026-11-21"})
    assert same_ref.status_code == 409 and "already recorded" in same_ref.text
    too_much = await post_form(client, url, {"amount": "2.11", "reference": "NL-REF-2", "received_on": "2026-11-21"})
    assert too_much.status_code == 422 and "The balance due is €2.10" in too_much.text
    no_ref = await post_form(client, url, {"amount": "2.10", "reference": " ", "received_on": "2026-11-21"})
    assert no_ref.status_code == 422 and "bank&#39;s reference" in no_ref.text
    bad_date = await post_form(client, url, {"amount": "2.10", "reference": "NL-REF-2", "received_on": "yesterday"})
    assert bad_date.status_code == 422 and "Enter a date" in bad_date.text
    assert await Payment.count() == 1

    rest = await post_form(client, url, {"amount": "2.10", "reference": "NL-REF-2", "received_on": "2026-11-21"})
    assert rest.status_code == 303
    inv = await invoice_row(invoice_id)
    assert (inv["status"], inv["amount_paid"]) == (InvoiceStatus.PAID, 1210)
    order = await order_of(invoice_id)
    assert order["status"] == "paid"
    assert paid_events(events) == [{"invoice_id": invoice_id, "account_id": acct, "order_id": order["id"]}]

    page = await client.get(f"/admin/invoices/{invoice_id}")
    assert "Bank transfer, reference NL-REF-1, received 2026-11-20" in page.text
    assert 'data-testid="bank-transfer-form"' not in page.text  # nothing left to record
    audited = await AuditEvent.select(AuditEvent.summary).where(AuditEvent.action == "payment.bank_transfer")
    assert len(audited) == 2 and "NL-REF-2" in audited[1]["summary"]


async def test_a_paid_invoice_takes_no_more_transfers(client, authz):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    invoice_id = await issue(store, acct)
    await staff(client, authz, "admin")
    url = f"/api/v1/admin/invoices/{invoice_id}/bank-transfers"
    headers = {"x-csrftoken": client.cookies.get("csrftoken") or ""}

    paid = await client.post(
        url, json={"amount": "12.10", "reference": "R1", "received_on": "2026-11-20"}, headers=headers
    )
    assert paid.status_code == 201 and paid.json()["settled"]
    again = await client.post(url, json={"amount": "1.00", "reference": "R2"}, headers=headers)
    assert again.status_code == 409 and "already paid" in again.json()["detail"]
    negative = await client.post(url, json={"amount": "-1.00", "reference": "R3"}, headers=headers)
    assert negative.status_code == 422
    assert await Payment.count() == 1
