"""Renewal invoices: one per service and period, grouped per account, safe after a crash; renew several at once."""

from __future__ import annotations

from datetime import timedelta

import factories as f
import pytest

from panel.core.billing import credit
from panel.core.billing.tables import CreditKind, Invoice, InvoiceLine, InvoiceStatus
from panel.core.lifecycle import renewals
from panel.core.lifecycle.tables import Renewal
from panel.core.services.tables import Service, ServiceStatus

from .helpers import PRICE, active_service, again, client_with_store, day, service


async def test_services_due_the_same_day_share_one_invoice_per_account(client):
    app = client.app
    alice = await client_with_store(app, "alice@example.com")
    a1 = await active_service(app, alice, "a1.example")
    a2 = await active_service(app, alice, "a2.example", amount=700)
    bob_account = (await f.client_of(app.state.authz, "bob@example.com", alice.store))[1]
    bob = type(alice)(alice.owner, bob_account, alice.store, alice.product)
    b1 = await active_service(app, bob, "b1.example")
    due = (await service(a1))["next_due_date"]

    await day(app, due - timedelta(days=14))
    await again(app, due - timedelta(days=14))

    invoices = await Invoice.select().order_by(Invoice.id)
    assert [(i["account"], i["total"], i["status"]) for i in invoices] == [
        (alice.account, PRICE + 700, InvoiceStatus.UNPAID),
        (bob.account, PRICE, InvoiceStatus.UNPAID),
    ]
    lines = await InvoiceLine.select(InvoiceLine.service_id).where(InvoiceLine.invoice == invoices[0]["id"])
    assert sorted(r["service_id"] for r in lines) == sorted([a1, a2])
    assert await Renewal.count() == 3 and {r["service"] for r in await Renewal.select()} == {a1, a2, b1}


async def test_a_run_that_dies_halfway_is_finished_by_the_next_without_duplicates(client, monkeypatch):
    app = client.app
    c = await client_with_store(app)
    first = await active_service(app, c, "first.example")
    other = await f.client_of(app.state.authz, "other@example.com", c.store)
    second = await active_service(app, type(c)(c.owner, other[1], c.store, c.product), "second.example")
    due = (await service(first))["next_due_date"]
    real, calls = renewals._announce, []

    async def dies_on_the_second(invoice: renewals.Written, group: list[renewals.Due]) -> None:
        calls.append(invoice.id)
        if len(calls) == 2:
            raise RuntimeError("the worker died")
        await real(invoice, group)

    monkeypatch.setattr(renewals, "PER_COMMIT", 1)  # a commit after each invoice: the crash falls between two
    monkeypatch.setattr(renewals, "_announce", dies_on_the_second)
    with pytest.raises(RuntimeError):
        await renewals.issue_due_renewals(due, renewals.LifecycleConfig())
    assert await Renewal.count() == 1  # the first group committed, the second rolled back whole
    assert await Invoice.count() == 1

    monkeypatch.setattr(renewals, "_announce", real)
    run = await renewals.issue_due_renewals(due, renewals.LifecycleConfig())
    assert run.services == 1
    assert sorted(r["service"] for r in await Renewal.select()) == sorted([first, second])
    assert await Invoice.count() == 2


async def test_auto_renewal_pays_from_credit_and_moves_the_due_date(client):
    app = client.app
    c = await client_with_store(app, auto_renew=True)
    sid = await active_service(app, c)
    await credit.add(c.account, "USD", 5000, CreditKind.ADJUSTMENT, "prepaid", None)
    due = (await service(sid))["next_due_date"]

    await day(app, due - timedelta(days=14))
    await f.run_jobs(app)

    invoice = await Invoice.select().first()
    assert invoice["status"] == InvoiceStatus.PAID
    assert await credit.balance(c.account, "USD") == 5000 - PRICE
    assert (await service(sid))["next_due_date"] > due


async def test_without_auto_renewal_the_invoice_waits_even_with_credit(client):
    app = client.app
    c = await client_with_store(app)
    sid = await active_service(app, c)
    await credit.add(c.account, "USD", 5000, CreditKind.ADJUSTMENT, "prepaid", None)
    due = (await service(sid))["next_due_date"]
    await day(app, due - timedelta(days=14))
    assert (await Invoice.select(Invoice.status).first())["status"] == InvoiceStatus.UNPAID
    assert await credit.balance(c.account, "USD") == 5000


async def test_a_client_renews_several_services_on_one_invoice_from_the_page(client):
    app = client.app
    c = await client_with_store(app)
    s1 = await active_service(app, c, "one.example")
    s2 = await active_service(app, c, "two.example", amount=800)
    await f.login_as(client, "owner@example.com")
    page = await client.get("/services/renew")
    assert page.status_code == 200 and "one.example" in page.text and "two.example" in page.text

    done = await f.post_form(client, "/services/renew", [("service", str(s1)), ("service", str(s2))])
    assert done.status_code == 303
    invoice = await Invoice.select().first()
    assert done.headers["location"] == f"/invoices/{invoice['id']}" and invoice["total"] == PRICE + 800

    twice = await f.post_form(client, "/services/renew", [("service", str(s1))])
    assert twice.status_code == 422 and "already invoiced" in twice.text
    await day(app, (await service(s1))["next_due_date"] - timedelta(days=14))
    assert await Invoice.count() == 1  # the daily task finds them invoiced


async def test_renewing_is_refused_for_another_accounts_service_and_without_permission(client):
    app = client.app
    c = await client_with_store(app)
    mine = await active_service(app, c)
    other = await f.client_of(app.state.authz, "other@example.com", c.store)
    theirs = await active_service(app, type(c)(c.owner, other[1], c.store, c.product), "theirs.example")
    await f.login_as(client, "owner@example.com")
    token = await f.get_csrf(client)

    api = await client.post(
        f"/api/v1/accounts/{c.account}/renewals", json={"service_ids": [theirs]}, headers={"x-csrftoken": token}
    )
    assert api.status_code == 404
    foreign = await client.post(
        f"/api/v1/accounts/{other[1]}/renewals", json={"service_ids": [theirs]}, headers={"x-csrftoken": token}
    )
    assert foreign.status_code in (403, 404)
    assert await Invoice.count() == 0

    helper = await f.user(app.state.authz, "helper@example.com")
    from panel.core.accounts import services as accounts

    await accounts.add_member(app.state.authz, c.account, helper, ["services"])
    await f.login_as(client, "helper@example.com")
    await client.post("/accounts/switch", data={"account_id": str(c.account), "_csrf_token": f.csrf(client)})
    refused = await f.post_form(client, "/services/renew", [("service", str(mine))])
    assert refused.status_code == 403
    assert await Invoice.count() == 0
    assert (await Service.select(Service.status).where(Service.id == mine).first())["status"] == ServiceStatus.ACTIVE
