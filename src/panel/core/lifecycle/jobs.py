"""The lifecycle's jobs: four daily tasks, and two jobs queued by events.

Scheduled tasks get `{"period": "YYYY-MM-DDTHH:MM"}` from the scheduler and take
that period's date as "today", so a task that runs late, or twice, works on the day
it was scheduled for.
"""

from __future__ import annotations

from datetime import date

from panel.core import runtime
from panel.core.audit.services import SYSTEM
from panel.core.billing.payments import pay_from_credit
from panel.core.jobs.queue import JobContext, JobHandler
from panel.core.lifecycle import cancellations, overdue, package_apply, packages, renewals
from panel.core.lifecycle.config import config_of
from panel.core.services.lifecycle import utc_today
from panel.errors import PanelError

RENEWALS = "lifecycle.renewals"
REMINDERS = "lifecycle.reminders"
OVERDUE = "lifecycle.overdue"
CANCELLATIONS = "lifecycle.cancellations"
RENEWAL_PAID = "lifecycle.renewal_paid"
CANCEL = cancellations.CANCEL_JOB
DAILY = (RENEWALS, REMINDERS, OVERDUE, CANCELLATIONS)


def day_of(ctx: JobContext) -> date:
    """The day a scheduled run is for: its period's date, or today when queued by hand."""
    period = str(ctx.payload.get("period") or ctx.payload.get("today") or "")
    return date.fromisoformat(period[:10]) if period else utc_today()


async def run_renewals(ctx: JobContext) -> None:
    """Issue renewal invoices due within the configured days; pay them from credit where the store auto-renews."""
    current = runtime.current()
    auto = await renewals.auto_renew_stores()

    async def pay(invoice_id: int, store_id: int) -> None:
        if store_id not in auto:
            return
        inv_account = await _account_of(invoice_id)
        try:
            await pay_from_credit(current, invoice_id, inv_account, None, f"auto-renew:{invoice_id}", by=SYSTEM)
        except PanelError:
            pass  # not enough credit: the invoice waits for the client, reminders follow

    run = await renewals.issue_due_renewals(
        day_of(ctx), config_of(current.settings), progress=ctx.progress, after_issue=pay
    )
    await ctx.progress(100, f"{len(run.invoices)} invoice(s) for {run.services} service(s)")


async def _account_of(invoice_id: int) -> int:
    from panel.core.billing.tables import Invoice

    row = await Invoice.select(Invoice.account).where(Invoice.id == invoice_id).first()
    return int(row["account"]) if row else 0


async def run_reminders(ctx: JobContext) -> None:
    """Send the reminder step due today for each unpaid invoice."""
    out = await overdue.send_reminders(day_of(ctx), config_of(runtime.current().settings))
    await ctx.progress(100, f"{len(out.done)} reminder(s) sent")


async def run_overdue(ctx: JobContext) -> None:
    """Suspend, then terminate, services whose renewal stays unpaid past the configured days."""
    current = runtime.current()
    config, today = config_of(current.settings), day_of(ctx)
    terminated = await overdue.terminate_overdue(current, today, config)
    suspended = await overdue.suspend_overdue(current, today, config)
    failed = len(terminated.failed) + len(suspended.failed)
    await ctx.progress(100, f"{len(suspended.done)} suspended, {len(terminated.done)} terminated, {failed} refused")


async def run_cancellations(ctx: JobContext) -> None:
    """Carry out end-of-period cancellation requests whose date has come."""
    current, today = runtime.current(), day_of(ctx)
    ids = await cancellations.due_period_end(today)
    for request_id in ids:
        await cancellations.carry_out(current, request_id, today)
    await ctx.progress(100, f"{len(ids)} cancellation(s) carried out")


async def renewal_paid(ctx: JobContext) -> None:
    """Apply a paid renewal invoice (`{"invoice_id": 7}`)."""
    renewed = await renewals.apply_paid(runtime.current(), int(ctx.payload["invoice_id"]))
    await ctx.progress(100, f"{len(renewed)} service(s) renewed")


async def cancel(ctx: JobContext) -> None:
    """Carry out a request to cancel now (`{"request_id": 3}`)."""
    status = await cancellations.carry_out(runtime.current(), int(ctx.payload["request_id"]))
    await ctx.progress(100, status)


async def package_change(ctx: JobContext) -> None:
    """Apply a package change that is paid or has nothing to pay (`{"change_id": 4}`)."""
    status = await package_apply.apply_change(runtime.current(), int(ctx.payload["change_id"]))
    await ctx.progress(100, status)


HANDLERS = (
    JobHandler(RENEWALS, run_renewals, "Daily: issue renewal invoices", schedule="0 3 * * *"),
    JobHandler(REMINDERS, run_reminders, "Daily: send invoice reminders", schedule="30 3 * * *"),
    JobHandler(OVERDUE, run_overdue, "Daily: suspend and terminate overdue services", schedule="0 4 * * *"),
    JobHandler(CANCELLATIONS, run_cancellations, "Daily: carry out end-of-period cancellations", schedule="30 4 * * *"),
    JobHandler(RENEWAL_PAID, renewal_paid, "Apply a paid renewal invoice"),
    JobHandler(CANCEL, cancel, "Cancel a service now and refund per the store's policy"),
    JobHandler(packages.APPLY_JOB, package_change, "Apply an upgrade or downgrade of a service"),
)
