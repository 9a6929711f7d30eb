"""Paying invoices from account credit: whole or part, once per form, never beyond the balance."""

from __future__ import annotations

import re

from panel.core.billing import credit
from panel.core.billing.tables import InvoiceStatus, Payment

from .helpers import (
    client_account,
    counts,
    give_credit,
    invoice_row,
    issue,
    login,
    make_store,
    order_of,
    paid_events,
    post_form,
)


def _key(html: str) -> str:
    match = re.search(r'name="key" value="([^"]+)"', html)
    assert match, "no payment form"
    return match.group(1)


async def test_pay_the_whole_invoice_from_credit(client, authz, events):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    invoice_id = await issue(store, acct, order=True)  # 12.10 EUR
    await give_credit(acct, 5000)
    await login(client, "a@example.com")

    page = await client.get(f"/invoices/{invoice_id}")
    assert 'value="12.10"' in page.text  # default: min(balance, credit)
    paid = await post_form(
        client, f"/invoices/{invoice_id}/pay", {"how": "credit", "amount": "12.10", "key": _key(page.text)}
    )

    assert paid.status_code == 303 and paid.headers["location"] == f"/invoices/{invoice_id}?done=paid"
    inv = await invoice_row(invoice_id)
    assert (inv["status"], inv["amount_paid"]) == (InvoiceStatus.PAID, 1210)
    assert await credit.balance(acct, "EUR") == 3790
    order = await order_of(invoice_id)
    assert order["status"] == "paid" and order["paid_at"] is not None
    assert paid_events(events) == [{"invoice_id": invoice_id, "account_id": acct, "order_id": order["id"]}]
    shown = await client.get(f"/invoices/{invoice_id}?done=paid")
    assert "Paid from account credit" in shown.text and "the invoice is paid" in shown.text


async def test_pay_part_from_credit_then_the_rest(client, authz, events):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    invoice_id = await issue(store, acct)
    await give_credit(acct, 500)
    await login(client, "a@example.com")

    page = await client.get(f"/invoices/{invoice_id}")
    assert 'value="5.00"' in page.text  # only the credit there is
    part = await post_form(
        client, f"/invoices/{invoice_id}/pay", {"how": "credit", "amount": "5", "key": _key(page.text)}
    )
    assert part.status_code == 303
    inv = await invoice_row(invoice_id)
    assert (inv["status"], inv["amount_paid"]) == (InvoiceStatus.UNPAID, 500)
    assert paid_events(events) == []
    assert "€7.10" in (await client.get(f"/invoices/{invoice_id}")).text  # balance due

    await give_credit(acct, 1000)
    page = await client.get(f"/invoices/{invoice_id}")
    rest = await post_form(
        client, f"/invoices/{invoice_id}/pay", {"how": "credit", "amount": "", "key": _key(page.text)}
    )
    assert rest.status_code == 303
    assert (await invoice_row(invoice_id))["status"] == InvoiceStatus.PAID
    assert await credit.balance(acct, "EUR") == 290
    assert len(paid_events(events)) == 1


async def test_the_same_form_sent_twice_pays_once(client, authz, events):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    invoice_id = await issue(store, acct)
    await give_credit(acct, 5000)
    await login(client, "a@example.com")
    key = _key((await client.get(f"/invoices/{invoice_id}")).text)

    first = await post_form(client, f"/invoices/{invoice_id}/pay", {"how": "credit", "amount": "4", "key": key})
    again = await post_form(client, f"/invoices/{invoice_id}/pay", {"how": "credit", "amount": "4", "key": key})

    assert first.status_code == again.status_code == 303
    assert await Payment.count() == 1
    assert await credit.balance(acct, "EUR") == 4600
    assert (await invoice_row(invoice_id))["amount_paid"] == 400


async def test_a_second_tab_finds_the_invoice_paid_and_spends_nothing(client, authz, events):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    invoice_id = await issue(store, acct)
    await give_credit(acct, 5000)
    await login(client, "a@example.com")
    tab1 = _key((await client.get(f"/invoices/{invoice_id}")).text)
    tab2 = _key((await client.get(f"/invoices/{invoice_id}")).text)

    assert (await post_form(client, f"/invoices/{invoice_id}/pay", {"how": "credit", "key": tab1})).status_code == 303
    late = await post_form(client, f"/invoices/{invoice_id}/pay", {"how": "credit", "key": tab2})

    assert late.status_code == 409 and "already paid" in late.text
    assert await Payment.count() == 1
    assert await credit.balance(acct, "EUR") == 3790
    assert len(paid_events(events)) == 1


async def test_bad_amounts_get_a_clear_message_and_write_nothing(client, authz):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    invoice_id = await issue(store, acct)
    await give_credit(acct, 500)
    await login(client, "a@example.com")
    key = _key((await client.get(f"/invoices/{invoice_id}")).text)
    before = await counts()

    cases = {
        "-1.00": "cannot be negative",
        "0": "above zero",
        "abc": "Enter a number",
        "1.234": "2 decimal places",
        "5.01": "Not enough credit",
    }
    for amount, message in cases.items():
        answer = await post_form(client, f"/invoices/{invoice_id}/pay", {"how": "credit", "amount": amount, "key": key})
        assert answer.status_code == 422, amount
        assert message in answer.text, amount
    await give_credit(acct, 5000)
    before = await counts()
    over = await post_form(client, f"/invoices/{invoice_id}/pay", {"how": "credit", "amount": "12.11", "key": key})
    assert over.status_code == 422 and "The balance due is €12.10" in over.text
    assert await counts() == before
    assert (await invoice_row(invoice_id))["amount_paid"] == 0


async def test_pay_from_credit_through_the_api(client, authz, events):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    invoice_id = await issue(store, acct)
    await give_credit(acct, 2000)
    await login(client, "a@example.com")
    headers = {"x-csrftoken": client.cookies.get("csrftoken") or ""}
    url = f"/api/v1/accounts/{acct}/invoices/{invoice_id}/pay"

    negative = await client.post(url, json={"idempotency_key": "k1", "amount": "-2"}, headers=headers)
    assert negative.status_code == 422 and negative.json()["errors"]["amount"]
    part = await client.post(url, json={"idempotency_key": "k1", "amount": "2.10"}, headers=headers)
    assert part.status_code == 200, part.text
    assert part.json()["invoice"]["balance"] == 1000 and not part.json()["settled"]
    retried = await client.post(url, json={"idempotency_key": "k1", "amount": "2.10"}, headers=headers)
    assert retried.json()["duplicate"] and retried.json()["invoice"]["balance"] == 1000
    rest = await client.post(url, json={"idempotency_key": "k2"}, headers=headers)
    assert rest.json()["settled"] and rest.json()["invoice"]["status"] == "paid"
    assert await credit.balance(acct, "EUR") == 790
    again = await client.post(url, json={"idempotency_key": "k3"}, headers=headers)
    assert again.status_code == 409
