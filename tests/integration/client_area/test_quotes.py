"""Quotes from end to end: staff write and send one (it arrives by email), the client accepts it (one
invoice, however often) or declines it; expired quotes are refused; and every deny rule."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import factories as f

from panel.core.billing.tables import Invoice, InvoiceLine, InvoiceStatus
from panel.core.quotes import services
from panel.core.quotes.forms import QuoteForm, QuoteLineIn
from panel.core.quotes.tables import ClientQuote, QuoteStatus

from .helpers import client_account, shop

BY = {"actor": None, "impersonator": None, "ip": ""}


def _today() -> date:
    return datetime.now(UTC).date()


async def _wait_for(smtp: Any, subject_start: str) -> Any:
    import asyncio

    for _ in range(250):
        found = [m for m in smtp.messages if str(m["Subject"]).startswith(subject_start)]
        if found:
            return found[-1]
        await asyncio.sleep(0.02)
    raise AssertionError(f"no email starting {subject_start!r}; got {[str(m['Subject']) for m in smtp.messages]}")


async def _sent_quote(account_id: int, valid_until: date | None = None, amount: int = 5000) -> int:
    """A quote of one 50.00 line (no tax), written and sent through the services."""
    from panel.core.billing.invoicing import LineDraft

    content = QuoteForm([QuoteLineIn(LineDraft("Consulting", amount))], valid_until or _today() + timedelta(days=7), "")
    quote_id = await services.create_quote(account_id, content, by=BY)
    await services.send_quote(quote_id, by=BY)
    return quote_id


async def _invoices_of(account_id: int) -> list[dict[str, Any]]:
    return list(await Invoice.select().where(Invoice.account == account_id))


async def test_staff_write_and_send_a_quote_the_client_accepts_once(client, authz, smtp, staff_login):
    s = await shop()
    acct = await client_account(authz, "owner@example.com", s.store)
    await staff_login(client, authz, "billing")
    valid = (_today() + timedelta(days=14)).isoformat()

    # a refused form says why beside each field and keeps what was typed
    refused = await f.post_form(
        client,
        "/admin/quotes/new",
        {"account_id": str(acct), "description_0": "Migration", "price_0": "abc", "valid_until": ""},
    )
    assert refused.status_code == 422
    assert 'id="price_0-error"' in refused.text and 'id="valid_until-error"' in refused.text
    assert 'value="Migration"' in refused.text

    created = await f.post_form(
        client,
        "/admin/quotes/new",
        {
            "account_id": str(acct),
            "product_0": str(s.thing),
            "cycle_0": "monthly",
            "tax_0": "21",
            "tax_name_0": "VAT",
            "description_1": "Migration of two sites by our team",
            "quantity_1": "2",
            "price_1": "50.00",
            "tax_1": "21",
            "valid_until": valid,
            "notes": "Includes a test run.",
        },
    )
    assert created.status_code == 303, created.text
    quote_id = int(re.search(r"/admin/quotes/(\d+)", created.headers["location"]).group(1))
    row = await ClientQuote.select().where(ClientQuote.id == quote_id).first()
    assert (row["status"], row["subtotal"], row["tax"], row["total"]) == ("draft", 11000, 2310, 13310)
    number = row["number"]
    assert number == f"Q-{quote_id:06d}"
    staff_page = await client.get(f"/admin/quotes/{quote_id}")
    assert "Thing (Monthly)" in staff_page.text and 'data-testid="send-quote"' in staff_page.text

    sent = await f.post_form(client, f"/admin/quotes/{quote_id}/send")
    assert sent.status_code == 303, sent.text
    message = await _wait_for(smtp, f"Quote {number}")
    assert str(message["Subject"]) == f"Quote {number}: €133.10, valid until {valid}"
    assert str(message["To"]).endswith("<owner@example.com>") or str(message["To"]) == "owner@example.com"
    assert f"/quotes/{quote_id}" in message.get_body(("plain",)).get_content()

    await f.login_as(client, "owner@example.com")
    history = await client.get("/emails")
    assert f"Quote {number}" in history.text  # in the account's email history
    assert 'href="/quotes"' in history.text  # the nav item
    listed = await client.get("/quotes")
    assert f'href="/quotes/{quote_id}">{number}<' in listed.text and "awaiting your answer" in listed.text
    shown = await client.get(f"/quotes/{quote_id}")
    assert shown.status_code == 200
    assert "Migration of two sites by our team" in shown.text and "€133.10" in shown.text
    assert 'data-testid="accept"' in shown.text and 'data-testid="decline"' in shown.text
    printable = await client.get(f"/quotes/{quote_id}/print")
    assert printable.status_code == 200 and 'data-testid="quote-document"' in printable.text
    assert 'class="sidenav"' not in printable.text

    accepted = await f.post_form(client, f"/quotes/{quote_id}/accept")
    assert accepted.status_code == 303 and accepted.headers["location"] == f"/quotes/{quote_id}?done=accepted"
    again = await f.post_form(client, f"/quotes/{quote_id}/accept")  # a second tab, or a double click
    assert again.status_code == 303
    api = await client.post(
        f"/api/v1/accounts/{acct}/quotes/{quote_id}/accept", headers={"x-csrftoken": f.csrf(client)}
    )
    assert api.status_code == 200, api.text

    invoices = await _invoices_of(acct)
    assert len(invoices) == 1
    invoice = invoices[0]
    assert (invoice["status"], invoice["total"], invoice["tax"]) == (InvoiceStatus.UNPAID, 13310, 2310)
    assert api.json()["invoice_id"] == invoice["id"] and api.json()["quote"]["status"] == "accepted"
    lines = await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"]).order_by(InvoiceLine.sort)
    assert [(r["description"], r["quantity"], r["unit_amount"], r["tax_bp"]) for r in lines] == [
        ("Thing (Monthly)", 1, 1000, 2100),
        ("Migration of two sites by our team", 2, 5000, 2100),
    ]
    done = await client.get(f"/quotes/{quote_id}?done=accepted")
    assert "the quote is accepted" in done.text and 'data-testid="accept"' not in done.text
    assert f'href="/invoices/{invoice["id"]}/pay" data-testid="pay-invoice"' in done.text
    late = await f.post_form(client, f"/quotes/{quote_id}/decline")
    assert late.status_code == 409 and "accepted already" in late.text


async def test_the_client_declines_and_cannot_accept_afterwards(client, authz, smtp):
    s = await shop()
    acct = await client_account(authz, "owner@example.com", s.store)
    quote_id = await _sent_quote(acct)
    await f.login_as(client, "owner@example.com")

    declined = await f.post_form(client, f"/quotes/{quote_id}/decline")
    assert declined.status_code == 303
    assert (await ClientQuote.select(ClientQuote.status).where(ClientQuote.id == quote_id).first())["status"] == (
        QuoteStatus.DECLINED
    )
    refused = await f.post_form(client, f"/quotes/{quote_id}/accept")
    assert refused.status_code == 409 and "This quote was declined." in refused.text
    assert await _invoices_of(acct) == []
    listed = await client.get(f"/api/v1/accounts/{acct}/quotes?status=declined")
    assert [q["id"] for q in listed.json()["items"]] == [quote_id]


async def test_an_expired_quote_cannot_be_accepted(client, authz, smtp):
    s = await shop()
    acct = await client_account(authz, "owner@example.com", s.store)
    quote_id = await _sent_quote(acct)
    yesterday = _today() - timedelta(days=1)
    await ClientQuote.update({ClientQuote.valid_until: yesterday}).where(ClientQuote.id == quote_id)
    await f.login_as(client, "owner@example.com")

    shown = await client.get(f"/quotes/{quote_id}")
    assert 'data-testid="quote-status">expired<' in shown.text and 'data-testid="accept"' not in shown.text
    refused = await f.post_form(client, f"/quotes/{quote_id}/accept")
    assert refused.status_code == 409 and f"expired after {yesterday.isoformat()}" in refused.text
    api = await client.post(
        f"/api/v1/accounts/{acct}/quotes/{quote_id}/accept", headers={"x-csrftoken": f.csrf(client)}
    )
    assert api.status_code == 409
    assert await _invoices_of(acct) == []
    row = await ClientQuote.select(ClientQuote.status).where(ClientQuote.id == quote_id).first()
    assert row["status"] == QuoteStatus.EXPIRED


# -- deny rules ---------------------------------------------------------------------------------------


async def test_another_accounts_quote_is_404_through_mine(client, authz, smtp):
    s = await shop()
    mine = await client_account(authz, "owner@example.com", s.store)
    theirs = await client_account(authz, "other@example.com", s.store)
    their_quote = await _sent_quote(theirs)
    await f.login_as(client, "owner@example.com")
    csrf = {"x-csrftoken": f.csrf(client)}

    assert (await client.get(f"/quotes/{their_quote}")).status_code == 404
    assert (await client.get(f"/quotes/{their_quote}/print")).status_code == 404
    assert (await f.post_form(client, f"/quotes/{their_quote}/accept")).status_code == 404
    assert (await client.get(f"/api/v1/accounts/{mine}/quotes/{their_quote}")).status_code == 404
    assert (await client.post(f"/api/v1/accounts/{mine}/quotes/{their_quote}/accept", headers=csrf)).status_code == 404
    assert (await client.get(f"/api/v1/accounts/{theirs}/quotes/{their_quote}")).status_code == 403
    assert their_quote not in [q["id"] for q in (await client.get(f"/api/v1/accounts/{mine}/quotes")).json()["items"]]
    assert await _invoices_of(theirs) == []


async def test_a_member_without_the_quotes_permission_is_refused(client, authz, smtp):
    s = await shop()
    acct = await client_account(authz, "owner@example.com", s.store, {"biller@example.com": ["invoices"]})
    quote_id = await _sent_quote(acct)
    await f.login_as(client, "biller@example.com")

    assert (await client.get("/quotes")).status_code == 403
    assert (await client.get(f"/quotes/{quote_id}")).status_code == 403
    assert (await f.post_form(client, f"/quotes/{quote_id}/accept")).status_code == 403
    assert (await client.get(f"/api/v1/accounts/{acct}/quotes")).status_code == 403
    assert 'href="/quotes"' not in (await client.get("/")).text
    assert await _invoices_of(acct) == []


async def test_a_client_is_refused_the_staff_quote_pages(client, authz):
    s = await shop()
    acct = await client_account(authz, "owner@example.com", s.store)
    await f.login_as(client, "owner@example.com")

    assert (await client.get("/admin/quotes")).status_code == 403
    created = await f.post_form(
        client,
        "/admin/quotes/new",
        {"account_id": str(acct), "description_0": "Free", "price_0": "1", "valid_until": "2999-01-01"},
    )
    assert created.status_code == 403
    assert await ClientQuote.count() == 0


async def test_the_daily_task_expires_sent_quotes_past_their_day_once(client, authz, smtp):
    from panel.core.audit.tables import AuditEvent
    from panel.core.billing.invoicing import LineDraft
    from panel.core.jobs.scheduler import tick
    from panel.core.jobs.services import enqueue, queue_for, schedule_of

    app = client.app
    s = await shop()
    acct = await client_account(authz, "owner@example.com", s.store)
    past, current, accepted, declined = [await _sent_quote(acct) for _ in range(4)]
    await services.accept(app.state, acct, accepted, by=BY)
    await services.decline(acct, declined, by=BY)
    draft = await services.create_quote(acct, QuoteForm([QuoteLineIn(LineDraft("Draft", 100))], _today(), ""), by=BY)
    yesterday = _today() - timedelta(days=1)
    await ClientQuote.update({ClientQuote.valid_until: yesterday}).where(ClientQuote.id != current)

    async def statuses() -> dict[int, str]:
        return {r["id"]: r["status"] for r in await ClientQuote.select(ClientQuote.id, ClientQuote.status)}

    async def expiries() -> list[str]:
        rows = await AuditEvent.select(AuditEvent.target).where(AuditEvent.action == "quote.expire")
        return [r["target"] for r in rows]

    # a scheduled task by default: the scheduler's tick on the day queues it, the worker runs it
    schedule = schedule_of(app.state.settings, app.state.plugins.job_handlers())
    assert schedule["quotes.expire"] == "15 0 * * *"
    seven = datetime.combine(_today(), time(7), tzinfo=UTC)
    await tick(queue_for(app.state.settings), {"quotes.expire": schedule["quotes.expire"]}, seven)
    assert await f.run_jobs(app) == 1
    after = await statuses()
    assert after == {
        past: QuoteStatus.EXPIRED,
        current: QuoteStatus.SENT,
        accepted: QuoteStatus.ACCEPTED,
        declined: QuoteStatus.DECLINED,
        draft: QuoteStatus.DRAFT,
    }
    assert await expiries() == [f"quote:{past}"]
    await f.login_as(client, "owner@example.com")
    listed = await client.get(f"/api/v1/accounts/{acct}/quotes?status=expired")
    assert [q["id"] for q in listed.json()["items"]] == [past]

    # run again for the same day, as after a crash: nothing more changes, nothing more is audited
    await enqueue(app.state.settings, "quotes.expire", {"period": f"{_today().isoformat()}T00:15"}, key="rerun")
    assert await f.run_jobs(app) == 1
    assert await statuses() == after and await expiries() == [f"quote:{past}"]
