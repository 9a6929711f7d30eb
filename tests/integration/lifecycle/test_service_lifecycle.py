"""A service from order to cancellation, driven by the scheduler; each scheduled step run twice.

order -> provision job (welcome email) -> renewal invoice -> reminder -> overdue
suspension -> payment -> unsuspension -> cancellation now with a refund.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import factories as f
import jobs_support
import pytest
from services import commerce  # tests/integration/services (its folder is on the path)
from support import make_settings

from panel.core import runtime
from panel.core.audit.services import SYSTEM
from panel.core.audit.tables import AuditEvent
from panel.core.billing import credit
from panel.core.billing.payments import record_bank_transfer
from panel.core.billing.tables import Invoice, InvoiceKind, InvoiceStatus
from panel.core.jobs.services import enqueue
from panel.core.lifecycle import cancellations
from panel.core.lifecycle.tables import CancellationRequest, ReminderSent, Renewal, RenewalStatus
from panel.core.services import provisioning
from panel.core.services.tables import ServiceStatus
from panel.core.stores.tables import Store
from panel.settings import Settings

from .helpers import PRICE, again, day, service, wait_for_subject


@pytest.fixture(params=jobs_support.BACKENDS)
def settings(migrated: str, tmp_path: Path, smtp: Any, request: pytest.FixtureRequest) -> Settings:
    """This walk runs on both job backends: the embedded queue, and SAQ on PostgreSQL."""
    env = jobs_support.backend_env(request.param)
    settings = make_settings(
        migrated, tmp_path, PANEL_CORE_JOBS_WORKER="false", PANEL_CORE_MAIL_POLL_SECONDS="60", **env
    )
    settings.values["smtp_url"] = smtp.url
    return settings


async def events(action: str) -> int:
    return await AuditEvent.count().where(AuditEvent.action == action)


def subjects(smtp: Any) -> list[str]:
    return [str(m["Subject"]) for m in smtp.messages]


async def test_order_to_cancellation_driven_by_the_scheduler(client, smtp):
    authz = client.app.state.authz
    owner = await f.user(authz, "owner@example.com")
    account = await f.account(authz, "Client Co", owner)
    store = await commerce.store(default=True)
    await Store.update({Store.money_back_days: 365}).where(Store.id == store)
    product = await commerce.product("dummy.thing", "Thing")
    order_id, [sid] = await commerce.order(
        account, store, [{"product": product, "type": "dummy.thing", "label": "thing.example", "amount": PRICE}]
    )

    # Paying the order queues one provisioning job per item; the job activates it and emails.
    jobs = await provisioning.enqueue_order(client.app.state.settings, order_id)
    assert len(jobs) == 1
    assert await provisioning.enqueue_order(client.app.state.settings, order_id) == jobs  # keyed: not twice
    assert (await service(sid))["status"] == ServiceStatus.PENDING
    assert await f.run_jobs(client.app) == 1
    row = await service(sid)
    assert row["status"] == ServiceStatus.ACTIVE
    await smtp.wait_for(1)
    assert subjects(smtp) == ["Your thing.example is ready"]
    due: date = row["next_due_date"]
    assert due == (await service(sid))["next_due_date"]

    # 14 days before the due date: one renewal invoice, however often the task runs.
    await day(client.app, due - timedelta(days=15))
    assert await Renewal.count() == 0
    await day(client.app, due - timedelta(days=14))
    await again(client.app, due - timedelta(days=14))
    await day(client.app, due - timedelta(days=13))
    renewals = await Renewal.select().where(Renewal.service == sid)
    assert len(renewals) == 1
    invoice_id = renewals[0]["invoice"]
    invoice = await Invoice.select().where(Invoice.id == invoice_id).first()
    assert invoice["status"] == InvoiceStatus.UNPAID and invoice["total"] == PRICE and invoice["due_date"] == due
    await smtp.wait_for(2)
    assert subjects(smtp)[1].startswith(f"Renewal invoice {invoice['number']}")

    # A week before: one reminder for the -7 step, even when the task runs twice.
    await day(client.app, due - timedelta(days=7))
    await again(client.app, due - timedelta(days=7))
    await smtp.wait_for(3)
    assert await ReminderSent.count().where(ReminderSent.invoice == invoice_id) == 1
    assert subjects(smtp)[2] == f"Reminder: invoice {invoice['number']} is due on {due.isoformat()}"

    # Unpaid: suspended five days after the due date (not before), once.
    await day(client.app, due + timedelta(days=4))
    assert (await service(sid))["status"] == ServiceStatus.ACTIVE
    await day(client.app, due + timedelta(days=5))
    await again(client.app, due + timedelta(days=5))
    row = await service(sid)
    assert row["status"] == ServiceStatus.SUSPENDED and row["suspend_reason"].startswith("overdue")
    assert await events("service.suspend") == 1

    # Payment: the renewal is applied by a job: due date one month on, service active again.
    await record_bank_transfer(runtime.current(), invoice_id, PRICE, "BANK-1", None, by=SYSTEM)
    await f.run_jobs(client.app)
    await f.run_jobs(client.app)
    row = await service(sid)
    assert row["status"] == ServiceStatus.ACTIVE and row["suspend_reason"] == ""
    assert row["next_due_date"] > due
    assert (await Renewal.select(Renewal.status).where(Renewal.service == sid))[0]["status"] == RenewalStatus.PAID
    assert await events("service.renew") == 1 and await events("service.unsuspend") == 1

    # Cancel now, within the money-back period: the renewal just paid is refunded to credit.
    request_id = await cancellations.request_cancellation(account, sid, "now", "moving away", user_id=owner)
    await enqueue(
        client.app.state.settings, cancellations.CANCEL_JOB, {"request_id": request_id}, key=f"cancel:{request_id}"
    )
    await f.run_jobs(client.app)
    assert await cancellations.carry_out(runtime.current(), request_id) == "done"  # a rerun changes nothing
    row = await service(sid)
    assert row["status"] == ServiceStatus.CANCELLED
    request = await CancellationRequest.select().where(CancellationRequest.id == request_id).first()
    assert request["status"] == "done" and request["refund_amount"] == PRICE
    notes = await Invoice.select().where(Invoice.kind == InvoiceKind.CREDIT_NOTE)
    assert len(notes) == 1 and notes[0]["original"] == invoice_id and notes[0]["total"] == PRICE
    assert await credit.balance(account, "USD") == PRICE
    await wait_for_subject(smtp, "thing.example is cancelled")

    # Later days change nothing for a cancelled service: no renewal, no reminder, no suspension.
    await day(client.app, row["next_due_date"] - timedelta(days=14))
    await day(client.app, row["next_due_date"] + timedelta(days=40))
    assert await Renewal.count().where(Renewal.service == sid) == 1
    assert (await service(sid))["status"] == ServiceStatus.CANCELLED
