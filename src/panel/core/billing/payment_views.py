"""Reading payments for pages and the API: who paid, and the staff's list of payments.

`who_paid` words each payment for people ("Paid by reseller card (Visa •••• 4242)");
the invoice page, the payments list and the API all use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from panel.core.billing.gateways import BANK_TRANSFER, CREDIT, label_of
from panel.core.billing.paging import PAGE_SIZE, Page, clamp
from panel.core.billing.tables import PayerKind, Payment
from panel.money import format_money


@dataclass(frozen=True)
class PaymentView:
    """A payment as the invoice page, the payments list and the API show it."""

    id: int
    invoice_id: int
    invoice_number: str
    account_id: int
    account_name: str
    gateway: str
    gateway_label: str
    status: str
    currency: str
    amount: int
    refunded: int
    reference: str
    payer: str
    who_paid: str
    created_at: datetime
    amount_text: str
    refunded_text: str


def who_paid(gateway: str, gateway_label: str, payer: str, reference: str, details: Mapping[str, Any]) -> str:
    """Who paid, for people: "Paid by reseller card (Visa •••• 4242)", "Paid from account credit" ..."""
    if gateway == CREDIT:
        return "Paid from account credit"
    if gateway == BANK_TRANSFER:
        received = details.get("received_on")
        return f"Bank transfer, reference {reference}" + (f", received {received}" if received else "")
    label = details.get("method_label") or details.get("card_label")
    whose = "reseller card" if payer == PayerKind.RESELLER else "customer card"
    return f"Paid by {whose} ({label})" if label else f"Paid by {whose} through {gateway_label}"


def payment_view(r: Mapping[str, Any], gateways: Mapping[str, Any]) -> PaymentView:
    """A payment row (selected with `PAYMENT_COLUMNS`, JSON loaded) as people see it."""
    currency = str(r["currency"])
    details = r["details"] if isinstance(r["details"], dict) else {}
    glabel = label_of(gateways, r["gateway"])
    return PaymentView(
        id=r["id"],
        invoice_id=r["invoice"],
        invoice_number=r.get("invoice.number") or "",
        account_id=r["account"],
        account_name=r.get("account.name") or "",
        gateway=r["gateway"],
        gateway_label=glabel,
        status=r["status"],
        currency=currency,
        amount=int(r["amount"]),
        refunded=int(r["refunded"]),
        reference=r["reference"],
        payer=r["payer"],
        who_paid=who_paid(r["gateway"], glabel, r["payer"], r["reference"], details),
        created_at=r["created_at"],
        amount_text=format_money(int(r["amount"]), currency),
        refunded_text=format_money(int(r["refunded"]), currency),
    )


PAYMENT_COLUMNS = (
    Payment.id,
    Payment.invoice,
    Payment.invoice.number,
    Payment.account,
    Payment.account.name,
    Payment.gateway,
    Payment.status,
    Payment.currency,
    Payment.amount,
    Payment.refunded,
    Payment.reference,
    Payment.payer,
    Payment.details,
    Payment.created_at,
)


@dataclass(frozen=True)
class PaymentFilters:
    """What the payments list is narrowed to."""

    account_id: int | None = None
    gateway: str = ""
    status: str = ""


async def list_payments(
    filters: PaymentFilters, gateways: Mapping[str, Any], limit: int = PAGE_SIZE, offset: int = 0
) -> Page[PaymentView]:
    """Payments newest first with invoice number and account name joined in (two queries)."""
    limit, offset = clamp(limit, offset)
    where: Any = Payment.id > 0
    if filters.account_id is not None:
        where &= Payment.account == filters.account_id
    if filters.gateway:
        where &= Payment.gateway == filters.gateway
    if filters.status:
        where &= Payment.status == filters.status
    total = int(await Payment.count().where(where))
    rows = await (
        Payment.select(*PAYMENT_COLUMNS)
        .where(where)
        .order_by(Payment.id, ascending=False)
        .limit(limit)
        .offset(offset)
        .output(load_json=True)
    )
    return Page([payment_view(r, gateways) for r in rows], total, limit, offset)
