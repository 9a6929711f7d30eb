"""The daily task: remind partners and customers of an end date, and end partnerships whose date came."""

from __future__ import annotations

from panel.core.jobs.queue import JobContext, JobHandler
from panel.core.runtime import current

from panel_partner_console import services

DAILY = "partner_console.daily"


async def run_daily(ctx: JobContext) -> None:
    """End what expired (grants and sessions too), then send the reminders due today; safe to run twice."""
    authz = current().authz
    if authz is None:
        raise RuntimeError("the rules engine is not loaded in this process yet")
    ended = await services.expire(authz)
    await ctx.progress(50, f"{ended} partnership(s) ended")
    sent = await services.send_reminders()
    await ctx.progress(100, f"{ended} ended, {sent} reminder(s) sent")


HANDLERS = (
    JobHandler(
        DAILY,
        run_daily,
        "Remind partners and customers 30, 7 and 1 days before a partnership ends; end those whose date came.",
        schedule="5 0 * * *",
    ),
)
