"""Refunds (credit notes) and cancelling unpaid invoices; a paid invoice is never edited.

A refund is a credit note: an invoice of kind `credit_note` with its own gapless
numbers (`CN-...`), pointing at the original. A full refund of a fully paid invoice
repeats the original's lines, taxes included, so the credit note reverses it
exactly; a partial refund is one line of the amount given (tax included, not split
out). The money goes to account credit, or back through the gateway of the
invoice's payments. The original becomes `refunded` once everything paid on it was
refunded; nothing else about it changes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from panel.core import db
from panel.core.audit.services import AuditContext, record
from panel.core.billing import credit
from panel.core.billing.invoicing import LineDraft, draft_of, issue_invoice
from panel.core.billing.payments import NotPayable, locked_invoice
from panel.core.billing.tables import (
    CreditKind,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentStatus,
)
from panel.core.orders.tables import Order, OrderStatus
from panel.errors import NotFound, PanelError, ValidationFailed
from panel.gateways import GatewayError, PaymentGateway
from panel.money import format_money

log = logging.getLogger("panel.billing")

TO_CREDIT = "credit"
TO_GATEWAY = "gateway"


class RefundConflict(PanelError):
    """Another refund of the same payment ran at the same moment; nothing was refunded."""

    status_code = 409


async def refunded_so_far(invoice_id: int) -> int:
    """The total of the credit notes issued against an invoice."""
    rows = await Invoice.select(Invoice.total).where(
        (Invoice.original == invoice_id) & (Invoice.kind == InvoiceKind.CREDIT_NOTE)
    )
    return sum(int(r["total"]) for r in rows)


async def refundable(invoice_id: int) -> int:
    """What can still be refunded of an invoice: paid on it, less its credit notes."""
    row = (
        await Invoice.select(Invoice.amount_paid, Invoice.status, Invoice.kind).where(Invoice.id == invoice_id).first()
    )
    if row is None or row["kind"] != InvoiceKind.INVOICE or row["status"] != InvoiceStatus.PAID:
        return 0
    return max(0, int(row["amount_paid"]) - await refunded_so_far(invoice_id))


async def _gateway_plan(
    gateways: dict[str, PaymentGateway], invoice_id: int, amount: int
) -> list[tuple[dict[str, Any], PaymentGateway, int]]:
    """Which completed payments give `amount` back through their gateways (oldest first)."""
    rows = await (
        Payment.select()
        .where(
            (Payment.invoice == invoice_id)
            & (Payment.status.is_in([PaymentStatus.COMPLETED, PaymentStatus.PARTLY_REFUNDED]))
        )
        .order_by(Payment.id)
    )
    plan, left = [], amount
    for row in rows:
        gw = gateways.get(row["gateway"])
        room = int(row["amount"]) - int(row["refunded"])
        if left <= 0 or gw is None or not gw.supports_refunds or room <= 0:
            continue
        part = min(room, left)
        plan.append((dict(row), gw, part))
        left -= part
    if left > 0:
        raise ValidationFailed(
            {"to": "The payments of this invoice cannot give that much back through their gateway: refund to credit."}
        )
    return plan


async def _claim(row: dict[str, Any], part: int, undo: bool = False) -> bool:
    """Compare-and-set `Payment.refunded`, so two refunds of one payment cannot both pass."""
    before = int(row["refunded"]) + (part if undo else 0)
    after = before - part if undo else before + part
    status = (
        PaymentStatus.COMPLETED
        if after == 0
        else (PaymentStatus.REFUNDED if after >= int(row["amount"]) else PaymentStatus.PARTLY_REFUNDED)
    )
    async with db.write_transaction():
        done = (
            await Payment.update({Payment.refunded: after, Payment.status: status})
            .where((Payment.id == row["id"]) & (Payment.refunded == before))
            .returning(Payment.id)
        )
    return bool(done)


async def _refund_at_gateways(plan: list[tuple[dict[str, Any], PaymentGateway, int]], currency: str) -> None:
    claimed: list[tuple[dict[str, Any], int]] = []
    for row, _gw, part in plan:
        if not await _claim(row, part):
            for done_row, done_part in claimed:
                await _claim(done_row, done_part, undo=True)
            raise RefundConflict("Another refund of this payment is under way: reload the page and check.")
        claimed.append((row, part))
    refunded: list[int] = []
    for row, gw, part in plan:
        try:
            await gw.refund(str(row["reference"]), part, currency)
        except GatewayError:
            if refunded:
                log.error("gateway refused refunding payment %s after payments %s were refunded", row["id"], refunded)
            for undo_row, undo_part in claimed:
                if undo_row["id"] not in refunded:
                    await _claim(undo_row, undo_part, undo=True)
            raise
        refunded.append(row["id"])


async def refund(
    state: Any,
    invoice_id: int,
    amount: int,
    to: str,
    reason: str,
    *,
    by: AuditContext,
    lines: Sequence[LineDraft] | None = None,
) -> int:
    """Refund part or all of a paid invoice to account credit or through its gateway; returns the credit note's id.

    `lines`, when given, are the credit note's lines (the items refunded, totalling
    `amount` with tax); otherwise the whole invoice's lines, or one "partial refund"
    line. Audited. `amount` is at most what was paid and not yet refunded (422 otherwise);
    nothing is written when it is refused.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationFailed({"reason": "Say why the invoice is refunded; the credit note shows it."})
    if to not in (TO_CREDIT, TO_GATEWAY):
        raise ValidationFailed({"to": "Refund to account credit or through the payment's gateway."})
    if amount <= 0:
        raise ValidationFailed({"amount": "Enter an amount above zero."})
    inv = await Invoice.select().where(Invoice.id == invoice_id).output(load_json=True).first()
    if inv is None or inv["kind"] != InvoiceKind.INVOICE:
        raise NotFound("No such invoice.")
    if inv["status"] != InvoiceStatus.PAID:
        raise NotPayable("Only a paid invoice can be refunded.")
    left = await refundable(invoice_id)
    if amount > left:
        raise ValidationFailed({"amount": f"At most {format_money(left, inv['currency'])} can still be refunded."})
    if to == TO_GATEWAY:
        await _refund_at_gateways(await _gateway_plan(state.payment_gateways, invoice_id, amount), inv["currency"])
    async with db.write_transaction():
        locked = await locked_invoice(invoice_id)
        already = await refunded_so_far(invoice_id)
        if amount > int(locked["amount_paid"]) - already:
            raise ValidationFailed({"amount": "Another refund was recorded meanwhile: reload the page."})
        note_id = await issue_invoice(
            store_id=inv["store"],
            account_id=inv["account"],
            currency=inv["currency"],
            lines=list(lines) if lines else await _credit_lines(inv, amount),
            billing=inv["billing"] or {},
            notes=f"Refund of invoice {inv['number']}: {reason}",
            reverse_charge=inv["reverse_charge"],
            kind=InvoiceKind.CREDIT_NOTE,
            original_id=invoice_id,
        )
        now = datetime.now(UTC)
        await Invoice.update(
            {Invoice.status: InvoiceStatus.PAID, Invoice.amount_paid: amount, Invoice.paid_at: now}
        ).where(Invoice.id == note_id)
        if to == TO_CREDIT:
            note = f"Refund of invoice {inv['number']}"
            await credit.add(inv["account"], inv["currency"], amount, CreditKind.REFUND, note, by["actor"], note_id)
        if already + amount >= int(locked["amount_paid"]):
            await Invoice.update({Invoice.status: InvoiceStatus.REFUNDED}).where(
                (Invoice.id == invoice_id) & (Invoice.status == InvoiceStatus.PAID)
            )
        where = "account credit" if to == TO_CREDIT else "the payment's gateway"
        await record(
            "invoice.refund",
            account_id=inv["account"],
            target=f"invoice:{invoice_id}",
            summary=f"Refunded {format_money(amount, inv['currency'])} of invoice {inv['number']} to {where}: {reason}",
            details={"amount": amount, "to": to, "credit_note": note_id, "reason": reason},
            **by,
        )
    return note_id


async def _credit_lines(inv: dict[str, Any], amount: int) -> list[LineDraft]:
    if amount == int(inv["total"]):
        rows = await InvoiceLine.select().where(InvoiceLine.invoice == inv["id"]).order_by(InvoiceLine.sort)
        return [draft_of(r) for r in rows]
    return [LineDraft(f"Partial refund of invoice {inv['number']} (tax included)", unit_amount=amount)]


async def cancel(invoice_id: int, reason: str, *, by: AuditContext) -> None:
    """Staff cancel an unpaid invoice nothing was paid on yet; audited. An order's invoice goes with its order."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed({"reason": "Say why the invoice is cancelled."})
    async with db.write_transaction():
        inv = await locked_invoice(invoice_id)
        if inv["status"] != InvoiceStatus.UNPAID or inv["kind"] != InvoiceKind.INVOICE:
            raise NotPayable("Only an unpaid invoice can be cancelled.")
        if int(inv["amount_paid"]) > 0:
            raise NotPayable("Part of this invoice is paid: refund the payments instead of cancelling it.")
        if inv["order_id"] and await Order.exists().where(
            (Order.id == inv["order_id"]) & (Order.status == OrderStatus.PENDING)
        ):
            raise NotPayable("This invoice belongs to a pending order: cancel the order, which cancels its invoice.")
        await Invoice.update({Invoice.status: InvoiceStatus.CANCELLED}).where(
            (Invoice.id == invoice_id) & (Invoice.status == InvoiceStatus.UNPAID)
        )
        await record(
            "invoice.cancel",
            account_id=int(inv["account"]),
            target=f"invoice:{invoice_id}",
            summary=f"Cancelled invoice {inv['number']}: {reason}",
            details={"reason": reason},
            **by,
        )
