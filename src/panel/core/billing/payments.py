"""Applying payments to invoices: the one place money is recorded against an invoice.

`apply_payment` runs inside the caller's write transaction and is the only code that
raises `Invoice.amount_paid`. It

1. locks the invoice row (PostgreSQL `FOR UPDATE`; SQLite's write transaction
   already has the database to itself), so payments of one invoice queue up;
2. looks for a payment with the same idempotency key or the same gateway reference:
   found, the call is a duplicate (a retried webhook, a form sent twice) and changes
   nothing; the insert itself is also `ON CONFLICT DO NOTHING` on both keys;
3. records the `Payment`, raises `amount_paid`, and when nothing is left to pay sets
   the invoice `paid` with a conditional UPDATE (`WHERE status = 'unpaid'`), marks its
   order paid, and adds the credit of an "Add funds" invoice;
4. for credit and bank transfers refuses an amount over the balance (422); for money
   a card gateway already took (`surplus_to_credit`) the part over the balance, or
   all of it when the invoice was paid meanwhile, becomes account credit.

The caller calls `settlement.after_paid` after its transaction committed when the
result says `settled`: exactly one call settles an invoice.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from panel.core import db
from panel.core.audit.services import AuditContext, record
from panel.core.billing import credit, settlement
from panel.core.billing.gateways import BANK_TRANSFER, CREDIT
from panel.core.billing.invoicing import ACCOUNT_CREDIT_TYPE
from panel.core.billing.tables import (
    CreditKind,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    PayerKind,
    Payment,
    PaymentStatus,
)
from panel.errors import NotFound, PanelError, ValidationFailed
from panel.money import format_money

INVOICE_COLUMNS = (
    Invoice.id,
    Invoice.account,
    Invoice.store,
    Invoice.kind,
    Invoice.number,
    Invoice.status,
    Invoice.currency,
    Invoice.total,
    Invoice.amount_paid,
    Invoice.order_id,
)


class NotPayable(PanelError):
    """The invoice cannot take this payment (already paid, cancelled, a draft, a credit note)."""

    status_code = 409


class AlreadyRecorded(PanelError):
    """Staff tried to record a payment (a bank reference) that is recorded already."""

    status_code = 409


@dataclass(frozen=True)
class PaymentIn:
    """A payment to record. `currency` "" means the invoice's own."""

    invoice_id: int
    gateway: str
    amount: int
    idempotency_key: str
    currency: str = ""
    reference: str = ""
    status: str = PaymentStatus.COMPLETED
    surplus_to_credit: bool = False
    payer: str = PayerKind.CUSTOMER
    payer_account_id: int | None = None
    payment_method_id: int | None = None
    recorded_by: int | None = None
    note: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Applied:
    """What `apply_payment` did: `settled` is True for the one call that made the invoice paid."""

    payment_id: int
    invoice_id: int
    applied: int = 0
    surplus: int = 0
    settled: bool = False
    duplicate: bool = False


def new_key() -> str:
    """A fresh idempotency key for one payment form (a page view)."""
    return secrets.token_urlsafe(18)


async def locked_invoice(invoice_id: int, account_id: int | None = None) -> dict[str, Any]:
    """The invoice row, locked until the transaction ends; `NotFound` if absent or of another account."""
    where: Any = Invoice.id == invoice_id
    if account_id is not None:
        where &= Invoice.account == account_id
    query = Invoice.select(*INVOICE_COLUMNS).where(where)
    if not db.is_sqlite():
        query = query.lock_rows()
    row = await query.first()
    if row is None:
        raise NotFound("No such invoice.")
    return dict(row)


def not_payable_message(status: str) -> str:
    """Why an invoice in `status` takes no payment."""
    return {
        InvoiceStatus.PAID: "This invoice is already paid.",
        InvoiceStatus.CANCELLED: "This invoice was cancelled.",
        InvoiceStatus.REFUNDED: "This invoice was refunded.",
        InvoiceStatus.DRAFT: "This invoice is a draft: it cannot be paid until it is issued.",
    }.get(status, "This invoice cannot be paid.")


async def _existing(p: PaymentIn) -> dict[str, Any] | None:
    where: Any = Payment.idempotency_key == p.idempotency_key
    if p.reference:
        where |= (Payment.gateway == p.gateway) & (Payment.reference == p.reference)
    row = await Payment.select(Payment.id, Payment.status).where(where).first()
    return dict(row) if row else None


async def apply_payment(p: PaymentIn) -> Applied:
    """Record a payment and apply it to its invoice, in the caller's write transaction (see the module)."""
    if p.amount <= 0:
        raise ValidationFailed({"amount": "Enter an amount above zero."})
    if not p.idempotency_key or len(p.idempotency_key) > 120:
        raise ValueError("a payment needs an idempotency key of at most 120 characters")
    inv = await locked_invoice(p.invoice_id)
    currency = str(inv["currency"])
    if inv["kind"] != InvoiceKind.INVOICE:
        raise NotPayable("A credit note is not paid.")
    if p.currency and p.currency != currency:
        raise ValidationFailed({"currency": f"This invoice is in {currency}, not {p.currency}."})
    existing = await _existing(p)
    promote = existing is not None and existing["status"] == PaymentStatus.PENDING and p.status != PaymentStatus.PENDING
    if existing is not None and not promote:
        return Applied(int(existing["id"]), p.invoice_id, duplicate=True)
    due = int(inv["total"]) - int(inv["amount_paid"])
    if inv["status"] != InvoiceStatus.UNPAID:
        if not p.surplus_to_credit:
            raise NotPayable(not_payable_message(str(inv["status"])))
        due = 0
    elif p.amount > due and not p.surplus_to_credit:
        raise ValidationFailed({"amount": f"The balance due is {format_money(due, currency)}: pay at most that."})
    completed = p.status == PaymentStatus.COMPLETED
    applied = min(p.amount, due) if completed else 0
    surplus = p.amount - applied if completed else 0
    details = {**p.details, "applied": applied, "surplus": surplus}
    if existing is not None:
        payment_id = int(existing["id"])
        promoted = (
            await Payment.update({Payment.status: p.status, Payment.amount: p.amount, Payment.details: details})
            .where((Payment.id == payment_id) & (Payment.status == PaymentStatus.PENDING))
            .returning(Payment.id)
        )
        if not promoted:
            return Applied(payment_id, p.invoice_id, duplicate=True)
    else:
        inserted = await (
            Payment.insert(
                Payment(
                    invoice=p.invoice_id,
                    account=inv["account"],
                    gateway=p.gateway,
                    reference=p.reference[:255],
                    idempotency_key=p.idempotency_key,
                    status=p.status,
                    currency=currency,
                    amount=p.amount,
                    payer=p.payer,
                    payer_account=p.payer_account_id,
                    payment_method=p.payment_method_id,
                    recorded_by=p.recorded_by,
                    note=p.note[:255],
                    details=details,
                )
            )
            .on_conflict(action="DO NOTHING")
            .returning(Payment.id)
        )
        if not inserted:  # a concurrent twin committed first
            twin = await _existing(p)
            return Applied(int(twin["id"]) if twin else 0, p.invoice_id, duplicate=True)
        payment_id = int(inserted[0]["id"])
    settled = False
    if applied:
        await Invoice.update({Invoice.amount_paid: Invoice.amount_paid + applied}).where(Invoice.id == p.invoice_id)
        if int(inv["amount_paid"]) + applied >= int(inv["total"]):
            settled = await settlement.mark_paid(inv)
    if surplus:
        note = f"Payment for invoice {inv['number']} beyond its balance"
        await credit.add(
            int(inv["account"]),
            currency,
            surplus,
            CreditKind.OVERPAYMENT,
            note,
            p.recorded_by,
            p.invoice_id,
            payment_id,
        )
    return Applied(payment_id, p.invoice_id, applied, surplus, settled, False)


async def is_add_funds(invoice_id: int) -> bool:
    """Whether the invoice buys account credit (such an invoice is never paid from credit)."""
    return bool(
        await InvoiceLine.exists().where(
            (InvoiceLine.invoice == invoice_id) & (InvoiceLine.product_type == ACCOUNT_CREDIT_TYPE)
        )
    )


async def pay_from_credit(
    state: Any, invoice_id: int, account_id: int, amount: int | None, key: str, *, by: AuditContext
) -> Applied:
    """Pay the account's invoice (whole or part) from its credit; `amount` None pays min(balance due, credit).

    `key` identifies the form (one per page view): sending it twice pays once.
    """
    if not key or len(key) > 64:
        raise ValidationFailed({"key": "The form expired: reload the page and try again."})
    async with db.write_transaction():
        inv = await locked_invoice(invoice_id, account_id)
        if inv["status"] == InvoiceStatus.DRAFT:
            raise NotFound("No such invoice.")  # clients never see staff drafts
        if inv["status"] != InvoiceStatus.UNPAID:
            raise NotPayable(not_payable_message(str(inv["status"])))
        if await is_add_funds(invoice_id):
            raise ValidationFailed({"amount": "Credit cannot buy credit: pay this invoice by bank transfer or card."})
        currency = str(inv["currency"])
        have = await credit.balance(account_id, currency)
        due = int(inv["total"]) - int(inv["amount_paid"])
        if amount is None:
            amount = min(due, have)
            if amount <= 0:
                raise ValidationFailed({"amount": f"The account has no credit in {currency}."})
        if amount > have:
            raise ValidationFailed({"amount": f"Not enough credit: the account has {format_money(have, currency)}."})
        done = await apply_payment(
            PaymentIn(
                invoice_id=invoice_id,
                gateway=CREDIT,
                amount=amount,
                idempotency_key=f"credit:{invoice_id}:{key}",
                payer_account_id=account_id,
                recorded_by=by["actor"],
                note="Paid from account credit",
            )
        )
        if not done.duplicate:
            note = f"Payment of invoice {inv['number']}"
            await credit.spend(
                account_id, currency, amount, CreditKind.PAYMENT, note, by["actor"], invoice_id, done.payment_id
            )
            await record(
                "invoice.pay",
                account_id=account_id,
                target=f"invoice:{invoice_id}",
                summary=f"Paid {format_money(amount, currency)} of invoice {inv['number']} from account credit.",
                details={"gateway": CREDIT, "amount": amount, "payment": done.payment_id},
                **by,
            )
    if done.settled:
        await settlement.after_paid(state, invoice_id)
    return done


async def record_bank_transfer(
    state: Any,
    invoice_id: int,
    amount: int,
    reference: str,
    received_on: date | None,
    *,
    by: AuditContext,
) -> Applied:
    """Staff record money that arrived by bank transfer (partial payments allowed); audited.

    The bank's reference is unique: recording it twice is refused with 409.
    """
    reference = reference.strip()
    if not reference:
        raise ValidationFailed({"reference": "Enter the bank's reference of the transfer."})
    if len(reference) > 200:
        raise ValidationFailed({"reference": "The reference is too long (200 characters at most)."})
    received = received_on or datetime.now(UTC).date()
    async with db.write_transaction():
        done = await apply_payment(
            PaymentIn(
                invoice_id=invoice_id,
                gateway=BANK_TRANSFER,
                amount=amount,
                idempotency_key=f"{BANK_TRANSFER}:{reference}",
                reference=reference,
                recorded_by=by["actor"],
                note=f"Bank transfer received {received.isoformat()}",
                details={"received_on": received.isoformat()},
            )
        )
        if done.duplicate:
            raise AlreadyRecorded(f"A bank transfer with reference {reference} is already recorded.", field="reference")
        inv = await Invoice.select(Invoice.account, Invoice.number, Invoice.currency).where(Invoice.id == invoice_id)
        await record(
            "payment.bank_transfer",
            account_id=int(inv[0]["account"]),
            target=f"invoice:{invoice_id}",
            summary=(
                f"Recorded a bank transfer of {format_money(amount, inv[0]['currency'])} "
                f"for invoice {inv[0]['number']} (reference {reference})."
            ),
            details={"amount": amount, "reference": reference, "received_on": received.isoformat()},
            **by,
        )
    if done.settled:
        await settlement.after_paid(state, invoice_id)
    return done
