"""Upgrades and downgrades: move a service to another product of its group, prorated for the rest of the period.

The period a service is in runs from one cycle before its next due date up to it;
what is left of it, in whole days from today (UTC), is charged or credited at the
difference of the two prices: `round((new - old) * days left / days in period)`,
tax on top at the buyer's rate, as renewals charge it.

- **More** to pay: an invoice ("upgrade A to B, prorated to <date>"). Paying it
  queues the `lifecycle.package_change` job (see `plugin.panel_on_invoice_paid`).
- **Less**: the change is applied at once by that job, and the difference goes to
  account credit with a credit note naming the change, as billing's refunds do.
- **Nothing**: applied at once by the job.

Applying (`package_apply.apply_change`, run by that job) calls the product type's
`change_package` first and changes the service only when the type agreed, in one
transaction with the claim of the change, so the job can run twice, or die and run
again, and the change is made once. A type that refuses leaves the change `failed`
with its message, and what the client paid for it goes back to credit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from panel.core import db
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.billing import refunds
from panel.core.billing.invoicing import LineDraft, issue_invoice
from panel.core.billing.tables import Invoice, InvoiceStatus
from panel.core.catalog.pricing import store_quotes
from panel.core.catalog.tables import Cycle, Product, ProductKind
from panel.core.lifecycle.renewals import as_date, is_conflict
from panel.core.lifecycle.tables import CancellationRequest, CancelStatus, ChangeStatus, PackageChange
from panel.core.orders.placing import buyer_of
from panel.core.orders.taxes import tax_for
from panel.core.orders.totals import TaxChoice
from panel.core.services.lifecycle import add_months, utc_today
from panel.core.services.tables import Service, ServiceStatus
from panel.errors import NotFound, ValidationFailed
from panel.money import format_money, percent_of, prorate
from panel.settings import Settings

log = logging.getLogger("panel.lifecycle")

APPLY_JOB = "lifecycle.package_change"


@dataclass(frozen=True)
class Proration:
    """The part of the service's period left: `days_left` of `period_days`, up to `period_end` (its due date)."""

    period_end: date
    days_left: int
    period_days: int

    @property
    def last_day(self) -> date:
        """The last day the prorated charge covers (the day before the due date)."""
        return self.period_end - timedelta(days=1)

    def of(self, difference: int) -> int:
        """`difference` per period, for the days left; rounded half away from zero."""
        return prorate(difference, self.days_left, self.period_days)


def proration(cycle: str, next_due_date: date, today: date) -> Proration:
    """What is left of the period [next due date - one cycle, next due date) on `today`.

    When a renewal was paid early the due date is more than one period away and the
    days left exceed the period's: the client paid the old price for all of them.
    """
    start = add_months(next_due_date, -Cycle.MONTHS[cycle])
    return Proration(next_due_date, max(0, (next_due_date - today).days), max(1, (next_due_date - start).days))


@dataclass(frozen=True)
class Option:
    """A product the service can change to, with its price and what changing now costs (negative: credited)."""

    product_id: int
    name: str
    description: str
    currency: str
    price: int  # per cycle, from now on
    amount: int  # prorated, before tax
    tax: int

    @property
    def total(self) -> int:
        """What the client pays now (negative: gets as credit), tax included."""
        return self.amount + self.tax

    @property
    def direction(self) -> str:
        """Upgrade when it costs more, downgrade when less, change at the same price."""
        return "upgrade" if self.amount > 0 else ("downgrade" if self.amount < 0 else "change")

    @property
    def price_text(self) -> str:
        """The new price for people."""
        return format_money(self.price, self.currency)

    @property
    def total_text(self) -> str:
        """What changing now means, for people: "12.34 to pay", "5.00 back as credit", "nothing to pay"."""
        if self.total > 0:
            return f"{format_money(self.total, self.currency)} to pay now"
        if self.total < 0:
            return f"{format_money(-self.total, self.currency)} back as account credit"
        return "nothing to pay now"


@dataclass(frozen=True)
class ChangeView:
    """A package change as the pages and the API show it."""

    id: int
    service_id: int
    account_id: int
    from_product: int
    to_product: int
    to_name: str
    old_amount: int
    new_amount: int
    prorated_amount: int
    invoice_id: int | None
    credit_note_id: int | None
    status: str
    error: str
    created_at: datetime
    applied_at: datetime | None


@dataclass(frozen=True)
class Offer:
    """What the change page shows: the service, its options, and why there are none."""

    service: dict[str, Any]
    options: list[Option]
    proration: Proration | None
    why_not: str
    open_change: ChangeView | None
    last_change: ChangeView | None


def _view(r: dict[str, Any]) -> ChangeView:
    return ChangeView(
        id=int(r["id"]),
        service_id=int(r["service"]),
        account_id=int(r["account"]),
        from_product=int(r["from_product"]),
        to_product=int(r["to_product"]),
        to_name=str(r.get("to_name") or ""),
        old_amount=int(r["old_amount"]),
        new_amount=int(r["new_amount"]),
        prorated_amount=int(r["prorated_amount"]),
        invoice_id=r["invoice_id"],
        credit_note_id=r["credit_note_id"],
        status=str(r["status"]),
        error=str(r["error"] or ""),
        created_at=r["created_at"],
        applied_at=r["applied_at"],
    )


async def get_change(change_id: int) -> ChangeView | None:
    """One change by id, or None."""
    row = await PackageChange.select().where(PackageChange.id == change_id).first()
    return await _named(row) if row else None


async def _named(row: dict[str, Any]) -> ChangeView:
    name = await Product.select(Product.name).where(Product.id == row["to_product"]).first()
    return _view({**row, "to_name": name["name"] if name else ""})


async def _latest(service_id: int, status: str | None = None) -> ChangeView | None:
    where: Any = PackageChange.service == service_id
    if status is not None:
        where = where & (PackageChange.status == status)
    row = await PackageChange.select().where(where).order_by(PackageChange.id, ascending=False).first()
    return await _named(row) if row else None


async def _service(account_id: int, service_id: int) -> dict[str, Any]:
    row = (
        await Service.select(
            *Service.all_columns(),
            Service.product.name.as_alias("product_name"),
            Service.product.group.as_alias("product_group"),
        )
        .where((Service.id == service_id) & (Service.account == account_id))
        .first()
    )
    if row is None:
        raise NotFound("No such service in this account.")
    return dict(row)


async def _forget_cancelled_invoices(service_id: int) -> None:
    """An open upgrade whose invoice staff cancelled is over: it no longer blocks another change."""
    rows = await PackageChange.select(PackageChange.id, PackageChange.invoice_id).where(
        (PackageChange.service == service_id)
        & (PackageChange.status == ChangeStatus.OPEN)
        & PackageChange.invoice_id.is_not_null()
    )
    for r in rows:
        if await Invoice.exists().where((Invoice.id == r["invoice_id"]) & (Invoice.status == InvoiceStatus.CANCELLED)):
            await PackageChange.update({PackageChange.status: ChangeStatus.CANCELLED}).where(
                (PackageChange.id == r["id"]) & (PackageChange.status == ChangeStatus.OPEN)
            )


async def _why_not(service: dict[str, Any], open_change: ChangeView | None) -> str:
    if service["status"] != ServiceStatus.ACTIVE:
        return f"Only an active service can change package; this one is {service['status']}."
    if not Cycle.MONTHS.get(str(service["cycle"]), 0) or service["next_due_date"] is None:
        return "Only a service billed every period can change package."
    if open_change is not None:
        if open_change.invoice_id is not None:
            number = await Invoice.select(Invoice.number).where(Invoice.id == open_change.invoice_id).first()
            return (
                f"The change to {open_change.to_name} is waiting for payment of invoice "
                f"{number['number'] if number else open_change.invoice_id}: pay it, or withdraw the change."
            )
        return f"The change to {open_change.to_name} is being made."
    if await CancellationRequest.exists().where(
        (CancellationRequest.service == service["id"]) & (CancellationRequest.status == CancelStatus.OPEN)
    ):
        return "This service is being cancelled; withdraw the cancellation to change its package."
    return ""


def _tax_of(amount: int, tax: TaxChoice) -> int:
    bp = 0 if tax.reverse_charge else tax.rate_bp
    return percent_of(amount, bp) if amount >= 0 else -percent_of(-amount, bp)


async def _options(service: dict[str, Any], prorated: Proration, tax: TaxChoice) -> list[Option]:
    if service["product_group"] is None:
        return []
    candidates = {
        int(r["id"]): r
        for r in await Product.select(Product.id, Product.name, Product.description).where(
            (Product.group == service["product_group"])
            & (Product.product_type == service["product_type"])
            & (Product.kind == ProductKind.PRODUCT)
            & (Product.is_active.eq(True))
            & (Product.id != service["product"])
        )
    }
    quoted = await store_quotes(int(service["store"]), candidates)
    old = int(service["recurring_amount"])
    out: list[Option] = []
    for product_id, offered in quoted.items():
        for q in offered:
            if q.cycle != service["cycle"] or q.currency != service["currency"]:
                continue
            amount = prorated.of(q.amount - old)
            row = candidates[product_id]
            out.append(
                Option(product_id, row["name"], row["description"], q.currency, q.amount, amount, _tax_of(amount, tax))
            )
    return sorted(out, key=lambda o: (o.price, o.name))


async def options_for(account_id: int, service_id: int, today: date | None = None) -> Offer:
    """The products this service can change to now, each with its price and prorated cost; `NotFound` if not ours.

    Same product type and group, sold in the service's store in its cycle and
    currency, other than the current one. None (with `why_not`) for a service that is
    not active and recurring, is being cancelled, or has a change under way.
    """
    today = today or utc_today()
    service = await _service(account_id, service_id)
    await _forget_cancelled_invoices(service_id)
    open_change = await _latest(service_id, ChangeStatus.OPEN)
    last = await _latest(service_id)
    why_not = await _why_not(service, open_change)
    if why_not:
        return Offer(service, [], None, why_not, open_change, last)
    prorated = proration(str(service["cycle"]), as_date(service["next_due_date"]), today)
    place, _ = await buyer_of(account_id)
    tax = await tax_for(int(service["store"]), place)
    options = await _options(service, prorated, tax)
    return Offer(
        service, options, prorated, "" if options else "No other package is on offer for this service.", None, last
    )


async def request_change(
    account_id: int,
    service_id: int,
    product_id: int,
    *,
    by: AuditContext = SYSTEM,
    user_id: int | None = None,
    today: date | None = None,
) -> ChangeView:
    """Record a change of the service to `product_id`, with its invoice when it costs more; returns it.

    `NotFound` for another account's service; `ValidationFailed` (on `product_id`)
    for a product not on offer, a service that cannot change, or a change already
    under way. An upgrade is applied when its invoice is paid; anything else must be
    applied now: call `queue_apply` once this returned (the routes do).
    """
    today = today or utc_today()
    offer = await options_for(account_id, service_id, today)
    if offer.why_not and not offer.options:
        raise ValidationFailed({"product_id": offer.why_not})
    option = next((o for o in offer.options if o.product_id == product_id), None)
    if option is None or offer.proration is None:
        names = ", ".join(o.name for o in offer.options)
        raise ValidationFailed({"product_id": f"That package is not on offer for this service; choose {names}."})
    service, prorated = offer.service, offer.proration
    try:
        async with db.write_transaction():
            row = await PackageChange.insert(
                PackageChange(
                    service=service_id,
                    account=account_id,
                    from_product=int(service["product"]),
                    to_product=product_id,
                    old_amount=int(service["recurring_amount"]),
                    new_amount=option.price,
                    prorated_amount=option.amount,
                    period_end=prorated.period_end,
                    requested_by=user_id,
                )
            ).returning(PackageChange.id)
            change_id = int(row[0]["id"])
            invoice_id = await _invoice(service, option, prorated) if option.amount > 0 else None
            if invoice_id is not None:
                await PackageChange.update({PackageChange.invoice_id: invoice_id}).where(PackageChange.id == change_id)
            await record(
                "service.package_change_request",
                account_id=account_id,
                target=f"service:{service_id}",
                summary=f"Asked to change {service['label']} from {service['product_name']} to {option.name} "
                f"({option.total_text}).",
                details={
                    "change": change_id,
                    "to_product": product_id,
                    "prorated": option.amount,
                    "invoice": invoice_id,
                },
                **by,
            )
    except Exception as exc:
        if is_conflict(exc):
            raise ValidationFailed({"product_id": "A change of this service is already under way."}) from None
        raise
    found = await get_change(change_id)
    assert found is not None
    return found


def describe(service: dict[str, Any], option_name: str, amount: int, last_day: date) -> str:
    """The invoice or credit-note line of a change: "site: upgrade Small to Large, prorated to 2026-12-21"."""
    verb = "upgrade" if amount > 0 else "downgrade"
    return f"{service['label']}: {verb} {service['product_name']} to {option_name}, prorated to {last_day.isoformat()}"


async def _invoice(service: dict[str, Any], option: Option, prorated: Proration) -> int:
    place, snapshot = await buyer_of(int(service["account"]))
    tax = await tax_for(int(service["store"]), place)
    return await issue_invoice(
        store_id=int(service["store"]),
        account_id=int(service["account"]),
        currency=str(service["currency"]),
        lines=[
            LineDraft(
                description=describe(service, option.name, option.amount, prorated.last_day)[:255],
                unit_amount=option.amount,
                tax_name="" if tax.reverse_charge else tax.name,
                tax_bp=0 if tax.reverse_charge else tax.rate_bp,
                product_type=str(service["product_type"]),
                service_id=int(service["id"]),
            )
        ],
        billing=snapshot,
        notes="Package change",
        reverse_charge=tax.reverse_charge,
    )


async def queue_apply(settings: Settings, change: ChangeView) -> None:
    """Queue the job applying a change that waits for nothing (no invoice, or its invoice paid); keyed, so once."""
    from panel.core.jobs.services import enqueue

    if change.status != ChangeStatus.OPEN:
        return
    if change.invoice_id is not None and not await Invoice.exists().where(
        (Invoice.id == change.invoice_id) & (Invoice.status == InvoiceStatus.PAID)
    ):
        return
    await enqueue(settings, APPLY_JOB, {"change_id": change.id}, key=f"package-change:{change.id}")


async def change_of_invoice(invoice_id: int) -> int | None:
    """The open change an invoice pays for, if any."""
    row = (
        await PackageChange.select(PackageChange.id)
        .where((PackageChange.invoice_id == invoice_id) & (PackageChange.status == ChangeStatus.OPEN))
        .first()
    )
    return int(row["id"]) if row else None


async def withdraw(account_id: int, service_id: int, *, by: AuditContext = SYSTEM) -> None:
    """The client drops an upgrade not paid yet: the change is cancelled with its invoice."""
    async with db.write_transaction():
        won = (
            await PackageChange.update({PackageChange.status: ChangeStatus.CANCELLED})
            .where(
                (PackageChange.service == service_id)
                & (PackageChange.account == account_id)
                & (PackageChange.status == ChangeStatus.OPEN)
                & PackageChange.invoice_id.is_not_null()
            )
            .returning(PackageChange.id, PackageChange.invoice_id)
        )
        if not won:
            raise NotFound("This service has no change waiting for payment.")
        await refunds.cancel(int(won[0]["invoice_id"]), "The client withdrew the package change.", by=by)
