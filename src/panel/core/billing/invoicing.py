"""Issuing invoices: lines, tax per line, totals, and gapless numbers per store.

`issue_invoice` runs inside the caller's transaction (checkout, renewals, staff), so
an order and its invoice are written together or not at all, and a rolled-back
issue gives its number back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from panel.core.billing.tables import Invoice, InvoiceKind, InvoiceLine, InvoiceSequence, InvoiceStatus
from panel.core.stores.tables import Store
from panel.errors import ValidationFailed
from panel.money import percent_of


@dataclass(frozen=True)
class LineDraft:
    """One line to invoice: `quantity * unit_amount - discount`, then tax at `tax_bp` on that."""

    description: str
    unit_amount: int
    quantity: int = 1
    discount: int = 0
    tax_name: str = ""
    tax_bp: int = 0
    product_type: str = ""
    service_id: int | None = None
    order_item_id: int | None = None

    @property
    def amount(self) -> int:
        """The line's amount before tax."""
        return self.quantity * self.unit_amount - self.discount

    @property
    def tax(self) -> int:
        """The line's tax, rounded per line (rule 3 of `panel.money`)."""
        return percent_of(self.amount, self.tax_bp)


async def next_number(store_id: int, kind: str) -> tuple[int, str]:
    """Take the next number of a store's invoices or credit notes, in the caller's transaction.

    The increment is one UPDATE, which locks the sequence row until the transaction
    ends (PostgreSQL) or runs under SQLite's single writer; so two concurrent issues
    get two consecutive numbers, and a rollback gives the number back.
    """
    await InvoiceSequence.insert(InvoiceSequence(store=store_id, kind=kind, next_number=1)).on_conflict(
        action="DO NOTHING"
    )
    rows = (
        await InvoiceSequence.update({InvoiceSequence.next_number: InvoiceSequence.next_number + 1})
        .where((InvoiceSequence.store == store_id) & (InvoiceSequence.kind == kind))
        .returning(InvoiceSequence.next_number)
    )
    seq = int(rows[0]["next_number"]) - 1
    store = await Store.select(Store.invoice_prefix, Store.slug).where(Store.id == store_id).first()
    prefix = (store or {}).get("invoice_prefix") or ""
    if kind == InvoiceKind.CREDIT_NOTE:
        prefix = f"CN-{prefix}"
    return seq, f"{prefix}{seq:06d}"


async def issue_invoice(
    *,
    store_id: int,
    account_id: int,
    currency: str,
    lines: Sequence[LineDraft],
    billing: Mapping[str, Any],
    due_date: dt.date | None = None,
    order_id: int | None = None,
    notes: str = "",
    reverse_charge: str = "",
    kind: str = InvoiceKind.INVOICE,
    original_id: int | None = None,
) -> int:
    """Write an issued invoice (status unpaid; paid at once when its total is 0) and return its id.

    `billing` is the snapshot of the billing contact to print. Call inside a write
    transaction. Amounts are minor units of `currency`; negative totals are refused
    (a refund is a credit note, `kind=credit_note`, whose lines are positive).
    """
    if not lines:
        raise ValidationFailed({"lines": "An invoice needs at least one line."})
    subtotal = sum(line.quantity * line.unit_amount for line in lines)
    discount = sum(line.discount for line in lines)
    tax = sum(line.tax for line in lines)
    total = subtotal - discount + tax
    if total < 0:
        raise ValidationFailed({"lines": "An invoice cannot total less than zero."})
    now = dt.datetime.now(dt.UTC)
    seq, number = await next_number(store_id, kind)
    paid = total == 0 and kind == InvoiceKind.INVOICE
    row = (
        await Invoice.insert(
            Invoice(
                store=store_id,
                account=account_id,
                kind=kind,
                number=number,
                seq=seq,
                status=InvoiceStatus.PAID if paid else InvoiceStatus.UNPAID,
                currency=currency,
                subtotal=subtotal,
                discount=discount,
                tax=tax,
                total=total,
                amount_paid=0,
                billing=dict(billing),
                notes=notes,
                reverse_charge=reverse_charge,
                order_id=order_id,
                original=original_id,
                issued_at=now,
                due_date=due_date or now.date(),
                paid_at=now if paid else None,
            )
        ).returning(Invoice.id)
    )[0]
    invoice_id = int(row["id"])
    await InvoiceLine.insert(
        *[
            InvoiceLine(
                invoice=invoice_id,
                description=line.description[:255],
                quantity=line.quantity,
                unit_amount=line.unit_amount,
                discount=line.discount,
                amount=line.amount,
                tax_name=line.tax_name,
                tax_bp=line.tax_bp,
                tax=line.tax,
                product_type=line.product_type,
                service_id=line.service_id,
                order_item_id=line.order_item_id,
                sort=i,
            )
            for i, line in enumerate(lines)
        ]
    )
    return invoice_id
