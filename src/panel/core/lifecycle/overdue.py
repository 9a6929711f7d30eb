"""Reminders and overdue services: the daily tasks that chase unpaid invoices.

- `send_reminders`: for each unpaid invoice, the latest reminder step (days from its
  due date, e.g. -7, -1, 3, 7) that has come, if it came within the last few days and
  was not sent yet. The `ReminderSent` row, unique per (invoice, step), is written in
  the email's transaction: each step is sent once per invoice, however often the task
  runs; a task missed for a day or two catches up with the latest step only.
- `suspend_overdue`: an active service whose renewal invoice is unpaid
  `suspend_after_days` past its due date is suspended ("overdue"); paying the invoice
  lifts it (`renewals.apply_paid`).
- `terminate_overdue`: past `terminate_after_days` the service is terminated and the
  unpaid renewal invoice cancelled.

Each looks for what is still to do (a service already suspended is not suspended
again), so running a task twice, or after a crash, does nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from panel.core import db
from panel.core.audit.services import SYSTEM
from panel.core.billing.tables import Invoice, InvoiceKind, InvoiceStatus
from panel.core.lifecycle.config import LifecycleConfig
from panel.core.lifecycle.renewals import OVERDUE, as_date
from panel.core.lifecycle.tables import ReminderSent, Renewal, RenewalStatus
from panel.core.services.events import account_recipients
from panel.core.services.lifecycle import ServiceRefused, suspend_service, terminate_service
from panel.core.services.tables import ServiceStatus
from panel.errors import PanelError
from panel.money import format_money

log = logging.getLogger("panel.lifecycle")

CATCH_UP_DAYS = 3
"""A step that came more than this many days ago is not sent late (a later one will be)."""


@dataclass
class Outcome:
    """What a run did: the ids it acted on, and the ones it could not."""

    done: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


def latest_step(due: date, today: date, steps: tuple[int, ...]) -> int | None:
    """The last step that has come by `today` for an invoice due on `due`, if it came recently."""
    came = [s for s in steps if due + timedelta(days=s) <= today]
    if not came:
        return None
    step = max(came)
    return step if due + timedelta(days=step) >= today - timedelta(days=CATCH_UP_DAYS) else None


async def send_reminders(today: date, config: LifecycleConfig) -> Outcome:
    """Send the reminder step due today for each unpaid invoice; each (invoice, step) once."""
    out = Outcome()
    steps = config.reminder_days
    if not steps:
        return out
    earliest = today - timedelta(days=max(steps) + CATCH_UP_DAYS)
    latest = today - timedelta(days=min(steps))
    rows = await Invoice.select(
        Invoice.id,
        Invoice.account,
        Invoice.number,
        Invoice.total,
        Invoice.amount_paid,
        Invoice.currency,
        Invoice.due_date,
    ).where(
        (Invoice.kind == InvoiceKind.INVOICE)
        & (Invoice.status == InvoiceStatus.UNPAID)
        & (Invoice.due_date >= earliest)
        & (Invoice.due_date <= latest)
    )
    for inv in rows:
        step = latest_step(as_date(inv["due_date"]), today, steps)
        if step is not None and await _remind(inv, step):
            out.done.append(int(inv["id"]))
    return out


async def _remind(inv: dict[str, Any], step: int) -> bool:
    from panel.core.mail import services as mail

    to = await account_recipients(int(inv["account"]), "billing")
    if not to:
        return False
    async with db.write_transaction():
        won = await (
            ReminderSent.insert(ReminderSent(invoice=inv["id"], step=step))
            .on_conflict(action="DO NOTHING")
            .returning(ReminderSent.id)
        )
        if not won:
            return False
        email_id = await mail.send(
            "invoice_reminder",
            to,
            {
                "number": inv["number"],
                "due": format_money(int(inv["total"]) - int(inv["amount_paid"]), str(inv["currency"])),
                "due_date": as_date(inv["due_date"]).isoformat(),
                "days": step,
                "invoice_id": inv["id"],
            },
            account_id=int(inv["account"]),
        )
        await ReminderSent.update({ReminderSent.email_id: email_id}).where(ReminderSent.id == won[0]["id"])
    return True


async def _overdue_services(before: date, statuses: tuple[str, ...]) -> list[dict[str, Any]]:
    """Services in `statuses` with an open renewal whose unpaid invoice was due before `before`."""
    rows = await Renewal.select(Renewal.service, Renewal.invoice, Renewal.invoice.number.as_alias("number")).where(
        (Renewal.status == RenewalStatus.OPEN)
        & (Renewal.invoice.status == InvoiceStatus.UNPAID)
        & (Renewal.invoice.due_date < before)
        & Renewal.service.status.is_in(list(statuses))
    )
    return list(rows)


async def suspend_overdue(state: Any, today: date, config: LifecycleConfig) -> Outcome:
    """Suspend active services whose renewal is unpaid more than `suspend_after_days` past due."""
    out = Outcome()
    before = today - timedelta(days=config.suspend_after_days - 1)
    for row in await _overdue_services(before, (ServiceStatus.ACTIVE,)):
        service_id = int(row["service"])
        try:
            await suspend_service(
                state.product_types,
                service_id,
                f"{OVERDUE}: invoice {row['number']} is unpaid",
                settings=state.settings,
            )
            out.done.append(service_id)
        except (ServiceRefused, PanelError) as exc:
            out.failed.append((service_id, exc.message))
            log.warning("could not suspend overdue service %s: %s", service_id, exc.message)
    return out


async def terminate_overdue(state: Any, today: date, config: LifecycleConfig) -> Outcome:
    """Terminate services whose renewal is unpaid more than `terminate_after_days` past due; cancel that invoice."""
    out = Outcome()
    before = today - timedelta(days=config.terminate_after_days - 1)
    for row in await _overdue_services(before, (ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED)):
        service_id = int(row["service"])
        try:
            await terminate_service(state.product_types, service_id, settings=state.settings)
        except (ServiceRefused, PanelError) as exc:
            out.failed.append((service_id, exc.message))
            log.warning("could not terminate overdue service %s: %s", service_id, exc.message)
            continue
        await cancel_renewals(service_id, f"Service terminated: invoice {row['number']} unpaid")
        out.done.append(service_id)
    return out


async def cancel_renewals(service_id: int, reason: str) -> list[int]:
    """Cancel the service's open renewals, and their unpaid invoices when they renew nothing else.

    Returns the invoices cancelled. Used when a service ends (terminated, cancelled).
    """
    from panel.core.audit.services import record

    cancelled: list[int] = []
    async with db.write_transaction():
        rows = await Renewal.select(Renewal.id, Renewal.invoice).where(
            (Renewal.service == service_id) & (Renewal.status == RenewalStatus.OPEN)
        )
        for row in rows:
            await Renewal.update({Renewal.status: RenewalStatus.CANCELLED}).where(Renewal.id == row["id"])
            others = await Renewal.exists().where((Renewal.invoice == row["invoice"]) & (Renewal.service != service_id))
            if others:
                continue
            won = (
                await Invoice.update({Invoice.status: InvoiceStatus.CANCELLED})
                .where(
                    (Invoice.id == row["invoice"])
                    & (Invoice.status == InvoiceStatus.UNPAID)
                    & (Invoice.amount_paid == 0)
                )
                .returning(Invoice.account, Invoice.number)
            )
            if won:
                cancelled.append(int(row["invoice"]))
                await record(
                    "invoice.cancel",
                    account_id=int(won[0]["account"]),
                    target=f"invoice:{row['invoice']}",
                    summary=f"Cancelled invoice {won[0]['number']}: {reason}"[:500],
                    details={"reason": reason},
                    **SYSTEM,
                )
    return cancelled
