"""Provisioning jobs: the hourly sweep queues what a crash left out, once, however often it runs."""

from __future__ import annotations

import factories as f
from services import commerce  # tests/integration/services (its folder is on the path)

from panel.core.jobs.services import enqueue
from panel.core.services.provisioning import SWEEP_JOB
from panel.core.services.tables import ServiceStatus

from .helpers import client_with_store, service


async def test_the_sweep_provisions_a_paid_service_whose_job_was_never_queued(client, smtp):
    app = client.app
    c = await client_with_store(app)
    # the order was paid, then the process died before it queued the provisioning job
    _, [sid] = await commerce.order(c.account, c.store, [{"product": c.product, "type": "dummy.thing"}])
    _, [unpaid] = await commerce.order(c.account, c.store, [{"product": c.product, "type": "dummy.thing"}], paid=False)
    assert await f.run_jobs(app) == 0

    for run in ("first", "second"):  # the scheduled sweep, twice in one hour (two workers, or a rerun)
        await enqueue(app.state.settings, SWEEP_JOB, {"period": "2026-11-22T10:17"}, key=f"sweep-{run}")
    assert await f.run_jobs(app) == 3  # two sweeps, one provisioning job

    assert (await service(sid))["status"] == ServiceStatus.ACTIVE
    assert (await service(unpaid))["status"] == ServiceStatus.PENDING  # never provisioned before it is paid
    await smtp.wait_for(1)
    assert [str(m["Subject"]) for m in smtp.messages] == ["Your A service is ready"]
