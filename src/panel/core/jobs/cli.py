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
    from panel.core.jobs.services import backend_of, check_backend, close_connections, make_worker, run_due, schedule_of

    ctx = _ctx()
    handlers = ctx.plugins.job_handlers()
    check_backend(ctx.settings)
    check_schedule(ctx.settings, set(handlers))
    schedule = schedule_of(ctx.settings, handlers)
    worker = make_worker(ctx.settings, handlers, schedule, name=name)

    async def work(_: Any) -> int:
        try:
            if once:
                return await run_due(ctx.settings, handlers, schedule, name=worker.name)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, worker.request_stop)
            await worker.run()
            return 0
        finally:
            await close_connections()

    click.echo(
        f"worker {worker.name} ({backend_of(ctx.settings)}): {len(handlers)} job types, {len(schedule)} scheduled"
    )
    ran = ctx.run(work)
    if once:
        click.echo(f"ran {ran} job(s)")
