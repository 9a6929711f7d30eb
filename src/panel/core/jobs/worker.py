"""The worker: claims due jobs, runs their handlers, records the outcome.

The same loop runs inside the web app (started by `panel_on_startup`) and as its own
process (`panel worker`); any number of them may share one database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from panel.core.jobs.embedded import EmbeddedQueue
from panel.core.jobs.queue import Claimed, JobHandler
from panel.core.jobs.scheduler import tick

log = logging.getLogger("panel.jobs")


class JobWorker(Protocol):
    """What every backend's worker offers (`Worker` here, `SaqWorker` on SAQ); made by `services.make_worker`."""

    name: str

    def start(self) -> None:
        """Run as a background task of the current event loop."""

    async def stop(self) -> None:
        """Ask the worker to stop and wait for the job(s) it runs to finish."""

    async def run(self) -> None:
        """Work until stopped: tick the schedule, run due jobs, wait for more."""

    def request_stop(self) -> None:
        """Ask the worker to stop after what it runs (safe from a signal handler)."""

    async def run_until_idle(self) -> int:
        """Run due jobs until none is left; the number run."""
        ...


def worker_name() -> str:
    """A name unique to this worker: host, process and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class RunningJob:
    """The `JobContext` a handler is given."""

    queue: EmbeddedQueue
    claimed: Claimed
    job_id: int = 0
    name: str = ""
    payload: Mapping[str, Any] = field(default_factory=dict)
    attempt: int = 0

    def __post_init__(self) -> None:
        job = self.claimed.job
        self.job_id, self.name, self.payload, self.attempt = job.id, job.name, job.payload, job.attempts

    async def progress(self, percent: int, message: str = "") -> None:
        """Record progress (0..100) and a short message; also renews the lease."""
        await self.queue.report_progress(self.job_id, self.claimed.token, percent, message)


class Worker:
    """Runs jobs from the embedded queue with the registered handlers, one at a time.

    Args:
        queue: the backend to claim from.
        handlers: handlers by job name (from `panel_register_jobs`).
        schedule: scheduled tasks, job name -> cron expression; ticked each poll.
        poll_interval: seconds to wait when no job is due.
        name: this worker's name (shown as `locked_by`); one is made up if empty.
    """

    def __init__(
        self,
        queue: EmbeddedQueue,
        handlers: Mapping[str, JobHandler],
        schedule: Mapping[str, str] | None = None,
        poll_interval: float = 1.0,
        name: str = "",
    ) -> None:
        self.queue = queue
        self.handlers = dict(handlers)
        self.schedule = dict(schedule or {})
        self.poll_interval = poll_interval
        self.name = name or worker_name()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> bool:
        """Claim and run one due job; False when none was due."""
        claimed = await self.queue.claim(self.name)
        if claimed is None:
            return False
        await self.execute(claimed)
        return True

    async def run_until_idle(self) -> int:
        """Run due jobs until none is left; the number run (tests and `panel worker --once`)."""
        ran = 0
        while await self.run_once():
            ran += 1
        return ran

    async def execute(self, claimed: Claimed) -> None:
        """Run a claimed job's handler, renewing the lease meanwhile, and record the outcome."""
        job = claimed.job
        handler = self.handlers.get(job.name)
        if handler is None:
            known = ", ".join(sorted(self.handlers)) or "none"
            error = f"No handler is registered for job {job.name!r} (is its plugin enabled?). Known jobs: {known}."
            await self.queue.fail(claimed, error)
            log.error("job %s: %s", job.id, error)
            return
        heartbeat = asyncio.create_task(self._heartbeat(claimed))
        try:
            await handler.run(RunningJob(self.queue, claimed))
        except Exception as exc:
            state = await self.queue.fail(claimed, f"{type(exc).__name__}: {exc}")
            log.warning("job %s (%s) attempt %s failed, now %s: %s", job.id, job.name, job.attempts, state, exc)
        else:
            if not await self.queue.complete(claimed):
                log.warning("job %s (%s) finished after its lease was lost; another worker owns it", job.id, job.name)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _heartbeat(self, claimed: Claimed) -> None:
        every = max(self.queue.lease.total_seconds() / 3, 0.05)
        while True:
            await asyncio.sleep(every)
            if not await self.queue.extend_lease(claimed):
                return

    async def run(self) -> None:
        """Poll until `stop()`: tick the schedule, run every due job, wait."""
        log.info("worker %s started (%d job types)", self.name, len(self.handlers))
        while not self._stop.is_set():
            try:
                if self.schedule:
                    await tick(self.queue, self.schedule)
                await self.run_until_idle()
            except Exception:  # the database went away for a moment: keep polling
                log.exception("worker %s: polling failed", self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.poll_interval)
        log.info("worker %s stopped", self.name)

    def request_stop(self) -> None:
        """Ask the loop to stop after the job it runs (safe from a signal handler)."""
        self._stop.set()

    def start(self) -> None:
        """Run the loop as a background task of the current event loop."""
        self._stop.clear()
        self._task = asyncio.create_task(self.run())

    async def stop(self) -> None:
        """Ask the loop to stop and wait for the job it runs to finish."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None
