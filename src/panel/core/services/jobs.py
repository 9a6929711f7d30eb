"""Background jobs of the services feature: provisioning one service, and the sweep."""

from __future__ import annotations

from panel.core import runtime
from panel.core.jobs.queue import JobContext, JobHandler
from panel.core.services.provisioning import PROVISION_JOB, SWEEP_JOB, enqueue_pending, provision_service


async def provision(ctx: JobContext) -> None:
    """Hand one paid, pending service to its product type (`{"service_id": 42}`).

    A failure of the product type is recorded on the service for staff (who retry
    it), not raised: raising would call the type again and again with back-off.
    """
    current = runtime.current()
    service_id = int(ctx.payload["service_id"])
    outcome = await provision_service(
        current.product_types, service_id, settings=current.settings, retry=bool(ctx.payload.get("retry"))
    )
    await ctx.progress(100, f"{outcome.outcome}: {outcome.message}"[:200] if outcome.message else outcome.outcome)


async def sweep(ctx: JobContext) -> None:
    """Queue provisioning for paid, pending services that have no job (schedule it hourly)."""
    looked = await enqueue_pending(runtime.current().settings)
    await ctx.progress(100, f"{looked} pending service(s) checked")


HANDLERS = (
    JobHandler(PROVISION_JOB, provision, "Provision a paid service through its product type"),
    JobHandler(SWEEP_JOB, sweep, "Queue provisioning that a crash left out", schedule="17 * * * *"),
)
