"""The transactions page: the account's payments, refunds and credit movements, newest first, paged."""

from __future__ import annotations

import re

import factories as f

from panel.core.billing import payments, refunds

from .helpers import client_account, issue, shop

BY = {"actor": None, "impersonator": None, "ip": ""}


def _kinds(html: str) -> list[str]:
    """The kinds of the page's rows (payment, refund, credit), in order."""
    return re.findall(r'data-transaction="([a-z]+)-\d+"', html)


async def test_transactions_list_payments_refunds_and_credit_newest_first(client, authz):
    s = await shop()
    acct = await client_account(authz, "owner@example.com", s.store, {"tech@example.com": ["services"]})
    other = await client_account(authz, "other@example.com", s.store)
    state = client.app.state
    first = await issue(s.store, acct)  # 12.10 EUR, paid by bank transfer, then refunded to credit
    await payments.record_bank_transfer(state, first, 1210, "BANK-REF-1", None, by=BY)
    note_id = await refunds.refund(state, first, 1210, refunds.TO_CREDIT, "Changed plans", by=BY)
    second = await issue(s.store, acct)  # paid with that credit
    await payments.pay_from_credit(state, second, acct, None, "form-key", by=BY)
    theirs = await issue(s.store, other)
    await payments.record_bank_transfer(state, theirs, 1210, "THEIR-REF", None, by=BY)
    await f.login_as(client, "owner@example.com")

    page = await client.get("/transactions")

    assert page.status_code == 200
    assert 'href="/transactions"' in page.text  # the nav item
    assert "5 transactions" in page.text
    kinds = _kinds(page.text)
    assert sorted(kinds) == ["credit", "credit", "payment", "payment", "refund"]
    assert kinds[-1] == "payment" and kinds.index("refund") > kinds.index("credit")  # newest first
    assert "Payment of invoice INV-000001 (Bank transfer)" in page.text
    assert "Payment of invoice INV-000002 (Account credit)" in page.text
    assert "Refund of invoice INV-000001, credit note CN-INV-000001" in page.text
    assert f'href="/invoices/{note_id}"' in page.text
    assert (
        "Refund: Refund of invoice INV-000001" in page.text
        and "Invoice payment: Payment of invoice INV-000002" in page.text
    )
    assert "THEIR-REF" not in page.text and "INV-000003" not in page.text  # another account's payment
    assert "€12.10" in page.text and "-€12.10" in page.text
    beyond = await client.get("/transactions?page_no=2")
    assert beyond.status_code == 200 and "No transaction yet." in beyond.text and "5 transactions" in beyond.text

    await f.login_as(client, "tech@example.com")
    assert (await client.get("/transactions")).status_code == 403
    assert 'href="/transactions"' not in (await client.get("/")).text
