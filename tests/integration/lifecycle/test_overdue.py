"""Reminders once per step, overdue suspension and termination, and a payment that lifts the suspension."""

from __future__ import annotations

from datetime import date, timedelta

from panel.core.audit.tables import AuditEvent
from panel.core.billing.tables import Invoice, InvoiceStatus
from panel.core.lifecycle.overdue import latest_step
from panel.core.lifecycle.tables import ReminderSent, Renewal, RenewalStatus
from panel.core.services.tables import ServiceStatus

from .helpers import active_service, again, client_with_store, day, service

STEPS = (-7, -1, 3, 7)


def test_the_latest_step_that_came_recently_is_the_one_sent():
    due = date(2027, 1, 10)
    assert latest_step(due, date(2027, 1, 2), STEPS) is None  # eight days before: nothing yet
    assert latest_step(due, date(2027, 1, 3), STEPS) == -7
    assert latest_step(due, date(2027, 1, 9), STEPS) == -1
    assert latest_step(due, date(2027, 1, 14), STEPS) == 3
    # the task did not run for a week: only the latest step is sent, not the missed ones
    assert latest_step(due, date(2027, 1, 18), STEPS) == 7
    assert latest_step(due, date(2027, 2, 20), STEPS) is None  # long past: nothing late


async def test_every_reminder_step_is_sent_once_while_the_invoice_stays_unpaid(client, smtp):
    app = client.app
    c = await client_with_store(app)
    sid = await active_service(app, c)
    due = (await service(sid))["next_due_date"]
    for offset in range(-14, 9):
        await day(app, due + timedelta(days=offset))
        await again(app, due + timedelta(days=offset), ("lifecycle.reminders",))
    steps = sorted(r["step"] for r in await ReminderSent.select(ReminderSent.step))
    assert steps == [-7, -1, 3, 7]
    await smtp.wait_for(1 + 1 + 4)  # welcome, renewal invoice, four reminders
    overdue = [str(m["Subject"]) for m in smtp.messages if str(m["Subject"]).startswith("Overdue")]
    assert len(overdue) == 2


async def test_unpaid_past_the_second_grace_the_service_is_terminated_and_the_invoice_cancelled(client):
    app = client.app
    c = await client_with_store(app)
    sid = await active_service(app, c)
    due = (await service(sid))["next_due_date"]
    await day(app, due - timedelta(days=14))
    await day(app, due + timedelta(days=5))
    assert (await service(sid))["status"] == ServiceStatus.SUSPENDED
    await day(app, due + timedelta(days=29))
    assert (await service(sid))["status"] == ServiceStatus.SUSPENDED
    await day(app, due + timedelta(days=30))
    await again(app, due + timedelta(days=30))
    assert (await service(sid))["status"] == ServiceStatus.TERMINATED
    assert await AuditEvent.count().where(AuditEvent.action == "service.terminate") == 1
    [renewal] = await Renewal.select()
    assert renewal["status"] == RenewalStatus.CANCELLED
    invoice = await Invoice.select(Invoice.status).where(Invoice.id == renewal["invoice"]).first()
    assert invoice["status"] == InvoiceStatus.CANCELLED
    # terminated services are not renewed any more
    await day(app, due + timedelta(days=40))
    assert await Renewal.count() == 1
