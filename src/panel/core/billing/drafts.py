"""Manual invoices by staff: a draft (no number) that can be edited, then issued.

A draft takes its number only when it is issued, in the transaction that issues it,
so drafts deleted or never issued leave no hole in a store's numbers. The billing
contact is copied onto the invoice at issue time too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from panel.core import db
from panel.core.audit.services import AuditContext, record
from panel.core.billing import settlement
from panel.core.billing.invoicing import (
    LineDraft,
    account_store,
    billing_snapshot,
    check_lines,
    next_number,
    totals,
    write_lines,
)
from panel.core.billing.payments import NotPayable, locked_invoice
from panel.core.billing.tables import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from panel.errors import ValidationFailed
from panel.money import format_money, parse_amount, parse_percent

MAX_LINES = 8


def parse_lines(form: Mapping[str, Any], currency: str) -> list[LineDraft]:
    """The line rows of the staff form (`description_0`, `quantity_0`, `price_0`, `tax_0` ...).

    Blank rows are skipped; each error is keyed by its field, so the form shows it
    beside the right box. Prices are in `currency`, taxes in per cent.
    """
    errors: dict[str, str] = {}
    lines: list[LineDraft] = []
    for i in range(MAX_LINES):
        desc = str(form.get(f"description_{i}", "") or "").strip()
        price = str(form.get(f"price_{i}", "") or "").strip()
        if not desc and not price:
            continue
        if not desc:
            errors[f"description_{i}"] = "Describe the line."
        elif len(desc) > 255:
            errors[f"description_{i}"] = "Keep the description under 255 characters."
        qty_text = str(form.get(f"quantity_{i}", "") or "1").strip()
        quantity = int(qty_text) if qty_text.isdigit() else 0
        if not 1 <= quantity <= 100_000:
            errors[f"quantity_{i}"] = "Enter a whole number from 1."
        amount = bp = 0
        try:
            amount = parse_amount(price, currency, field=f"price_{i}")
        except ValidationFailed as exc:
            errors.update(exc.errors)
        try:
            bp = parse_percent(str(form.get(f"tax_{i}", "") or "0"), field=f"tax_{i}")
        except ValidationFailed as exc:
            errors.update(exc.errors)
        tax_name = str(form.get(f"tax_name_{i}", "") or "").strip()[:60] or ("VAT" if bp else "")
        lines.append(LineDraft(desc, amount, quantity, tax_name=tax_name, tax_bp=bp))
    if errors:
        raise ValidationFailed(errors)
    if not lines:
        raise ValidationFailed({"lines": "Add at least one line."})
    check_lines(lines)
    return lines


def parse_due(text: str) -> dt.date | None:
    """The due date field ("" for the issue date)."""
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed({"due_date": "Enter a date like 2026-12-31."}) from None


async def draft_currency(account_id: int) -> str:
    """The currency a new invoice of this account is in (its store's)."""
    return str((await account_store(account_id))["currency"])


async def create_draft(
    account_id: int, lines: list[LineDraft], due_date: dt.date | None, notes: str, *, by: AuditContext
) -> int:
    """Write a draft invoice for the account in its store; audited. Returns its id."""
    store = await account_store(account_id)
    subtotal, discount, tax, total = totals(lines)
    async with db.write_transaction():
        row = await Invoice.insert(
            Invoice(
                store=store["id"],
                account=account_id,
                kind=InvoiceKind.INVOICE,
                status=InvoiceStatus.DRAFT,
                currency=store["currency"],
                subtotal=subtotal,
                discount=discount,
                tax=tax,
                total=total,
                notes=notes.strip(),
                due_date=due_date,
            )
        ).returning(Invoice.id)
        invoice_id = int(row[0]["id"])
        await write_lines(invoice_id, lines)
        await record(
            "invoice.draft",
            account_id=account_id,
            target=f"invoice:{invoice_id}",
            summary=f"Wrote a draft invoice of {format_money(total, store['currency'])}.",
            **by,
        )
    return invoice_id


async def _draft(invoice_id: int) -> dict[str, Any]:
    inv = await locked_invoice(invoice_id)
    if inv["status"] != InvoiceStatus.DRAFT:
        raise NotPayable("Only a draft can be changed; an issued invoice is never edited.")
    return inv


async def update_draft(
    invoice_id: int, lines: list[LineDraft], due_date: dt.date | None, notes: str, *, by: AuditContext
) -> None:
    """Replace a draft's lines, due date and notes; audited."""
    subtotal, discount, tax, total = totals(lines)
    async with db.write_transaction():
        inv = await _draft(invoice_id)
        await InvoiceLine.delete().where(InvoiceLine.invoice == invoice_id)
        await write_lines(invoice_id, lines)
        await Invoice.update(
            {
                Invoice.subtotal: subtotal,
                Invoice.discount: discount,
                Invoice.tax: tax,
                Invoice.total: total,
                Invoice.notes: notes.strip(),
                Invoice.due_date: due_date,
            }
        ).where(Invoice.id == invoice_id)
        await record(
            "invoice.draft_update",
            account_id=int(inv["account"]),
            target=f"invoice:{invoice_id}",
            summary=f"Changed a draft invoice; it now totals {format_money(total, inv['currency'])}.",
            **by,
        )


async def issue_draft(state: Any, invoice_id: int, *, by: AuditContext) -> str:
    """Issue a draft: take the store's next number, copy the billing contact; audited. Returns the number."""
    async with db.write_transaction():
        inv = await _draft(invoice_id)
        seq, number = await next_number(int(inv["store"]), InvoiceKind.INVOICE)
        now = dt.datetime.now(dt.UTC)
        paid = int(inv["total"]) == 0
        current = await Invoice.select(Invoice.due_date).where(Invoice.id == invoice_id).first()
        await Invoice.update(
            {
                Invoice.number: number,
                Invoice.seq: seq,
                Invoice.status: InvoiceStatus.PAID if paid else InvoiceStatus.UNPAID,
                Invoice.billing: await billing_snapshot(int(inv["account"])),
                Invoice.issued_at: now,
                Invoice.due_date: (current or {}).get("due_date") or now.date(),
                Invoice.paid_at: now if paid else None,
            }
        ).where(Invoice.id == invoice_id)
        await record(
            "invoice.issue",
            account_id=int(inv["account"]),
            target=f"invoice:{invoice_id}",
            summary=f"Issued invoice {number} of {format_money(int(inv['total']), inv['currency'])}.",
            **by,
        )
    if paid:
        await settlement.after_paid(state, invoice_id)
    return number


async def delete_draft(invoice_id: int, *, by: AuditContext) -> None:
    """Delete a draft (it has no number, so no hole is left); audited."""
    async with db.write_transaction():
        inv = await _draft(invoice_id)
        await InvoiceLine.delete().where(InvoiceLine.invoice == invoice_id)
        await Invoice.delete().where(Invoice.id == invoice_id)
        await record(
            "invoice.draft_delete",
            account_id=int(inv["account"]),
            target=f"invoice:{invoice_id}",
            summary="Deleted a draft invoice.",
            **by,
        )
