"""The quotes' scheduled task: sent quotes past their last valid day are marked expired.

Until it runs, reading a quote treats one past its day as expired already
(`services.is_expired`), so a late or skipped run changes what lists show as the
row's status, never what a client can do.
"""

from __future__ import annotations

import datetime as dt
import logging

from panel.core.jobs.queue import JobContext, JobHandler
from panel.core.quotes import services

EXPIRE = "quotes.expire"

log = logging.getLogger("panel.quotes")


def day_of(ctx: JobContext) -> dt.date:
    """The day a scheduled run is for: its period's date, or today when queued by hand."""
    period = str(ctx.payload.get("period") or "")
    return dt.date.fromisoformat(period[:10]) if period else services.today()


async def expire(ctx: JobContext) -> None:
    """Mark sent quotes whose last valid day is before the run's day expired (safe to run twice)."""
    day = day_of(ctx)
    count = await services.expire_overdue(day)
    log.info("quotes.expire for %s: %d quote(s) expired", day.isoformat(), count)
    await ctx.progress(100, f"{count} quote(s) expired")


HANDLERS = (JobHandler(EXPIRE, expire, "Daily: expire sent quotes past their last valid day", schedule="15 0 * * *"),)
