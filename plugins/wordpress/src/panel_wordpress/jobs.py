"""Background refreshes: one job per site, and a scheduled task that queues one for every site.

A site that fails to refresh records its error on its own row (the site page shows
it); the job itself succeeds, so one broken site never holds up or fails the others.
"""

from __future__ import annotations

from panel.core.jobs.queue import JobContext, JobHandler
from panel.core.jobs.services import enqueue
from panel.core.runtime import current
from panel.settings import Settings

from panel_wordpress import services
from panel_wordpress.tables import WordpressSite

REFRESH_SITE = "wordpress.refresh_site"
REFRESH_ALL = "wordpress.refresh_all"
DEFAULT_SCHEDULE = "20 */6 * * *"  # every six hours; PANEL_CORE_JOBS_SCHEDULE changes or turns it off


async def queue_refresh(settings: Settings, site_id: int, key: str | None = None) -> int:
    """Queue a refresh of one site; the job's id."""
    job_id: int = await enqueue(settings, REFRESH_SITE, {"site_id": site_id}, key=key, max_attempts=1)
    return job_id


async def refresh_site(ctx: JobContext) -> None:
    """Refresh one site's inventory (idempotent: it rewrites what the site says now)."""
    site_id = int(ctx.payload["site_id"])
    await ctx.progress(10, "asking the site")
    ok = await services.refresh(current().settings, site_id)
    await ctx.progress(100, "refreshed" if ok else "the site could not be refreshed: see its page")


async def refresh_all(ctx: JobContext) -> None:
    """Queue a refresh of every connected site, once per period (the key makes a rerun queue nothing new)."""
    settings = current().settings
    period = str(ctx.payload.get("period") or f"job-{ctx.job_id}")
    rows = await WordpressSite.select(WordpressSite.id).order_by(WordpressSite.id)
    for n, row in enumerate(rows, 1):
        await queue_refresh(settings, row["id"], key=f"{REFRESH_SITE}:{row['id']}@{period}")
        if n % 50 == 0:
            await ctx.progress(int(100 * n / len(rows)), f"{n} of {len(rows)} sites queued")
    await ctx.progress(100, f"{len(rows)} sites queued")


HANDLERS = (
    JobHandler(REFRESH_SITE, refresh_site, "Reads one WordPress site's versions, updates, users and health."),
    JobHandler(REFRESH_ALL, refresh_all, "Queues a refresh of every WordPress site.", schedule=DEFAULT_SCHEDULE),
)
