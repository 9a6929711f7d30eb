"""`panel worker`: the job worker as its own process."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import click


@click.command("worker")
@click.option("--once", is_flag=True, help="Tick the schedule, run every due job, then exit.")
@click.option("--name", default="", help="This worker's name in the admin area (default: host:pid:random).")
def worker_command(once: bool, name: str) -> None:
    """Run background jobs (and scheduled tasks) until stopped with Ctrl-C or SIGTERM."""
    from panel.cli import _ctx
    from panel.core.jobs.plugin import check_schedule
    from panel.core.jobs.scheduler import tick
    from panel.core.jobs.services import PLUGIN, queue_for, schedule_of
    from panel.core.jobs.worker import Worker

    ctx = _ctx()
    handlers = ctx.plugins.job_handlers()
    check_schedule(ctx.settings, set(handlers))
    worker = Worker(
        queue_for(ctx.settings),
        handlers,
        schedule_of(ctx.settings),
        poll_interval=ctx.settings.for_plugin(PLUGIN)["poll_interval"],
        name=name,
    )

    async def work(_: Any) -> int:
        if once:
            if worker.schedule:
                await tick(worker.queue, worker.schedule)
            return await worker.run_until_idle()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, worker.request_stop)
        await worker.run()
        return 0

    click.echo(f"worker {worker.name}: {len(handlers)} job types, {len(worker.schedule)} scheduled")
    ran = ctx.run(work)
    if once:
        click.echo(f"ran {ran} job(s)")
