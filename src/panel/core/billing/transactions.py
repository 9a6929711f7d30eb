"""An account's transactions: payments, refunds (credit notes) and credit movements in one list.

One query per page, whatever the account holds: the three sources are joined with
UNION ALL, sorted newest first, cut to the page, and counted in the same scan (a
window count). Each source is read through its account index.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from panel.core.billing.credit import KIND_LABELS
from panel.core.billing.gateways import label_of
from panel.core.billing.paging import PAGE_SIZE, Page, clamp
from panel.core.billing.tables import InvoiceKind, InvoiceStatus, Payment, PaymentStatus
from panel.money import format_money

PAYMENT = "payment"
REFUND = "refund"
CREDIT = "credit"

KIND_NAMES = {PAYMENT: "Payment", REFUND: "Refund", CREDIT: "Credit"}

PAYMENT_STATUS_LABELS = {
    PaymentStatus.PENDING: "pending",
    PaymentStatus.COMPLETED: "completed",
    PaymentStatus.FAILED: "failed",
    PaymentStatus.REFUNDED: "refunded",
    PaymentStatus.PARTLY_REFUNDED: "partly refunded",
}

# S608: a fixed text; every value is a bound {} parameter.
_PAGE = f"""
SELECT t.*, COUNT(*) OVER () AS total_rows FROM (
  SELECT '{PAYMENT}' AS kind, p.id AS id, p.created_at AS at, p.currency AS currency, p.amount AS amount,
         p.status AS status, p.gateway AS detail, p.invoice AS invoice_id, i.number AS invoice_number,
         p.note AS note, p.refunded AS extra
  FROM panel_billing_payment p JOIN panel_billing_invoice i ON i.id = p.invoice
  WHERE p.account = {{}}
  UNION ALL
  SELECT '{REFUND}', n.id, COALESCE(n.issued_at, n.created_at), n.currency, n.total,
         n.status, n.number, n.original, o.number, n.notes, 0
  FROM panel_billing_invoice n LEFT JOIN panel_billing_invoice o ON o.id = n.original
  WHERE n.account = {{}} AND n.kind = '{InvoiceKind.CREDIT_NOTE}' AND n.status <> '{InvoiceStatus.DRAFT}'
  UNION ALL
  SELECT '{CREDIT}', e.id, e.created_at, e.currency, e.amount,
         e.kind, e.kind, e.invoice_id, c.number, e.note, e.balance_after
  FROM panel_billing_credit_entry e LEFT JOIN panel_billing_invoice c ON c.id = e.invoice_id
  WHERE e.account = {{}}
) t
ORDER BY t.at DESC, t.kind, t.id DESC
LIMIT {{}} OFFSET {{}}
"""  # noqa: S608


@dataclass(frozen=True)
class Transaction:
    """One line of the transactions page: a payment, a refund (credit note) or a credit movement."""

    kind: str
    kind_name: str
    id: int
    at: datetime
    currency: str
    amount: int
    amount_text: str
    description: str
    status: str
    invoice_id: int | None
    invoice_number: str
    balance_text: str = ""

    @property
    def key(self) -> str:
        """Unique in the list (ids of different kinds may repeat)."""
        return f"{self.kind}-{self.id}"


def _as_datetime(value: Any) -> datetime:
    # SQLite hands raw queries' timestamps back as text
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _transaction(r: Mapping[str, Any], gateways: Mapping[str, Any]) -> Transaction:
    kind, currency, amount = str(r["kind"]), str(r["currency"]), int(r["amount"])
    number = r["invoice_number"] or ""
    balance = ""
    if kind == PAYMENT:
        via = label_of(gateways, str(r["detail"]))
        description = f"Payment of invoice {number} ({via})"
        status = PAYMENT_STATUS_LABELS.get(str(r["status"]), str(r["status"]))
        if int(r["extra"] or 0):
            status += f", {format_money(int(r['extra']), currency)} refunded"
    elif kind == REFUND:
        description = f"Refund of invoice {number}, credit note {r['detail']}"
        status = "refunded"
    else:
        label = KIND_LABELS.get(str(r["status"]), str(r["status"]))
        description = f"{label}: {r['note']}" if r["note"] else label
        status = "added" if amount > 0 else "used"
        balance = format_money(int(r["extra"]), currency)
    return Transaction(
        kind=kind,
        kind_name=KIND_NAMES.get(kind, kind),
        id=int(r["id"]),
        at=_as_datetime(r["at"]),
        currency=currency,
        amount=amount,
        amount_text=format_money(amount, currency),
        description=description,
        status=status,
        invoice_id=r["invoice_id"],
        invoice_number=number,
        balance_text=balance,
    )


async def list_transactions(
    account_id: int, gateways: Mapping[str, Any], limit: int = PAGE_SIZE, offset: int = 0
) -> Page[Transaction]:
    """The account's payments, refunds and credit movements, newest first: one query for the page and its count.

    A page past the end has no row to carry the count: it is counted then by a
    second query (only in that case).
    """
    limit, offset = clamp(limit, offset)
    rows = await Payment.raw(_PAGE, account_id, account_id, account_id, limit, offset)
    if rows:
        total = int(rows[0]["total_rows"])
    elif offset == 0:
        total = 0
    else:
        counted = await Payment.raw(_PAGE, account_id, account_id, account_id, 1, 0)
        total = int(counted[0]["total_rows"]) if counted else 0
    return Page([_transaction(r, gateways) for r in rows], total, limit, offset)
