"""The scheduled task that sends update digests (`wordpress.digest`, hourly by default).

Each run sends what is due in the period its payload names (the scheduler's
`{"period": "YYYY-MM-DDTHH:MM"}`, UTC) and was not sent yet; running it twice, or
after a crash, sends nothing twice (see `panel_wordpress.digest_send`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from panel.core.jobs.queue import JobContext, JobHandler
from panel.core.runtime import current

from panel_wordpress.digest_send import send_due

DIGEST = "wordpress.digest"
DEFAULT_SCHEDULE = "5 * * * *"  # hourly; each audience still gets one digest per day or week


def moment_of(ctx: JobContext) -> datetime:
    """The time a run is for: its scheduled period, or now when queued by hand without one."""
    period = str(ctx.payload.get("period") or "")
    if period:
        return datetime.strptime(period[:16], "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
    return datetime.now(UTC)


async def send_digests(ctx: JobContext) -> None:
    """Send every update digest due now and not sent yet in its period."""
    await ctx.progress(5, "looking for accounts due a digest")

    async def step(message: str) -> None:
        await ctx.progress(50, message)

    run = await send_due(current().settings, moment_of(ctx), step)
    await ctx.progress(
        100,
        f"{run.sent} digest(s) queued: {run.accounts} to accounts, {run.clients} to resellers, "
        f"{run.provider} to the provider",
    )


HANDLERS = (
    JobHandler(
        DIGEST, send_digests, "Emails the digests of pending WordPress updates that are due.", schedule=DEFAULT_SCHEDULE
    ),
)
