"""Card payments through the dummy gateway: stored cards, no double charge, reseller vs customer card."""

from __future__ import annotations

import asyncio

from dummy_plugin import card

from panel.core.billing import cards, credit
from panel.core.billing.tables import InvoiceStatus, Payment, PaymentMethod
from panel.core.stores.tables import Store
from panel.errors import NotFound

from .helpers import client_account, counts, invoice_row, issue, login, make_store, paid_events, post_form

VISA = "4242 4242 4242 4242"


async def _add_card(client, number=VISA, **extra):
    return await post_form(client, "/payment-methods", {"gateway": card.NAME, "card_number": number, **extra})


async def _method_id(account_id):
    row = await PaymentMethod.select(PaymentMethod.id).where(PaymentMethod.account == account_id).first()
    return row["id"]


async def test_store_a_card_and_pay_with_it(client, authz, events, ledger):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    invoice_id = await issue(store, acct)
    await login(client, "a@example.com")

    bad = await _add_card(client, "4242 4242 4242 4241")
    assert bad.status_code == 402 and "not valid" in bad.text
    assert await PaymentMethod.count() == 0
    added = await _add_card(client)
    assert added.status_code == 303
    listed = await client.get("/payment-methods")
    assert "Visa •••• 4242" in listed.text and "default" in listed.text
    token = (await PaymentMethod.select(PaymentMethod.token).first())["token"]
    assert token not in listed.text

    page = await client.get(f"/invoices/{invoice_id}")
    assert "Pay with Visa •••• 4242" in page.text
    paid = await post_form(
        client, f"/invoices/{invoice_id}/pay", {"how": "method", "payment_method_id": str(await _method_id(acct))}
    )
    assert paid.status_code == 303 and paid.headers["location"].endswith("done=paid")
    assert [(c.amount, c.currency) for c in ledger.values()] == [(1210, "EUR")]
    assert (await invoice_row(invoice_id))["status"] == InvoiceStatus.PAID
    shown = await client.get(f"/invoices/{invoice_id}")
    assert "Paid by customer card (Visa •••• 4242)" in shown.text
    assert len(paid_events(events)) == 1


async def test_a_declined_card_records_nothing(client, authz, ledger):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    invoice_id = await issue(store, acct)
    await login(client, "a@example.com")
    await _add_card(client, card.DECLINED)
    before = await counts()

    answer = await post_form(
        client, f"/invoices/{invoice_id}/pay", {"how": "method", "payment_method_id": str(await _method_id(acct))}
    )

    assert answer.status_code == 402 and "declined" in answer.text
    assert await counts() == before and ledger == {}
    assert (await invoice_row(invoice_id))["status"] == InvoiceStatus.UNPAID


async def test_two_tabs_paying_by_card_charge_once_and_refund_nothing(client, authz, events, ledger):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    invoice_id = await issue(store, acct)
    await login(client, "a@example.com")
    await _add_card(client)
    method = str(await _method_id(acct))

    first = await post_form(client, f"/invoices/{invoice_id}/pay", {"how": "method", "payment_method_id": method})
    second = await post_form(client, f"/invoices/{invoice_id}/pay", {"how": "method", "payment_method_id": method})

    assert first.status_code == 303
    assert second.status_code == 409 and "already paid" in second.text
    assert len(ledger) == 1 and card.refunded_total() == 0
    assert await Payment.count() == 1
    assert await credit.balance(acct, "EUR") == 0
    assert (await invoice_row(invoice_id))["status"] == InvoiceStatus.PAID
    assert len(paid_events(events)) == 1


async def test_two_tabs_racing_send_the_same_key_and_are_charged_once(client, authz, events, ledger, app):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    invoice_id = await issue(store, acct)
    await login(client, "a@example.com")
    await _add_card(client)
    method_id = await _method_id(acct)
    by = {"actor": None, "impersonator": None, "ip": ""}

    async def tab():
        return await cards.pay_with_method(app.state, invoice_id, acct, method_id, reseller_account_id=None, by=by)

    results = await asyncio.gather(tab(), tab(), return_exceptions=True)

    assert not [r for r in results if isinstance(r, Exception) and type(r).__name__ != "NotPayable"], results
    assert len(ledger) == 1 and card.refunded_total() == 0
    assert await Payment.count() == 1
    assert await credit.balance(acct, "EUR") == 0  # nothing over-collected, nothing to give back
    assert (await invoice_row(invoice_id))["amount_paid"] == 1210
    assert len(paid_events(events)) == 1


async def test_a_reseller_pays_its_clients_invoice_with_its_reseller_card(client, authz, events, ledger):
    await make_store()
    reseller = await client_account(authz, "reseller@example.com", None)
    shop = await make_store("Reseller shop", "shop", default=False, reseller=reseller)
    assert await Store.exists().where(Store.reseller == reseller)
    customer = await client_account(authz, "customer@example.com", shop)
    from panel.core.accounts import services as accounts
    from panel.core.auth.services import user_id_by_email

    reseller_user = await user_id_by_email("reseller@example.com")
    await accounts.add_member(authz, customer, reseller_user, ["invoices"])
    invoice_id = await issue(shop, customer)

    await login(client, "reseller@example.com")
    assert (await post_form(client, "/accounts/switch", {"account_id": str(reseller)})).status_code in (302, 303)
    added = await _add_card(client, "5555 5555 5555 4444", reseller="1")
    assert added.status_code == 303
    method_id = await _method_id(reseller)
    assert (await PaymentMethod.select(PaymentMethod.payer).first())["payer"] == "reseller"
    switched = await post_form(client, "/accounts/switch", {"account_id": str(customer)})
    assert switched.status_code in (302, 303)

    page = await client.get(f"/invoices/{invoice_id}")
    assert "Mastercard •••• 4444 (reseller card)" in page.text
    paid = await post_form(
        client, f"/invoices/{invoice_id}/pay", {"how": "method", "payment_method_id": str(method_id)}
    )
    assert paid.status_code == 303
    shown = await client.get(f"/invoices/{invoice_id}")
    assert "Paid by reseller card (Mastercard •••• 4444)" in shown.text
    payment = await Payment.select(Payment.payer, Payment.payer_account, Payment.account).first()
    assert payment == {"payer": "reseller", "payer_account": reseller, "account": customer}

    # the customer itself never sees nor uses the reseller's card
    await login(client, "customer@example.com")
    other = await issue(shop, customer)
    page = await client.get(f"/invoices/{other}")
    assert "4444" not in page.text
    refused = await post_form(client, f"/invoices/{other}/pay", {"how": "method", "payment_method_id": str(method_id)})
    assert refused.status_code == 404
    assert len(ledger) == 1


async def test_another_accounts_card_cannot_be_used_or_removed(client, authz, ledger):
    store = await make_store()
    mine = await client_account(authz, "a@example.com", store)
    theirs = await client_account(authz, "b@example.com", store)
    invoice_id = await issue(store, mine)
    await login(client, "b@example.com")
    await _add_card(client)
    their_method = await _method_id(theirs)

    await login(client, "a@example.com")
    used = await post_form(
        client, f"/invoices/{invoice_id}/pay", {"how": "method", "payment_method_id": str(their_method)}
    )
    removed = await post_form(client, f"/payment-methods/{their_method}/delete")
    assert used.status_code == 404 and removed.status_code == 404
    assert await PaymentMethod.count() == 1 and ledger == {}
    try:
        await cards.pay_with_method(
            client.app.state,
            invoice_id,
            mine,
            their_method,
            reseller_account_id=None,
            by={"actor": None, "impersonator": None, "ip": ""},
        )
    except NotFound:
        pass
    else:
        raise AssertionError("another account's card paid")


async def test_remove_a_card_and_change_the_default(client, authz):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    await login(client, "a@example.com")
    await _add_card(client)
    await _add_card(client, "5555 5555 5555 4444")
    rows = await PaymentMethod.select(PaymentMethod.id, PaymentMethod.is_default).order_by(PaymentMethod.id)
    assert [r["is_default"] for r in rows] == [1, 0]

    assert (await post_form(client, f"/payment-methods/{rows[1]['id']}/default")).status_code == 303
    assert (await post_form(client, f"/payment-methods/{rows[1]['id']}/delete")).status_code == 303
    left = await PaymentMethod.select(PaymentMethod.id, PaymentMethod.is_default)
    assert left == [{"id": rows[0]["id"], "is_default": 1}]
    assert acct
