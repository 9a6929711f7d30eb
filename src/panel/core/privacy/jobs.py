"""The privacy feature's jobs: build an export's archive, and delete expired archives daily."""

from __future__ import annotations

import logging

from panel.core.jobs.queue import JobContext, JobHandler
from panel.core.privacy import services

log = logging.getLogger("panel.privacy")


async def export(ctx: JobContext) -> None:
    """Build one export's archive (`{"export_id": N}`); a failure is retried, the last one marks it failed."""
    export_id = int(ctx.payload["export_id"])
    try:
        await services.build(export_id, ctx.progress)
    except Exception as exc:
        await services.attempt_failed(
            export_id, f"{type(exc).__name__}: {exc}", final=ctx.attempt >= services.MAX_ATTEMPTS
        )
        raise


async def expire(ctx: JobContext) -> None:
    """Delete exports past their 7 days, with their archives (safe to run twice)."""
    count = await services.expire()
    log.info("privacy.expire: %d export(s) deleted", count)
    await ctx.progress(100, f"{count} export(s) deleted")


HANDLERS = (
    JobHandler(services.EXPORT_JOB, export, "Build a personal-data export archive"),
    JobHandler(
        services.EXPIRE_JOB, expire, "Daily: delete personal-data exports older than 7 days", schedule="40 2 * * *"
    ),
)
