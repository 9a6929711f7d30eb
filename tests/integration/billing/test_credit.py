"""Account credit: added and spent only with an entry beside it, never below zero, never overdrawn by a race."""

from __future__ import annotations

import asyncio

import pytest

from panel.core import db
from panel.core.audit.tables import AuditEvent
from panel.core.billing import credit
from panel.core.billing.tables import CreditEntry, CreditKind, InvoiceStatus
from panel.errors import ValidationFailed

from .helpers import client_account, counts, give_credit, invoice_row, login, make_store, post_form, staff


async def _entries_sum(account_id):
    rows = await CreditEntry.select(CreditEntry.amount).where(CreditEntry.account == account_id)
    return sum(r["amount"] for r in rows)


async def test_add_and_spend_keep_balance_and_entries_in_step(client, authz):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    async with db.write_transaction():
        assert await credit.add(acct, "EUR", 5000, CreditKind.DEPOSIT, "top-up", None) == 5000
        assert await credit.spend(acct, "EUR", 1250, CreditKind.PAYMENT, "invoice", None) == 3750
    assert await credit.balance(acct, "EUR") == 3750
    assert await _entries_sum(acct) == 3750
    assert await credit.balance(acct, "USD") == 0


async def test_spending_more_than_the_balance_is_refused_and_changes_nothing(client, authz):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    await give_credit(acct, 1000)
    before = await counts()

    with pytest.raises(ValidationFailed) as refused:
        async with db.write_transaction():
            await credit.spend(acct, "EUR", 1001, CreditKind.PAYMENT, "too much", None)

    assert "Not enough credit" in refused.value.errors["amount"]
    assert await credit.balance(acct, "EUR") == 1000
    assert await counts() == before


@pytest.mark.parametrize("amount", [0, -100])
async def test_zero_or_negative_amounts_are_refused(client, authz, amount):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    with pytest.raises(ValidationFailed):
        async with db.write_transaction():
            await credit.add(acct, "EUR", amount, CreditKind.DEPOSIT, "x", None)
    with pytest.raises(ValidationFailed):
        async with db.write_transaction():
            await credit.spend(acct, "EUR", amount, CreditKind.PAYMENT, "x", None)
    assert await CreditEntry.count() == 0


async def test_two_concurrent_spends_of_the_whole_balance_exactly_one_wins(client, authz):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    await give_credit(acct, 3000)

    async def spend_all():
        async with db.write_transaction():
            return await credit.spend(acct, "EUR", 3000, CreditKind.PAYMENT, "race", None)

    results = await asyncio.gather(spend_all(), spend_all(), return_exceptions=True)

    assert sorted(type(r).__name__ for r in results) == ["ValidationFailed", "int"]
    assert await credit.balance(acct, "EUR") == 0
    assert await _entries_sum(acct) == 0  # +3000, -3000: one spend only


async def test_staff_add_and_remove_credit_with_a_reason_and_it_is_audited(client, authz):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    await staff(client, authz, "billing")

    added = await post_form(
        client, f"/admin/accounts/{acct}/credit", {"currency": "EUR", "amount": "20.00", "reason": "Goodwill"}
    )
    assert added.status_code == 303
    removed = await post_form(
        client,
        f"/admin/accounts/{acct}/credit",
        {"currency": "EUR", "amount": "5", "direction": "remove", "reason": "Correction"},
    )
    assert removed.status_code == 303
    assert await credit.balance(acct, "EUR") == 1500

    too_much = await post_form(
        client,
        f"/admin/accounts/{acct}/credit",
        {"currency": "EUR", "amount": "15.01", "direction": "remove", "reason": "Oops"},
    )
    assert too_much.status_code == 422 and "Not enough credit" in too_much.text
    no_reason = await post_form(client, f"/admin/accounts/{acct}/credit", {"currency": "EUR", "amount": "1"})
    assert no_reason.status_code == 422 and "Say why" in no_reason.text
    negative = await post_form(
        client, f"/admin/accounts/{acct}/credit", {"currency": "EUR", "amount": "-3", "reason": "x"}
    )
    assert negative.status_code == 422 and "cannot be negative" in negative.text
    assert await credit.balance(acct, "EUR") == 1500

    page = await client.get(f"/admin/accounts/{acct}/credit")
    assert "€15.00" in page.text and "Goodwill" in page.text and "Correction" in page.text
    events = await AuditEvent.select(AuditEvent.action, AuditEvent.summary).where(AuditEvent.action == "credit.adjust")
    assert len(events) == 2 and "Goodwill" in events[0]["summary"]


async def test_clients_and_support_cannot_change_credit(client, authz):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    await login(client, "a@example.com")
    answer = await post_form(
        client, f"/admin/accounts/{acct}/credit", {"currency": "EUR", "amount": "50", "reason": "me"}
    )
    assert answer.status_code == 403
    await staff(client, authz, "support")
    assert (await client.get(f"/admin/accounts/{acct}/credit")).status_code == 403
    answer = await post_form(
        client, f"/admin/accounts/{acct}/credit", {"currency": "EUR", "amount": "50", "reason": "x"}
    )
    assert answer.status_code == 403
    assert await credit.balance(acct, "EUR") == 0


async def test_client_adds_funds_and_gets_the_credit_when_the_invoice_is_paid(client, authz, events):
    store = await make_store(prefix="F-")
    acct = await client_account(authz, "a@example.com", store)
    await login(client, "a@example.com")

    bad = await post_form(client, "/credit/add-funds", {"amount": "-10"})
    assert bad.status_code == 422 and "cannot be negative" in bad.text
    asked = await post_form(client, "/credit/add-funds", {"amount": "25.00"})
    assert asked.status_code == 303
    invoice_id = int(asked.headers["location"].split("/")[2].split("?")[0])
    page = await client.get(f"/invoices/{invoice_id}")
    assert "Account credit" in page.text and "€25.00" in page.text
    assert 'data-testid="pay-credit"' not in page.text  # credit never buys credit
    assert await credit.balance(acct, "EUR") == 0

    await staff(client, authz, "billing")
    paid = await post_form(
        client,
        f"/admin/invoices/{invoice_id}/bank-transfer",
        {"amount": "25.00", "reference": "BANK-1", "received_on": "2026-11-20"},
    )
    assert paid.status_code == 303, paid.text
    assert (await invoice_row(invoice_id))["status"] == InvoiceStatus.PAID
    assert await credit.balance(acct, "EUR") == 2500
    await login(client, "a@example.com")
    mine = await client.get("/credit")
    assert "€25.00" in mine.text and "Funds added" in mine.text
    api = (await client.get(f"/api/v1/accounts/{acct}/credit")).json()
    assert api["balances"] == [{"currency": "EUR", "balance": 2500, "text": "€25.00"}]
