"""Renewal invoices: issued ahead of the due date, one per service and period, applied when paid.

The daily task (`issue_due_renewals`) walks services due within `renew_days_before`
days in batches of ids, so memory stays flat whatever the number of services. A
service is due when it is active or suspended, recurring, has no open cancellation
request, and has no `Renewal` row for its current due date. Services of one account
due on the same day share one invoice. The `Renewal` rows are written in the
invoice's transaction and are unique per (service, period_start): a task that runs
twice, or dies and runs again, finds them and invoices nothing twice.

When a renewal invoice is paid (`apply_paid`, run as a job), each of its renewals
moves the service's due date one cycle on, calls the product type's `renew`, and
lifts an overdue suspension.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from panel.core import db
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.billing.invoicing import LineDraft, issue_numbered_invoice, next_numbers, totals
from panel.core.billing.tables import Invoice, InvoiceKind, InvoiceStatus
from panel.core.catalog.tables import Cycle
from panel.core.lifecycle.config import LifecycleConfig
from panel.core.lifecycle.tables import CancellationRequest, CancelStatus, Renewal, RenewalStatus
from panel.core.orders.placing import buyer_of, buyers_of
from panel.core.orders.taxes import BuyerPlace, tax_for
from panel.core.orders.totals import TaxChoice
from panel.core.services.events import fire
from panel.core.services.lifecycle import (
    ServiceRefused,
    add_months,
    context_for,
    load_state,
    unsuspend_service,
)
from panel.core.services.tables import Service, ServiceStatus
from panel.core.stores.tables import Store
from panel.errors import NotFound, PanelError, ValidationFailed
from panel.money import format_money

log = logging.getLogger("panel.lifecycle")

BATCH = 500
PER_COMMIT = 50
"""Invoices written per transaction by the daily task: one commit for many, a short hold on SQLite's write lock."""
RENEWABLE = (ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED)
OVERDUE = "overdue"
"""How `Service.suspend_reason` starts when the lifecycle suspended it for an unpaid renewal."""

Progress = Callable[[int, str], Awaitable[None]]


@dataclass(frozen=True)
class Due:
    """A service to renew for the period starting at `period_start`."""

    id: int
    account_id: int
    store_id: int
    currency: str
    label: str
    cycle: str
    amount: int
    product_type: str
    period_start: date

    @property
    def months(self) -> int:
        """Length of one period in months."""
        return Cycle.MONTHS.get(self.cycle, 0)

    @property
    def period_end(self) -> date:
        """The service's next due date once this period is paid."""
        return add_months(self.period_start, self.months)


@dataclass
class RenewalRun:
    """What a run of the renewal task did."""

    invoices: list[int] = field(default_factory=list)
    services: int = 0
    skipped: int = 0


_CANDIDATES = """
SELECT s.id, s.account, s.store, s.currency, s.label, s.cycle, s.recurring_amount, s.product_type, s.next_due_date
FROM panel_service s
WHERE s.status IN ('active', 'suspended')
  AND s.next_due_date IS NOT NULL AND s.next_due_date <= {}
  AND s.id > {}
  AND NOT EXISTS (
    SELECT 1 FROM panel_lifecycle_renewal r WHERE r.service = s.id AND r.period_start = s.next_due_date)
  AND NOT EXISTS (
    SELECT 1 FROM panel_lifecycle_cancellation c WHERE c.service = s.id AND c.status = 'open')
ORDER BY s.id
LIMIT {}
"""


def as_date(value: Any) -> date:
    """A date column's value as a `date` (SQLite may hand back text or a datetime)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


async def due_batch(until: date, after_id: int, limit: int = BATCH) -> list[Due]:
    """The next `limit` services (by id, after `after_id`) due for renewal by `until`."""
    rows = await Service.raw(_CANDIDATES, until, after_id, limit)
    return [
        Due(
            id=int(r["id"]),
            account_id=int(r["account"]),
            store_id=int(r["store"]),
            currency=str(r["currency"]),
            label=str(r["label"]),
            cycle=str(r["cycle"]),
            amount=int(r["recurring_amount"]),
            product_type=str(r["product_type"]),
            period_start=as_date(r["next_due_date"]),
        )
        for r in rows
        if Cycle.MONTHS.get(str(r["cycle"]), 0) > 0
    ]


def _line(due: Due, tax: TaxChoice) -> LineDraft:
    last_day = due.period_end - timedelta(days=1)
    return LineDraft(
        description=f"{due.label}: renewal {due.period_start.isoformat()} to {last_day.isoformat()}"[:255],
        unit_amount=due.amount,
        tax_name="" if tax.reverse_charge else tax.name,
        tax_bp=0 if tax.reverse_charge else tax.rate_bp,
        product_type=due.product_type,
        service_id=due.id,
    )


@dataclass(frozen=True)
class Written:
    """An invoice just issued for a group, with what its email needs."""

    id: int
    number: str
    total: int
    email: str


TaxCache = dict[tuple[int, str, str, str], TaxChoice]


async def _tax(store_id: int, place: BuyerPlace, cache: TaxCache | None) -> TaxChoice:
    """The buyer's tax in the store; remembered for the run (tax rules do not change meanwhile)."""
    key = (store_id, place.country, place.region, place.vat_id)
    if cache is not None and key in cache:
        return cache[key]
    tax = await tax_for(store_id, place)
    if cache is not None:
        cache[key] = tax
    return tax


Buyer = tuple[BuyerPlace, dict[str, str]]


async def _write_invoice(
    group: Sequence[Due],
    notes: str,
    taxes: TaxCache | None = None,
    number: tuple[int, str] | None = None,
    buyer: Buyer | None = None,
) -> Written:
    """Issue one invoice for `group` (one account, store and currency) with its renewal rows; in a transaction."""
    first = group[0]
    place, snapshot = buyer or await buyer_of(first.account_id)
    tax = await _tax(first.store_id, place, taxes)
    lines = [_line(due, tax) for due in group]
    invoice_id, number_text = await issue_numbered_invoice(
        store_id=first.store_id,
        account_id=first.account_id,
        currency=first.currency,
        lines=lines,
        billing=snapshot,
        due_date=min(due.period_start for due in group),
        notes=notes,
        reverse_charge=tax.reverse_charge,
        number=number,
    )
    await Renewal.insert(
        *[
            Renewal(
                service=due.id,
                invoice=invoice_id,
                period_start=due.period_start,
                period_end=due.period_end,
                months=due.months,
                amount=due.amount,
            )
            for due in group
        ]
    )
    return Written(invoice_id, number_text, totals(lines)[3], snapshot.get("email", ""))


async def _announce(invoice: Written, group: Sequence[Due]) -> None:
    """Queue the "your renewal invoice" email (in the caller's transaction)."""
    from panel.core.mail import services as mail

    if not invoice.email:
        return
    from panel.core.contacts.sync import services as contact_sync

    to = list(dict.fromkeys([invoice.email, *await contact_sync.recipients(group[0].account_id, "billing")]))
    due = min(d.period_start for d in group)
    await mail.send(
        "renewal_invoice",
        to,
        {
            "number": invoice.number,
            "total": format_money(invoice.total, group[0].currency),
            "due_date": due.isoformat(),
            "services": [d.label for d in group],
            "invoice_id": invoice.id,
        },
        account_id=group[0].account_id,
    )


async def _write_group(
    group: list[Due], taxes: TaxCache | None, number: tuple[int, str] | None = None, buyer: Buyer | None = None
) -> int:
    written = await _write_invoice(group, "Renewal", taxes, number, buyer)
    await _announce(written, group)
    await record(
        "invoice.renewal",
        account_id=group[0].account_id,
        target=f"invoice:{written.id}",
        summary=f"Renewal invoice for {', '.join(d.label for d in group)}"[:500],
        details={"services": [d.id for d in group]},
        **SYSTEM,
    )
    return written.id


async def _issue_groups(
    groups: list[list[Due]], taxes: TaxCache | None = None, buyers: Mapping[int, Buyer] | None = None
) -> list[int | None]:
    """Invoice several groups in one transaction (one commit for many invoices).

    If any is refused by the unique (service, period_start) index (another run
    invoiced it meanwhile), everything rolls back and each group is tried in its own
    transaction: the refused ones are skipped (None), never doubled.
    """
    try:
        async with db.write_transaction():
            numbers = await _numbers_for(groups)
            buyers = buyers or {}
            return [
                await _write_group(group, taxes, numbers[i], buyers.get(group[0].account_id))
                for i, group in enumerate(groups)
            ]
    except Exception as exc:
        if not is_conflict(exc) or len(groups) == 1:
            if is_conflict(exc):
                log.info("renewal of services %s was invoiced by another run", [d.id for d in groups[0]])
                return [None]
            raise
    return [(await _issue_groups([group], taxes, buyers))[0] for group in groups]


async def _numbers_for(groups: list[list[Due]]) -> list[tuple[int, str]]:
    """One invoice number per group, taken per store in one UPDATE each (in the caller's transaction)."""
    by_store: dict[int, list[int]] = {}
    for i, group in enumerate(groups):
        by_store.setdefault(group[0].store_id, []).append(i)
    numbers: list[tuple[int, str]] = [(0, "")] * len(groups)
    for store_id, indexes in by_store.items():
        for i, taken in zip(indexes, await next_numbers(store_id, InvoiceKind.INVOICE, len(indexes)), strict=True):
            numbers[i] = taken
    return numbers


def is_conflict(exc: Exception) -> bool:
    """Whether a write failed on a unique index (another run wrote the same row first)."""
    text = f"{type(exc).__name__} {exc}".lower()
    return "unique" in text or "duplicate" in text


async def issue_due_renewals(
    today: date,
    config: LifecycleConfig,
    *,
    batch: int = BATCH,
    progress: Progress | None = None,
    after_issue: Callable[[int, int], Awaitable[None]] | None = None,
) -> RenewalRun:
    """Issue the renewal invoices of every service due by `today + renew_days_before` (the daily task).

    `after_issue(invoice_id, store_id)`, if given, runs after each invoice committed
    (automatic payment from credit). Safe to run twice: the second run finds the
    renewal rows of the first and issues nothing.
    """
    until = today + timedelta(days=config.renew_days_before)
    run = RenewalRun()
    taxes: TaxCache = {}
    after_id = 0
    while True:
        found = await due_batch(until, after_id, batch)
        if not found:
            break
        after_id = found[-1].id
        groups: dict[tuple[int, int, str, date], list[Due]] = {}
        for due in found:
            groups.setdefault((due.account_id, due.store_id, due.currency, due.period_start), []).append(due)
        chunks = list(groups.values())
        buyers = await buyers_of(sorted({due.account_id for due in found}))
        for start in range(0, len(chunks), PER_COMMIT):
            chunk = chunks[start : start + PER_COMMIT]
            for group, invoice_id in zip(chunk, await _issue_groups(chunk, taxes, buyers), strict=True):
                if invoice_id is None:
                    run.skipped += len(group)
                    continue
                run.invoices.append(invoice_id)
                run.services += len(group)
                if after_issue is not None:
                    await after_issue(invoice_id, group[0].store_id)
        if progress is not None:
            await progress(50, f"{run.services} service(s) invoiced so far")
    return run


async def auto_renew_stores() -> set[int]:
    """Stores whose policy pays renewal invoices automatically from the account's credit."""
    return {int(r["id"]) for r in await Store.select(Store.id).where(Store.auto_renew.eq(True))}


# -- the client renews several services at once --------------------------------------------


async def renew_now(account_id: int, service_ids: Sequence[int], *, by: AuditContext = SYSTEM) -> int:
    """One invoice renewing each chosen service of the account for its next period; returns its id.

    Refused (422, naming the service) for a service that is not the account's, not
    active or suspended, not recurring, about to be cancelled, or already invoiced
    for that period (pay that invoice instead).
    """
    ids = sorted({int(i) for i in service_ids})
    if not ids:
        raise ValidationFailed({"services": "Choose at least one service to renew."})
    rows = await Service.select().where(Service.id.is_in(ids) & (Service.account == account_id))
    if len(rows) != len(ids):
        raise NotFound("No such service in this account.")
    group: list[Due] = []
    for r in rows:
        months = Cycle.MONTHS.get(str(r["cycle"]), 0)
        if r["status"] not in RENEWABLE or not months or r["next_due_date"] is None:
            raise ValidationFailed({"services": f"{r['label']} cannot be renewed ({r['status']}, {r['cycle']})."})
        start = as_date(r["next_due_date"])
        open_renewal = (
            await Renewal.select(Renewal.invoice.number.as_alias("number"))
            .where((Renewal.service == r["id"]) & (Renewal.period_start == start))
            .first()
        )
        if open_renewal is not None:
            raise ValidationFailed(
                {
                    "services": f"{r['label']} is already invoiced for {start.isoformat()}: "
                    f"pay invoice {open_renewal['number']}."
                }
            )
        if await CancellationRequest.exists().where(
            (CancellationRequest.service == r["id"]) & (CancellationRequest.status == CancelStatus.OPEN)
        ):
            raise ValidationFailed({"services": f"{r['label']} is being cancelled; withdraw the request to renew it."})
        group.append(
            Due(
                r["id"],
                account_id,
                r["store"],
                r["currency"],
                r["label"],
                r["cycle"],
                int(r["recurring_amount"]),
                r["product_type"],
                start,
            )
        )
    if len({(d.store_id, d.currency) for d in group}) > 1:
        raise ValidationFailed(
            {"services": "These services are billed in different currencies: renew them separately."}
        )
    try:
        async with db.write_transaction():
            invoice_id = (await _write_invoice(group, "Renewal requested by the client")).id
            await record(
                "invoice.renewal",
                account_id=account_id,
                target=f"invoice:{invoice_id}",
                summary=f"Renewal invoice for {', '.join(d.label for d in group)}"[:500],
                details={"services": ids},
                **by,
            )
    except Exception as exc:
        if is_conflict(exc):
            raise ValidationFailed(
                {"services": "One of these services was invoiced meanwhile: reload the page."}
            ) from None
        raise
    return invoice_id


# -- a paid renewal ----------------------------------------------------------------------------


async def has_renewals(invoice_id: int) -> bool:
    """Whether the invoice renews services (so paying it must be applied)."""
    return bool(await Renewal.exists().where(Renewal.invoice == invoice_id))


async def apply_paid(state: Any, invoice_id: int) -> list[int]:
    """Apply a paid renewal invoice: move due dates on, call `renew`, lift overdue suspensions.

    `state` has `product_types` and `settings` (app state or runtime). Each renewal
    is claimed with a conditional UPDATE, so running this twice applies it once.
    Returns the services renewed now.
    """
    inv = await Invoice.select(Invoice.status).where(Invoice.id == invoice_id).first()
    if inv is None or inv["status"] != InvoiceStatus.PAID:
        return []
    renewed: list[int] = []
    rows = await Renewal.select().where((Renewal.invoice == invoice_id) & (Renewal.status == RenewalStatus.OPEN))
    for row in rows:
        if await _claim(row):
            renewed.append(int(row["service"]))
            await _after_renewal(state, row)
    return renewed


async def _claim(row: Mapping[str, Any]) -> bool:
    async with db.write_transaction():
        won = (
            await Renewal.update({Renewal.status: RenewalStatus.PAID, Renewal.paid_at: datetime.now(UTC)})
            .where((Renewal.id == row["id"]) & (Renewal.status == RenewalStatus.OPEN))
            .returning(Renewal.id)
        )
        if not won:
            return False
        await Service.update({Service.next_due_date: row["period_end"]}).where(
            (Service.id == row["service"]) & (Service.next_due_date == row["period_start"])
        )
        state = await load_state(int(row["service"]))
        if state is not None:
            await record(
                "service.renew",
                account_id=state.account_id,
                target=f"service:{state.id}",
                summary=f"Renewed {state.label} until {as_date(row['period_end']).isoformat()}.",
                details={"period_start": str(row["period_start"]), "period_end": str(row["period_end"])},
                **SYSTEM,
            )
    return True


async def _after_renewal(state: Any, row: Mapping[str, Any]) -> None:
    service_id = int(row["service"])
    service = await load_state(service_id)
    if service is None:
        return
    product_type = state.product_types.get(service.product_type)
    if product_type is not None:
        try:
            result = await product_type.renew(context_for(service, product_type, state.settings), int(row["months"]))
            if not result.ok:
                log.warning("product type refused to renew service %s: %s", service_id, result.message)
        except PanelError as exc:
            log.warning("renewing service %s at its product type failed: %s", service_id, exc.message)
    await fire("renewed", service_id, service.account_id, service.product_type)
    if service.status == ServiceStatus.SUSPENDED and await _overdue_suspension(service_id):
        if await still_overdue(service_id):
            return
        try:
            await unsuspend_service(state.product_types, service_id, settings=state.settings)
        except ServiceRefused as exc:
            log.warning("service %s was paid but could not be unsuspended: %s", service_id, exc.message)


async def _overdue_suspension(service_id: int) -> bool:
    row = await Service.select(Service.suspend_reason).where(Service.id == service_id).first()
    return bool(row and str(row["suspend_reason"]).startswith(OVERDUE))


async def still_overdue(service_id: int) -> bool:
    """Whether the service has another unpaid renewal invoice past its due date."""
    today = datetime.now(UTC).date()
    return bool(
        await Renewal.exists().where(
            (Renewal.service == service_id)
            & (Renewal.status == RenewalStatus.OPEN)
            & (Renewal.invoice.status == InvoiceStatus.UNPAID)
            & (Renewal.invoice.due_date < today)
        )
    )
