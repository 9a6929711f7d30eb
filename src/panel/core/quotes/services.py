"""Quotes: staff write, change and send them; the client accepts or declines. Every rule of the feature.

A quote is written as a draft in the account's store and currency and can be
changed until it is sent. Sending emails it to the account's billing contact (it
appears in the account's email history) and shows it to the client. Accepting issues
an unpaid invoice from the quote's lines, through `panel.core.billing.invoicing`, in
the same transaction that marks the quote accepted: accepting twice, or from two
tabs at once, issues one invoice (the quote row is locked, and a quote already
accepted answers its invoice). A sent quote past its `valid_until` is expired: it
cannot be accepted or declined any more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, NoReturn, cast

from panel.core import db
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.billing import settlement
from panel.core.billing.invoicing import (
    LineDraft,
    account_store,
    billing_snapshot,
    issue_numbered_invoice,
    totals,
)
from panel.core.billing.tables import Invoice, InvoiceStatus
from panel.core.quotes.forms import QuoteForm, QuoteLineIn
from panel.core.quotes.tables import ClientQuote, ClientQuoteLine, QuoteStatus
from panel.errors import NotFound, PanelError, ValidationFailed
from panel.money import format_money


class QuoteClosed(PanelError):
    """The quote cannot take this answer or change (accepted, declined, expired, not a draft)."""

    status_code = 409


def today() -> dt.date:
    """Today in UTC, the calendar quotes expire by."""
    return dt.datetime.now(dt.UTC).date()


def is_expired(status: str, valid_until: dt.date | None, on: dt.date | None = None) -> bool:
    """Whether a quote is expired: marked so, or sent and past its last valid day."""
    if status == QuoteStatus.EXPIRED:
        return True
    return status == QuoteStatus.SENT and valid_until is not None and valid_until < (on or today())


def number_of(quote_id: int) -> str:
    """A quote's number: `Q-` and the id, zero-padded (unique because the id is)."""
    return f"Q-{quote_id:06d}"


async def _locked(quote_id: int, account_id: int | None = None) -> dict[str, Any]:
    """The quote's row, locked until the transaction ends; `NotFound` if absent (or another account's, or a draft)."""
    where: Any = ClientQuote.id == quote_id
    if account_id is not None:  # the client's view: their account's quotes, never drafts
        where &= (ClientQuote.account == account_id) & (ClientQuote.status != QuoteStatus.DRAFT)
    query = ClientQuote.select().where(where)
    if not db.is_sqlite():
        query = query.lock_rows()
    row = await query.first()
    if row is None:
        raise NotFound("No such quote.")
    return dict(row)


def _sums(lines: Sequence[QuoteLineIn]) -> dict[Any, int]:
    subtotal, discount, tax, total = totals([line.draft for line in lines])
    return {
        ClientQuote.subtotal: subtotal,
        ClientQuote.discount: discount,
        ClientQuote.tax: tax,
        ClientQuote.total: total,
    }


async def _write_lines(quote_id: int, lines: Sequence[QuoteLineIn]) -> None:
    await ClientQuoteLine.insert(
        *[
            ClientQuoteLine(
                quote=quote_id,
                description=line.draft.description[:255],
                quantity=line.draft.quantity,
                unit_amount=line.draft.unit_amount,
                discount=line.draft.discount,
                amount=line.draft.amount,
                tax_name=line.draft.tax_name,
                tax_bp=line.draft.tax_bp,
                tax=line.draft.tax,
                product=line.product_id,
                cycle=line.cycle,
                sort=i,
            )
            for i, line in enumerate(lines)
        ]
    )


async def store_of(account_id: int) -> tuple[int, str]:
    """The store (id, currency) a quote for the account is written in: the one that invoices it."""
    store = await account_store(account_id)
    return int(store["id"]), str(store["currency"])


async def create_quote(account_id: int, content: QuoteForm, *, by: AuditContext) -> int:
    """Write a draft quote for the account in its store's currency; audited. Returns its id."""
    store_id, currency = await store_of(account_id)
    sums = _sums(content.lines)
    async with db.write_transaction():
        row = await ClientQuote.insert(
            ClientQuote(
                store=store_id,
                account=account_id,
                number=f"new-{dt.datetime.now(dt.UTC).timestamp()}-{account_id}",
                status=QuoteStatus.DRAFT,
                currency=currency,
                valid_until=content.valid_until,
                notes=content.notes,
                created_by=by["actor"],
            )
        ).returning(ClientQuote.id)
        quote_id = int(row[0]["id"])
        number = number_of(quote_id)
        await ClientQuote.update({ClientQuote.number: number, **sums}).where(ClientQuote.id == quote_id)
        await _write_lines(quote_id, content.lines)
        await record(
            "quote.create",
            account_id=account_id,
            target=f"quote:{quote_id}",
            summary=f"Wrote quote {number} of {format_money(sums[ClientQuote.total], currency)}.",
            **by,
        )
    return quote_id


async def update_quote(quote_id: int, content: QuoteForm, *, by: AuditContext) -> None:
    """Replace a draft's lines, last valid day and notes; audited. A sent quote is never changed."""
    sums = _sums(content.lines)
    async with db.write_transaction():
        quote = await _locked(quote_id)
        if quote["status"] != QuoteStatus.DRAFT:
            raise QuoteClosed("Only a draft can be changed; this quote was sent already.")
        await ClientQuoteLine.delete().where(ClientQuoteLine.quote == quote_id)
        await _write_lines(quote_id, content.lines)
        await ClientQuote.update(
            {
                **sums,
                ClientQuote.valid_until: content.valid_until,
                ClientQuote.notes: content.notes,
                ClientQuote.updated_at: dt.datetime.now(dt.UTC),
            }
        ).where(ClientQuote.id == quote_id)
        await record(
            "quote.update",
            account_id=int(quote["account"]),
            target=f"quote:{quote_id}",
            summary=f"Changed draft quote {quote['number']}; it now totals "
            f"{format_money(sums[ClientQuote.total], quote['currency'])}.",
            **by,
        )


async def delete_draft(quote_id: int, *, by: AuditContext) -> None:
    """Delete a draft quote (a sent one stays, for the record); audited."""
    async with db.write_transaction():
        quote = await _locked(quote_id)
        if quote["status"] != QuoteStatus.DRAFT:
            raise QuoteClosed("Only a draft can be deleted; a sent quote stays on record.")
        await ClientQuoteLine.delete().where(ClientQuoteLine.quote == quote_id)
        await ClientQuote.delete().where(ClientQuote.id == quote_id)
        await record(
            "quote.delete",
            account_id=int(quote["account"]),
            target=f"quote:{quote_id}",
            summary=f"Deleted draft quote {quote['number']}.",
            **by,
        )


async def _recipient(account_id: int) -> str:
    """The billing contact's address, else the account owner's."""
    from panel.core.accounts.tables import Account
    from panel.core.contacts import services as contacts

    contact = await contacts.billing_contact(account_id)
    if contact is not None and contact.email:
        return str(contact.email)
    row = await Account.select(Account.owner.email).where(Account.id == account_id).first()
    return str(row["owner.email"]) if row and row["owner.email"] else ""


async def send_quote(quote_id: int, *, by: AuditContext) -> str:
    """Send a draft (or send a sent quote again): email it to the billing contact; audited. Returns the address.

    The email joins the transaction that marks the quote sent, so a refused send
    sends nothing. A quote whose last valid day has passed cannot be sent.
    """
    from panel.core.mail import services as mail

    async with db.write_transaction():
        quote = await _locked(quote_id)
        if quote["status"] not in (QuoteStatus.DRAFT, QuoteStatus.SENT):
            raise QuoteClosed(f"This quote is {quote['status']}: it cannot be sent.")
        if quote["valid_until"] < today():
            raise ValidationFailed({"valid_until": "The quote's last valid day has passed: change it first."})
        account_id = int(quote["account"])
        to = await _recipient(account_id)
        if not to:
            raise ValidationFailed({"send": "The account has no billing contact with an email address to send to."})
        now = dt.datetime.now(dt.UTC)
        await ClientQuote.update(
            {ClientQuote.status: QuoteStatus.SENT, ClientQuote.sent_at: now, ClientQuote.updated_at: now}
        ).where(ClientQuote.id == quote_id)
        await mail.send(
            "quote",
            to,
            {
                "number": quote["number"],
                "total": format_money(int(quote["total"]), quote["currency"]),
                "valid_until": quote["valid_until"].isoformat(),
                "quote_id": quote_id,
                "again": quote["status"] == QuoteStatus.SENT,
            },
            account_id=account_id,
        )
        await record(
            "quote.send",
            account_id=account_id,
            target=f"quote:{quote_id}",
            summary=f"Sent quote {quote['number']} to {to}.",
            **by,
        )
    return to


async def _line_drafts(quote_id: int) -> list[LineDraft]:
    rows = await ClientQuoteLine.select().where(ClientQuoteLine.quote == quote_id).order_by(ClientQuoteLine.sort)
    return [
        LineDraft(
            description=r["description"],
            unit_amount=int(r["unit_amount"]),
            quantity=int(r["quantity"]),
            discount=int(r["discount"]),
            tax_name=r["tax_name"],
            tax_bp=int(r["tax_bp"]),
        )
        for r in rows
    ]


def _closed_message(status: str, valid_until: dt.date) -> str:
    return {
        QuoteStatus.ACCEPTED: "This quote was accepted already.",
        QuoteStatus.DECLINED: "This quote was declined.",
        QuoteStatus.EXPIRED: f"This quote expired after {valid_until.isoformat()}: ask us for a new one.",
    }.get(status, "This quote cannot be answered.")


async def expire_overdue(on: dt.date | None = None, *, by: AuditContext = SYSTEM) -> int:
    """Mark every sent quote whose last valid day is before `on` (today) expired; how many were.

    One UPDATE, so running it twice changes nothing more; each quote it expires gets an
    audit event in its account. The daily `quotes.expire` task runs it; reading a quote
    still treats one past its day as expired (`is_expired`) until then.
    """
    day = on or today()
    now = dt.datetime.now(dt.UTC)
    async with db.write_transaction():
        rows = (
            await ClientQuote.update({ClientQuote.status: QuoteStatus.EXPIRED, ClientQuote.updated_at: now})
            .where((ClientQuote.status == QuoteStatus.SENT) & (ClientQuote.valid_until < day))
            .returning(ClientQuote.id, ClientQuote.account, ClientQuote.number, ClientQuote.valid_until)
        )
        for row in rows:
            await record(
                "quote.expire",
                account_id=int(row["account"]),
                target=f"quote:{row['id']}",
                summary=f"Quote {row['number']} expired: its last valid day was {row['valid_until']}.",
                **by,
            )
    return len(rows)


def _expired_on(quote: dict[str, Any]) -> dt.date | None:
    """None when the (locked) quote may be answered; its last valid day when it has expired.

    Raises QuoteClosed for an accepted, declined or draft quote. An expired one is
    refused only after its transaction, by `_refuse_expired`, so that marking it
    expired is not rolled back with the refusal.
    """
    if is_expired(quote["status"], quote["valid_until"]):
        return cast(dt.date, quote["valid_until"])
    if quote["status"] != QuoteStatus.SENT:
        raise QuoteClosed(_closed_message(quote["status"], quote["valid_until"]))
    return None


async def _refuse_expired(quote_id: int, expired_on: dt.date) -> NoReturn:
    """Mark the quote expired (if it is still `sent`) and refuse the answer."""
    async with db.write_transaction():
        await ClientQuote.update({ClientQuote.status: QuoteStatus.EXPIRED}).where(
            (ClientQuote.id == quote_id) & (ClientQuote.status == QuoteStatus.SENT)
        )
    raise QuoteClosed(_closed_message(QuoteStatus.EXPIRED, expired_on))


async def accept(state: Any, account_id: int, quote_id: int, *, by: AuditContext) -> int:
    """The client accepts a sent quote: an unpaid invoice of its lines is issued; audited. Returns the invoice's id.

    Accepting a quote that is accepted already answers the same invoice (nothing is
    issued twice). An expired, declined or draft quote is refused (409; a draft or
    another account's quote is `NotFound`). `state` is the app's state, for the rare
    quote of nothing, whose invoice is paid at once and settled.
    """
    async with db.write_transaction():
        quote = await _locked(quote_id, account_id)
        if quote["status"] == QuoteStatus.ACCEPTED and quote["invoice_id"]:
            return int(quote["invoice_id"])
        expired_on = _expired_on(quote)
        if expired_on is None:
            invoice_id, number = await issue_numbered_invoice(
                store_id=int(quote["store"]),
                account_id=account_id,
                currency=quote["currency"],
                lines=await _line_drafts(quote_id),
                billing=await billing_snapshot(account_id),
                due_date=today(),
                notes=f"Quote {quote['number']}" + (f": {quote['notes']}" if quote["notes"] else ""),
            )
            now = dt.datetime.now(dt.UTC)
            await ClientQuote.update(
                {
                    ClientQuote.status: QuoteStatus.ACCEPTED,
                    ClientQuote.invoice_id: invoice_id,
                    ClientQuote.answered_at: now,
                    ClientQuote.answered_by: by["actor"],
                    ClientQuote.updated_at: now,
                }
            ).where((ClientQuote.id == quote_id) & (ClientQuote.status == QuoteStatus.SENT))
            await record(
                "quote.accept",
                account_id=account_id,
                target=f"quote:{quote_id}",
                summary=f"Accepted quote {quote['number']}; invoice {number} was issued.",
                details={"invoice_id": invoice_id},
                **by,
            )
    if expired_on is not None:
        await _refuse_expired(quote_id, expired_on)
    paid = await Invoice.exists().where((Invoice.id == invoice_id) & (Invoice.status == InvoiceStatus.PAID))
    if paid:
        await settlement.after_paid(state, invoice_id)
    return invoice_id


async def decline(account_id: int, quote_id: int, *, by: AuditContext) -> None:
    """The client declines a sent quote; audited. Declining twice changes nothing; an expired quote is refused."""
    async with db.write_transaction():
        quote = await _locked(quote_id, account_id)
        if quote["status"] == QuoteStatus.DECLINED:
            return
        expired_on = _expired_on(quote)
        if expired_on is None:
            now = dt.datetime.now(dt.UTC)
            await ClientQuote.update(
                {
                    ClientQuote.status: QuoteStatus.DECLINED,
                    ClientQuote.answered_at: now,
                    ClientQuote.answered_by: by["actor"],
                    ClientQuote.updated_at: now,
                }
            ).where((ClientQuote.id == quote_id) & (ClientQuote.status == QuoteStatus.SENT))
            await record(
                "quote.decline",
                account_id=account_id,
                target=f"quote:{quote_id}",
                summary=f"Declined quote {quote['number']}.",
                **by,
            )
    if expired_on is not None:
        await _refuse_expired(quote_id, expired_on)
