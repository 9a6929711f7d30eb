"""Gapless invoice numbers per store and kind: interleaved stores, rolled-back issues, drafts, credit notes."""

from __future__ import annotations

import pytest

from panel.core import db
from panel.core.billing.invoicing import LineDraft, issue_invoice, next_number
from panel.core.billing.tables import Invoice, InvoiceKind

from .helpers import HOSTING, client_account, issue, make_store


async def _numbers(store_id, kind=InvoiceKind.INVOICE):
    rows = (
        await Invoice.select(Invoice.number)
        .where((Invoice.store == store_id) & (Invoice.kind == kind))
        .order_by(Invoice.id)
    )
    return [r["number"] for r in rows]


async def test_two_stores_interleaved_each_count_from_one_without_gaps(client, authz):
    a = await make_store("Alpha", "alpha", prefix="A-")
    b = await make_store("Beta", "beta", prefix="B-", default=False)
    acct_a = await client_account(authz, "a@example.com", a)
    acct_b = await client_account(authz, "b@example.com", b)

    for _ in range(3):
        await issue(a, acct_a)
        await issue(b, acct_b)
    await issue(a, acct_a)

    assert await _numbers(a) == ["A-000001", "A-000002", "A-000003", "A-000004"]
    assert await _numbers(b) == ["B-000001", "B-000002", "B-000003"]


async def test_a_rolled_back_issue_gives_its_number_back(client, authz):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    await issue(store, acct)

    with pytest.raises(RuntimeError):
        async with db.write_transaction():
            await issue_invoice(store_id=store, account_id=acct, currency="EUR", lines=[HOSTING], billing={})
            raise RuntimeError("checkout failed after the invoice was written")

    await issue(store, acct)
    assert await _numbers(store) == ["000001", "000002"]


async def test_a_refused_issue_takes_no_number(client, authz):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)

    from panel.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        async with db.write_transaction():
            await issue_invoice(
                store_id=store, account_id=acct, currency="EUR", lines=[LineDraft("Refund", -500)], billing={}
            )
    await issue(store, acct)
    assert await _numbers(store) == ["000001"]


async def test_credit_notes_have_their_own_sequence(client, authz):
    store = await make_store(prefix="INV-")
    async with db.write_transaction():
        first_invoice = await next_number(store, InvoiceKind.INVOICE)
        first_note = await next_number(store, InvoiceKind.CREDIT_NOTE)
        second_invoice = await next_number(store, InvoiceKind.INVOICE)
    assert first_invoice == (1, "INV-000001")
    assert first_note == (1, "CN-INV-000001")
    assert second_invoice == (2, "INV-000002")
