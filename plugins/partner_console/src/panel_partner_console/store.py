"""The partner store: change a customer's plan and pay for it, by reseller card or customer card.

A **reseller card** is one of the partner account's own stored cards marked as such
(`PaymentMethod.payer = reseller`); a **customer card** is one stored on the customer's
account. Payments say which (`Payment.payer`), on the invoice, in the customer's
transactions and in the partner's payments report. The partnership remembers the
card the partner chose for the customer (`PartnerLink.card`, "Change card"), and the
plan page offers it first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from panel.core import db
from panel.core.audit.services import AuditContext
from panel.core.billing import methods
from panel.core.billing.cards import pay_with_method
from panel.core.billing.methods import MethodView
from panel.core.billing.tables import Invoice, PayerKind, Payment, PaymentStatus
from panel.core.lifecycle.packages import Offer, options_for, queue_apply, request_change, withdraw
from panel.core.services.tables import Service
from panel.errors import NotFound, ValidationFailed
from panel.gateways import GatewayError, PaymentGateway
from panel.money import format_money
from panel.settings import Settings

from panel_partner_console.services import audit_both
from panel_partner_console.tables import LinkStatus, PartnerLink


@dataclass(frozen=True)
class CardChoice:
    """A card the partner may pay a customer's invoices with."""

    id: int
    label: str
    kind: str  # "reseller" or "customer"

    @property
    def title(self) -> str:
        """The card as the forms show it: `Reseller Card: Visa •••• 4242` or `Customer Card: ...`."""
        return ("Reseller Card" if self.kind == PayerKind.RESELLER else "Customer Card") + f": {self.label}"


async def card_choices(partner_id: int, child_id: int) -> list[CardChoice]:
    """The partner's reseller cards, then the customer's cards (two queries)."""
    own = [m for m in await methods.list_methods(partner_id) if m.payer == PayerKind.RESELLER]
    theirs = await methods.list_methods(child_id)
    return [CardChoice(m.id, m.label, PayerKind.RESELLER) for m in own] + [
        CardChoice(m.id, m.label, PayerKind.CUSTOMER) for m in theirs
    ]


async def chosen_card(partner_id: int, child_id: int) -> int | None:
    """The card the partner set for this customer ("Change card"), if it still exists."""
    row = (
        await PartnerLink.select(PartnerLink.card)
        .where(
            (PartnerLink.partner == partner_id)
            & (PartnerLink.child == child_id)
            & (PartnerLink.status == LinkStatus.ACTIVE)
        )
        .first()
    )
    if row is None or row["card"] is None:
        return None
    known = {c.id for c in await card_choices(partner_id, child_id)}
    return int(row["card"]) if int(row["card"]) in known else None


async def change_card(
    gateways: Mapping[str, PaymentGateway],
    partner_id: int,
    child_id: int,
    form: Mapping[str, Any],
    *,
    by: AuditContext,
) -> CardChoice:
    """Set the card the partner pays this customer with.

    `customer_card` = "yes": the card entered is the customer's, stored on the
    customer's account (a customer card). "no": it is the partner's, stored on the
    partner's account as a reseller card; or `method_id` picks one of the partner's
    reseller cards or the customer's cards already stored. Audited in both accounts.
    """
    answer = str(form.get("customer_card", ""))
    picked = str(form.get("method_id", ""))
    if picked.isdigit():
        choice = next((c for c in await card_choices(partner_id, child_id) if c.id == int(picked)), None)
        if choice is None:
            raise ValidationFailed({"method_id": "Choose one of the cards listed."})
    elif answer not in ("yes", "no"):
        raise ValidationFailed({"customer_card": "Say whether you are using the customer's card."})
    else:
        customer = answer == "yes"
        owner = child_id if customer else partner_id
        data = {k: v for k, v in form.items() if k not in ("_csrf_token", "customer_card", "method_id")}
        try:
            method_id = await methods.add_method(
                gateways, owner, str(form.get("gateway", "")), data, as_reseller=not customer, by=by
            )
        except GatewayError as exc:
            raise ValidationFailed({exc.field or "card_number": exc.message}) from None
        label = next(m.label for m in await methods.list_methods(owner) if m.id == method_id)
        choice = CardChoice(method_id, label, PayerKind.CUSTOMER if customer else PayerKind.RESELLER)
    async with db.write_transaction():
        updated = (
            await PartnerLink.update({PartnerLink.card: choice.id})
            .where(
                (PartnerLink.partner == partner_id)
                & (PartnerLink.child == child_id)
                & (PartnerLink.status == LinkStatus.ACTIVE)
            )
            .returning(PartnerLink.id)
        )
        if not updated:
            raise NotFound("No such customer.")
        await audit_both(
            "partner.card.change",
            (child_id, partner_id),
            f"payment_method:{choice.id}",
            f"The partner pays this customer's invoices with {choice.title}.",
            by,
        )
    return choice


@dataclass(frozen=True)
class PlanOffer:
    """One of the customer's services with what it can change to."""

    service_id: int
    label: str
    offer: Offer


async def plan_offers(child_id: int) -> list[PlanOffer]:
    """The customer's active services, each with its package options and prorated prices."""
    rows = (
        await Service.select(Service.id, Service.label)
        .where((Service.account == child_id) & (Service.status == "active"))
        .order_by(Service.id)
    )
    return [PlanOffer(int(r["id"]), r["label"], await options_for(child_id, int(r["id"]))) for r in rows]


@dataclass(frozen=True)
class PlanResult:
    """What applying a plan change did: paid (with which card) and applied, or queued."""

    invoice_id: int | None
    paid_with: str
    amount: str


async def apply_plan(
    state: Any,
    settings: Settings,
    partner_id: int,
    child_id: int,
    service_id: int,
    product_id: int,
    method_id: int | None,
    *,
    user_id: int,
    by: AuditContext,
) -> PlanResult:
    """Change a customer's package and pay the prorated difference with the chosen card.

    An upgrade's invoice is charged at once; a declined card withdraws the change and
    its invoice, so nothing is left half done. A downgrade or a change at the same
    price needs no payment and is applied by the lifecycle job.
    """
    choices = {c.id: c for c in await card_choices(partner_id, child_id)}
    change = await request_change(child_id, service_id, product_id, by=by, user_id=user_id)
    if change.invoice_id is None:
        await queue_apply(settings, change)
        return PlanResult(None, "", "")
    card = choices.get(method_id or 0)
    try:
        if card is None:
            raise ValidationFailed({"method_id": "Choose the card to pay the difference with."})
        done = await pay_with_method(
            state,
            change.invoice_id,
            child_id,
            card.id,
            reseller_account_id=partner_id if card.kind == PayerKind.RESELLER else None,
            by=by,
        )
    except (ValidationFailed, GatewayError):
        await withdraw(child_id, service_id, by=by)
        raise
    invoice = await Invoice.select(Invoice.currency).where(Invoice.id == change.invoice_id).first()
    currency = str(invoice["currency"]) if invoice else ""
    return PlanResult(change.invoice_id, card.title, format_money(done.applied, currency))


@dataclass(frozen=True)
class PaymentLine:
    """A payment for one of the partner's customers, as the report shows it."""

    at: datetime
    customer: str
    invoice_id: int
    amount: str
    card: str  # "Reseller Card" or "Customer Card" (or the gateway for other payments)
    label: str


async def payments_report(partner_id: int, limit: int = 100) -> list[PaymentLine]:
    """Payments on the invoices of accounts the partner manages or managed, newest first (two queries)."""
    links = await PartnerLink.select(PartnerLink.child).where(
        (PartnerLink.partner == partner_id)
        & PartnerLink.child.is_not_null()
        & PartnerLink.status.is_in([LinkStatus.ACTIVE, LinkStatus.REVOKED, LinkStatus.ENDED])
    )
    children = sorted({int(r["child"]) for r in links})
    if not children:
        return []
    rows = await (
        Payment.select(
            Payment.created_at,
            Payment.account.name,
            Payment.invoice,
            Payment.amount,
            Payment.currency,
            Payment.payer,
            Payment.payer_account,
            Payment.gateway,
            Payment.details,
        )
        .where(Payment.account.is_in(children) & (Payment.status == PaymentStatus.COMPLETED))
        .order_by(Payment.id, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )
    out = []
    for r in rows:
        kind = "Reseller Card" if r["payer"] == PayerKind.RESELLER else "Customer Card"
        details = r["details"] if isinstance(r["details"], dict) else {}
        out.append(
            PaymentLine(
                r["created_at"],
                r["account.name"],
                int(r["invoice"]),
                format_money(int(r["amount"]), str(r["currency"])),
                kind if details.get("method_label") else str(r["gateway"]),
                str(details.get("method_label", "")),
            )
        )
    return out


def method_labels(views: list[MethodView]) -> dict[int, str]:
    """Method id -> label (for showing the chosen card)."""
    return {m.id: m.label for m in views}
