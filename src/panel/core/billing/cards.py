"""Paying through a card gateway: stored methods, hosted pages and webhooks.

No double charge, by design:

- before charging, the invoice must still be unpaid (a second tab opened earlier
  gets "already paid" and nothing is charged);
- the charge's idempotency key is made of the invoice, the stored method and the
  invoice's paid/due amounts at that moment, so two tabs racing each other send the
  same key, the gateway charges once and answers both with one reference, and
  `apply_payment` records that reference once;
- a webhook is applied once per gateway reference, however often it arrives;
- money a gateway took for an invoice that was paid meanwhile becomes account
  credit (kind `overpayment`): it is never lost and never refunded by mistake.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from panel.core import db
from panel.core.audit.services import AuditContext, record
from panel.core.billing import methods, settlement
from panel.core.billing.gateways import get
from panel.core.billing.payments import Applied, NotPayable, PaymentIn, apply_payment, not_payable_message
from panel.core.billing.tables import Invoice, InvoiceKind, InvoiceStatus, PayerKind, Payment, PaymentStatus
from panel.errors import NotFound, PanelError, ValidationFailed
from panel.gateways import ChargeRequest, GatewayError, PaymentGateway
from panel.money import format_money

log = logging.getLogger("panel.billing")


class WebhookRefused(PanelError):
    """A webhook that failed verification (bad signature): answered 400, nothing recorded."""

    status_code = 400


async def _payable(invoice_id: int, account_id: int) -> dict[str, Any]:
    row = (
        await Invoice.select(
            Invoice.id,
            Invoice.store,
            Invoice.number,
            Invoice.status,
            Invoice.kind,
            Invoice.currency,
            Invoice.total,
            Invoice.amount_paid,
        )
        .where((Invoice.id == invoice_id) & (Invoice.account == account_id))
        .first()
    )
    if row is None or row["kind"] != InvoiceKind.INVOICE or row["status"] == InvoiceStatus.DRAFT:
        raise NotFound("No such invoice.")
    if row["status"] != InvoiceStatus.UNPAID:
        raise NotPayable(not_payable_message(str(row["status"])))
    return dict(row)


def _charge(
    inv: Mapping[str, Any], account_id: int, key: str, return_url: str = "", cancel_url: str = ""
) -> ChargeRequest:
    due = int(inv["total"]) - int(inv["amount_paid"])
    return ChargeRequest(
        invoice_id=int(inv["id"]),
        invoice_number=str(inv["number"]),
        account_id=account_id,
        amount=due,
        currency=str(inv["currency"]),
        idempotency_key=key,
        description=f"Invoice {inv['number']}",
        return_url=return_url,
        cancel_url=cancel_url,
    )


def _enabled(gw: PaymentGateway, inv: Mapping[str, Any]) -> None:
    if not gw.enabled_for(int(inv["store"]), str(inv["currency"])):
        raise ValidationFailed({"gateway": f"{gw.label} is not offered for this invoice."})


async def pay_with_method(
    state: Any,
    invoice_id: int,
    account_id: int,
    method_id: int,
    *,
    reseller_account_id: int | None,
    by: AuditContext,
) -> Applied:
    """Charge the invoice's balance to a stored method and record it (see the module for the rules).

    `reseller_account_id`: the reseller whose reseller cards the current user may
    use, or None. A charge the gateway leaves pending is recorded as pending and
    applied when its webhook confirms it.
    """
    inv = await _payable(invoice_id, account_id)
    method = await methods.method_for_payment(method_id, account_id, reseller_account_id)
    gw = get(state.payment_gateways, str(method["gateway"]))
    if not gw.supports_tokens:
        raise ValidationFailed({"payment_method_id": f"{gw.label} cannot charge stored methods."})
    _enabled(gw, inv)
    key = f"{gw.name}:inv{invoice_id}:m{method_id}:{inv['amount_paid']}:{int(inv['total']) - int(inv['amount_paid'])}"
    result = await gw.charge_token(_charge(inv, account_id, key), str(method["token"]))
    if result.status == PaymentStatus.FAILED:
        raise GatewayError(result.message or "The payment was declined.")
    payer = PayerKind.CUSTOMER if method["account"] == account_id else PayerKind.RESELLER
    async with db.write_transaction():
        done = await apply_payment(
            PaymentIn(
                invoice_id=invoice_id,
                gateway=gw.name,
                amount=result.amount,
                idempotency_key=key,
                reference=result.reference,
                status=PaymentStatus.PENDING if result.status == PaymentStatus.PENDING else PaymentStatus.COMPLETED,
                surplus_to_credit=True,
                payer=payer,
                payer_account_id=int(method["account"]),
                payment_method_id=method_id,
                recorded_by=by["actor"],
                details={**result.details, "method_label": method["label"]},
            )
        )
        if not done.duplicate:
            await record(
                "invoice.pay",
                account_id=account_id,
                target=f"invoice:{invoice_id}",
                summary=(
                    f"Paid {format_money(result.amount, str(inv['currency']))} of invoice {inv['number']} "
                    f"with {method['label']} ({payer} card)."
                ),
                details={"gateway": gw.name, "reference": result.reference, "payment": done.payment_id},
                **by,
            )
    if done.settled:
        await settlement.after_paid(state, invoice_id)
    return done


async def start_redirect(
    state: Any, invoice_id: int, account_id: int, gateway: str, return_url: str, cancel_url: str
) -> str:
    """The URL of the gateway's hosted page for the invoice's balance; the payment arrives by webhook."""
    inv = await _payable(invoice_id, account_id)
    gw = get(state.payment_gateways, gateway)
    if not (gw.supports_redirect and gw.client_selectable):
        raise ValidationFailed({"gateway": f"{gw.label} has no payment page to go to."})
    _enabled(gw, inv)
    key = f"{gw.name}:inv{invoice_id}:redirect:{inv['amount_paid']}:{int(inv['total']) - int(inv['amount_paid'])}"
    redirect = await gw.start_redirect(_charge(inv, account_id, key, return_url, cancel_url))
    return redirect.url


async def handle_webhook(state: Any, gateway: str, headers: Mapping[str, str], body: bytes) -> str:
    """Verify and apply a gateway's webhook; returns "recorded", "duplicate" or "ignored".

    A bad signature raises `WebhookRefused` (400) and records nothing.
    """
    gw = get(state.payment_gateways, gateway)
    if not gw.supports_webhooks:
        raise NotFound(f"{gw.label} does not send webhooks.")
    try:
        event = await gw.parse_webhook(headers, body)
    except GatewayError as exc:
        raise WebhookRefused(exc.message) from exc
    if event is None:
        return "ignored"
    if event.kind == "payment.failed":
        await Payment.update({Payment.status: PaymentStatus.FAILED}).where(
            (Payment.gateway == gw.name)
            & (Payment.reference == event.reference)
            & (Payment.status == PaymentStatus.PENDING)
        )
        return "recorded"
    if event.kind != "payment.completed":
        return "ignored"
    if not await Invoice.exists().where(Invoice.id == event.invoice_id):
        log.warning("%s webhook %s names unknown invoice %s", gw.name, event.reference, event.invoice_id)
        return "ignored"
    async with db.write_transaction():
        done = await apply_payment(
            PaymentIn(
                invoice_id=event.invoice_id,
                gateway=gw.name,
                amount=event.amount,
                currency=event.currency,
                idempotency_key=f"{gw.name}:ref:{event.reference}"[:120],
                reference=event.reference,
                surplus_to_credit=True,
                details=dict(event.details),
                note="Confirmed by the gateway",
            )
        )
    if done.settled:
        await settlement.after_paid(state, event.invoice_id)
    return "duplicate" if done.duplicate else "recorded"
