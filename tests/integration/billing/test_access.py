"""Who sees which invoices: members with `invoices` see billing only; others get 403; other accounts 404."""

from __future__ import annotations

import factories as f

from panel.core.billing.tables import Payment

from .helpers import client_account, counts, give_credit, issue, login, make_store, post_form, staff


async def _two_accounts(authz):
    store = await make_store("Main", "main", prefix="M-")
    mine = await client_account(
        authz,
        "owner@example.com",
        store,
        members={"billing@example.com": ["invoices"], "tech@example.com": ["services", "contacts"]},
    )
    theirs = await client_account(authz, "other@example.com", store)
    return store, mine, theirs


async def test_a_member_with_only_invoices_sees_invoices_and_nothing_else(client, authz):
    store, mine, _ = await _two_accounts(authz)
    invoice_id = await issue(store, mine)
    await login(client, "billing@example.com")

    listed = await client.get("/invoices")
    assert listed.status_code == 200 and "M-000001" in listed.text
    assert (await client.get(f"/invoices/{invoice_id}")).status_code == 200
    assert (await client.get(f"/invoices/{invoice_id}/pdf")).status_code == 200
    assert (await client.get("/credit")).status_code == 200
    assert (await client.get("/payment-methods")).status_code == 200
    api = await client.get(f"/api/v1/accounts/{mine}/invoices")
    assert api.status_code == 200 and api.json()["items"][0]["number"] == "M-000001"
    home = await client.get("/")
    assert 'href="/invoices"' in home.text and 'href="/services"' not in home.text
    assert 'data-testid="billing-widget"' in home.text and "1 unpaid invoice</a>: €12.10 due" in home.text

    assert (await client.get("/services")).status_code == 403
    assert (await client.get(f"/api/v1/accounts/{mine}/services")).status_code == 403
    assert (await client.get(f"/api/v1/accounts/{mine}/contacts")).status_code == 403


async def test_a_member_without_invoices_gets_403_on_every_billing_page_and_api(client, authz):
    store, mine, _ = await _two_accounts(authz)
    invoice_id = await issue(store, mine)
    await give_credit(mine, 5000)
    await login(client, "tech@example.com")
    before = await counts()

    for path in (
        "/invoices",
        f"/invoices/{invoice_id}",
        f"/invoices/{invoice_id}/pdf",
        f"/invoices/{invoice_id}/pay",
        "/credit",
        "/payment-methods",
    ):
        assert (await client.get(path)).status_code == 403, path
    for path in (
        f"/api/v1/accounts/{mine}/invoices",
        f"/api/v1/accounts/{mine}/invoices/{invoice_id}",
        f"/api/v1/accounts/{mine}/credit",
    ):
        assert (await client.get(path)).status_code == 403, path
    paid = await post_form(client, f"/invoices/{invoice_id}/pay", {"how": "credit", "key": "k"})
    funds = await post_form(client, "/credit/add-funds", {"amount": "10"})
    api_pay = await client.post(
        f"/api/v1/accounts/{mine}/invoices/{invoice_id}/pay",
        json={"idempotency_key": "k"},
        headers={"x-csrftoken": f.csrf(client)},
    )
    assert paid.status_code == funds.status_code == api_pay.status_code == 403
    assert await counts() == before
    home = await client.get("/")
    assert 'href="/invoices"' not in home.text and "billing-widget" not in home.text


async def test_another_accounts_invoice_by_id_is_404_never_data(client, authz):
    store, mine, theirs = await _two_accounts(authz)
    their_invoice = await issue(store, theirs)
    await give_credit(mine, 5000)
    await login(client, "owner@example.com")

    for path in (f"/invoices/{their_invoice}", f"/invoices/{their_invoice}/pdf", f"/invoices/{their_invoice}/pay"):
        answer = await client.get(path)
        assert answer.status_code == 404, path
        assert "M-000001" not in answer.text
    api = await client.get(f"/api/v1/accounts/{mine}/invoices/{their_invoice}")
    assert api.status_code == 404
    pay = await post_form(client, f"/invoices/{their_invoice}/pay", {"how": "credit", "key": "k"})
    assert pay.status_code == 404
    # naming their account in the API path is refused by the rules engine
    assert (await client.get(f"/api/v1/accounts/{theirs}/invoices")).status_code == 403
    assert (await client.get(f"/api/v1/accounts/{theirs}/invoices/{their_invoice}")).status_code == 403
    assert await Payment.count() == 0
    assert "M-000001" not in (await client.get("/invoices")).text


async def test_staff_drafts_are_invisible_to_clients(client, authz):
    _store, mine, _ = await _two_accounts(authz)
    await staff(client, authz, "billing")
    made = await post_form(
        client, "/admin/invoices/new", {"account_id": str(mine), "description_0": "Consulting", "price_0": "80"}
    )
    draft_id = int(made.headers["location"].split("/")[3].split("?")[0])
    await login(client, "owner@example.com")
    assert (await client.get(f"/invoices/{draft_id}")).status_code == 404
    assert (await client.get(f"/api/v1/accounts/{mine}/invoices")).json()["total"] == 0
    assert (await post_form(client, f"/invoices/{draft_id}/pay", {"how": "credit", "key": "k"})).status_code == 404


async def test_staff_roles_on_the_admin_pages(client, authz):
    store, mine, _ = await _two_accounts(authz)
    invoice_id = await issue(store, mine)

    await staff(client, authz, "support")
    for path in ("/admin/invoices", f"/admin/invoices/{invoice_id}", "/admin/payments", "/api/v1/admin/invoices"):
        assert (await client.get(path)).status_code == 403, path

    await staff(client, authz, "billing")
    for path in (
        "/admin/invoices",
        f"/admin/invoices/{invoice_id}",
        "/admin/payments",
        f"/admin/accounts/{mine}/credit",
        "/api/v1/admin/invoices",
        "/api/v1/admin/payments",
        "/admin/invoices/new",
    ):
        assert (await client.get(path)).status_code == 200, path
    nav = await client.get("/admin/invoices")
    assert 'href="/admin/payments"' in nav.text

    await login(client, "owner@example.com")
    for path in ("/admin/invoices", f"/admin/invoices/{invoice_id}", "/admin/payments", "/api/v1/admin/payments"):
        assert (await client.get(path)).status_code == 403, path
