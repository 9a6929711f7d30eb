"""The invoice pages, the PDF, lists with filters and paging, manual drafts; admin and client agree."""

from __future__ import annotations

import re
import zlib

from panel.core.audit.tables import AuditEvent
from panel.core.billing.invoicing import LineDraft
from panel.core.billing.tables import Invoice, InvoiceStatus

from .helpers import client_account, give_credit, issue, login, make_store, post_form, staff

LINES = [
    LineDraft("Shared hosting (12 months)", 9900, tax_name="VAT", tax_bp=2100),
    LineDraft("Domain example.nl", 1000, quantity=2, discount=500, tax_name="VAT", tax_bp=900),
]
# 99.00 + 20.79 VAT; 2 x 10.00 - 5.00 = 15.00 + 1.35 VAT -> subtotal 119.00, discount 5.00, tax 22.14, total 136.14


def _pdf_text(pdf: bytes) -> str:
    streams = re.findall(rb"stream\n(.*?)\nendstream", pdf, re.S)
    return b"".join(zlib.decompress(s) for s in streams).decode("cp1252")


async def test_the_invoice_page_shows_what_an_invoice_must(client, authz):
    store = await make_store(
        "Main",
        "main",
        prefix="HP-",
        brand_name="Hostpanel Hosting",
        accent_color="#aa3300",
        logo_url="/static/logo.png",
    )
    acct = await client_account(authz, "a@example.com", store)
    note = "VAT reverse charge: the buyer accounts for VAT (VAT id DE123456789)"
    invoice_id = await issue(store, acct, LINES, reverse_charge=note)
    await login(client, "a@example.com")

    page = await client.get(f"/invoices/{invoice_id}")

    assert page.status_code == 200
    text = page.text
    for expected in (
        "Hostpanel Hosting",
        "#aa3300",
        "/static/logo.png",
        "HP-000001",
        "1 Main Street",
        "3511 AA",
        "Utrecht",
        "Netherlands",
        "Shared hosting (12 months)",
        "€99.00",
        "€20.79",
        "€1.35",
        "VAT 21 %",
        "VAT 9 %",
        "€119.00",
        "-€5.00",
        "€136.14",
        note,
        'media="print"',
        'data-testid="pay-options"',
        "Download PDF",
    ):
        assert expected in text, expected
    assert re.search(r'data-testid="invoice-balance"><strong>€136.14', text)


async def test_the_pdf_is_a_real_pdf_with_the_same_numbers(client, authz):
    store = await make_store(prefix="HP-", brand_name="Hostpanel Hosting")
    acct = await client_account(authz, "a@example.com", store)
    invoice_id = await issue(store, acct, LINES)
    await give_credit(acct, 10_000)
    from panel.core.billing import payments

    await payments.pay_from_credit(
        client.app.state, invoice_id, acct, 10_000, "k", by={"actor": None, "impersonator": None, "ip": ""}
    )
    await login(client, "a@example.com")

    answer = await client.get(f"/invoices/{invoice_id}/pdf")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == 'attachment; filename="invoice-HP-000001.pdf"'
    assert answer.content.startswith(b"%PDF-1.4") and answer.content.rstrip().endswith(b"%%EOF")
    text = _pdf_text(answer.content)
    for expected in (
        "Invoice HP-000001",
        "Hostpanel Hosting",
        "Shared hosting \\(12 months\\)",
        "€136.14",
        "€36.14",
        "Balance due",
        "Paid from account credit",
        "1 Main Street",
    ):
        assert expected in text, expected


async def test_the_list_filters_by_status_and_pages(client, authz):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    ids = [await issue(store, acct) for _ in range(27)]
    await Invoice.update({Invoice.status: InvoiceStatus.CANCELLED}).where(Invoice.id == ids[0])
    await login(client, "a@example.com")

    first = await client.get("/invoices")
    assert "27 invoices" in first.text and first.text.count("data-invoice-id=") == 25
    assert 'href="/invoices?page_no=2"' in first.text
    second = await client.get("/invoices?page_no=2")
    assert second.text.count("data-invoice-id=") == 2
    cancelled = await client.get("/invoices?status=cancelled")
    assert "1 invoice<" in cancelled.text and "000001" in cancelled.text
    api = (await client.get(f"/api/v1/accounts/{acct}/invoices?status=unpaid&limit=5")).json()
    assert api["total"] == 26 and len(api["items"]) == 5


async def test_admin_and_client_see_the_same_numbers(client, authz):
    store = await make_store()
    acct = await client_account(authz, "a@example.com", store)
    invoice_id = await issue(store, acct, LINES)
    await give_credit(acct, 3614)
    await login(client, "a@example.com")
    key = re.search(r'name="key" value="([^"]+)"', (await client.get(f"/invoices/{invoice_id}")).text).group(1)
    await post_form(client, f"/invoices/{invoice_id}/pay", {"how": "credit", "amount": "36.14", "key": key})
    mine = (await client.get(f"/invoices/{invoice_id}")).text
    my_api = (await client.get(f"/api/v1/accounts/{acct}/invoices/{invoice_id}")).json()
    my_credit = (await client.get("/credit")).text

    await staff(client, authz, "billing")
    admin = (await client.get(f"/admin/invoices/{invoice_id}")).text
    admin_list = (await client.get(f"/admin/invoices?account={acct}")).text
    payments = (await client.get("/admin/payments")).text
    admin_credit = (await client.get(f"/admin/accounts/{acct}/credit")).text
    admin_api = (await client.get(f"/api/v1/admin/invoices?account={acct}")).json()

    for html in (mine, admin):
        assert re.search(r'data-testid="invoice-paid">€36.14', html)
        assert re.search(r'data-testid="invoice-balance"><strong>€100.00', html)
    assert "€136.14" in admin_list and "€36.14" in admin_list and "€100.00" in admin_list
    assert "€36.14" in payments and "Paid from account credit" in payments
    assert my_api["invoice"]["balance"] == admin_api["items"][0]["balance"] == 10_000
    assert my_api["payments"][0]["who_paid"] == "Paid from account credit"
    assert "€0.00" in my_credit and "€0.00" in admin_credit and "-€36.14" in admin_credit


async def test_staff_write_a_draft_edit_it_and_issue_it_with_the_next_number(client, authz):
    store = await make_store(prefix="M-")
    acct = await client_account(authz, "a@example.com", store)
    await issue(store, acct)  # M-000001
    await staff(client, authz, "billing")

    bad = await post_form(
        client, "/admin/invoices/new", {"account_id": str(acct), "description_0": "Work", "price_0": "-5"}
    )
    assert bad.status_code == 422 and "cannot be negative" in bad.text
    no_account = await post_form(
        client, "/admin/invoices/new", {"account_id": "999999", "description_0": "W", "price_0": "5"}
    )
    assert no_account.status_code == 422 and "existing client account" in no_account.text
    assert await Invoice.count() == 1
    made = await post_form(
        client,
        "/admin/invoices/new",
        {"account_id": str(acct), "description_0": "Consulting", "quantity_0": "3", "price_0": "80", "tax_0": "21"},
    )
    assert made.status_code == 303, made.text
    draft_id = int(made.headers["location"].split("/")[3].split("?")[0])
    draft = await Invoice.select(Invoice.number, Invoice.status, Invoice.total).where(Invoice.id == draft_id).first()
    assert draft == {"number": None, "status": "draft", "total": 29040}
    page = await client.get(f"/admin/invoices/{draft_id}")
    assert 'value="Consulting"' in page.text and 'data-testid="draft-form"' in page.text

    edited = await post_form(
        client,
        f"/admin/invoices/{draft_id}/draft",
        {
            "description_0": "Consulting",
            "quantity_0": "2",
            "price_0": "80",
            "tax_0": "21",
            "description_1": "Travel",
            "price_1": "15.50",
            "due_date": "2026-12-31",
            "notes": "Thank you",
        },
    )
    assert edited.status_code == 303
    await issue(store, acct)  # M-000002 meanwhile: the draft took no number
    issued = await post_form(client, f"/admin/invoices/{draft_id}/issue")
    assert issued.status_code == 303
    row = (
        await Invoice.select(Invoice.number, Invoice.status, Invoice.total, Invoice.billing)
        .where(Invoice.id == draft_id)
        .output(load_json=True)
        .first()
    )
    assert row["number"] == "M-000003" and row["status"] == "unpaid" and row["total"] == 19360 + 1550
    assert row["billing"]["address1"] == "1 Main Street"
    again = await post_form(client, f"/admin/invoices/{draft_id}/draft", {"description_0": "X", "price_0": "1"})
    assert again.status_code == 409  # an issued invoice is never edited
    actions = [r["action"] for r in await AuditEvent.select(AuditEvent.action).order_by(AuditEvent.id)]
    assert ["invoice.draft", "invoice.draft_update", "invoice.issue"] == [
        a for a in actions if a.startswith("invoice.")
    ]

    await login(client, "a@example.com")
    assert "M-000003" in (await client.get("/invoices")).text
