"""The SAQ backend's worker: SAQ's dequeue-run-retry loop with one SAQ function per `JobHandler`.

It uses `saq.Worker.process()` (dequeue one job, run it, then finish, retry or fail it)
and SAQ's upkeep (sweep for lost jobs, abort, worker stats) in its own loop, so that it
never installs signal handlers (the in-app worker shares uvicorn's process) and stops
as soon as its running jobs are done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from saq import Job
from saq import Worker as SaqLoop
from saq.queue.postgres import PostgresQueue
from saq.types import Context

from panel.core.jobs.queue import JobHandler
from panel.core.jobs.saq_backend import SaqQueue
from panel.core.jobs.scheduler import tick
from panel.core.jobs.worker import worker_name

log = logging.getLogger("panel.jobs")


@dataclass
class RunningSaqJob:
    """The `JobContext` a handler is given on the SAQ backend."""

    queue: SaqQueue
    job: Job
    job_id: int
    name: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    attempt: int = 0

    async def progress(self, percent: int, message: str = "") -> None:
        """Record progress (0..100) and a short message; also a heartbeat."""
        self.job.progress = max(0, min(100, int(percent))) / 100
        self.job.meta["progress_message"] = message[:200]
        await self.queue.write_held(self.job)


class NoHandler(LookupError):
    """A job whose name no enabled plugin registers."""


class _Functions(dict[str, Any]):
    """SAQ's function table; a job nobody registered fails with a clear message."""

    def __init__(self, known: Mapping[str, Any], missing: Callable[[str], Any]) -> None:
        super().__init__(known)
        self.missing = missing

    def __missing__(self, name: str) -> Any:
        return self.missing(name)


class SaqWorker:
    """Runs jobs from SAQ's queue with the registered handlers (same methods as `Worker`).

    Args:
        queue: the SAQ backend.
        handlers: handlers by job name (from `panel_register_jobs`).
        schedule: scheduled tasks, job name -> cron expression; ticked each poll.
        poll_interval: seconds between looks for due jobs (new jobs also wake it at once)
            and between schedule ticks.
        concurrency: how many jobs this worker runs at once.
        name: this worker's name (SAQ's worker id, shown as the job's worker).
    """

    def __init__(
        self,
        queue: SaqQueue,
        handlers: Mapping[str, JobHandler],
        schedule: Mapping[str, str] | None = None,
        poll_interval: float = 1.0,
        concurrency: int = 10,
        name: str = "",
    ) -> None:
        self.queue = queue
        self.handlers = dict(handlers)
        self.schedule = dict(schedule or {})
        self.poll_interval = poll_interval
        self.concurrency = concurrency
        self.name = name or worker_name()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._started = 0

    def _loop(self, store: PostgresQueue, dequeue_timeout: float, poll: float) -> SaqLoop[Context]:
        """SAQ's worker object, used for its `process()` (dequeue, run, retry or finish) and upkeep."""
        functions = [(name, self._function(handler)) for name, handler in self.handlers.items()]
        loop: SaqLoop[Context] = SaqLoop(
            store,
            functions,
            id=self.name,
            concurrency=self.concurrency,
            dequeue_timeout=dequeue_timeout,
            poll_interval=poll,
        )
        loop.functions = _Functions(loop.functions, self._missing)
        return loop

    def _function(self, handler: JobHandler) -> Callable[..., Awaitable[None]]:
        async def run(ctx: Context, *, payload: Mapping[str, Any] | None = None, **_: Any) -> None:
            await self._execute(handler, ctx["job"], dict(payload or {}))

        return run

    def _missing(self, name: str) -> Callable[..., Awaitable[None]]:
        known = ", ".join(sorted(self.handlers)) or "none"
        error = f"No handler is registered for job {name!r} (is its plugin enabled?). Known jobs: {known}."

        async def refuse(_: Any) -> None:
            raise NoHandler(error)

        return self._function(JobHandler(name, refuse))

    async def _execute(self, handler: JobHandler, job: Job, payload: dict[str, Any]) -> None:
        self._started += 1
        job.meta.pop("last_error", None)
        job.meta.pop("progress_message", None)
        job.progress = 0.0
        await self.queue.write_held(job)  # the attempt starts clean, and its first heartbeat
        job_id = await self.queue.id_of(job.key) or 0
        beat = asyncio.create_task(self._heartbeat(job))
        try:
            await handler.run(RunningSaqJob(self.queue, job, job_id, job.function, payload, job.attempts))
        except Exception as exc:
            job.meta["last_error"] = (str(exc) if isinstance(exc, NoHandler) else f"{type(exc).__name__}: {exc}")[:4000]
            job.retry_delay = self.queue.retry_wait(job.attempts)  # SAQ schedules the retry with it
            log.warning("job %s (%s) attempt %s failed: %s", job_id, job.function, job.attempts, exc)
            raise
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat

    async def _heartbeat(self, job: Job) -> None:
        while True:
            await asyncio.sleep(max(job.heartbeat / 3, 0.2))
            try:
                if not await self.queue.write_held(job):
                    return
            except Exception:
                log.exception("job %s: heartbeat failed", job.key)

    async def run_until_idle(self) -> int:
        """Run due jobs one after the other until none is left; the number run."""
        loop = self._loop(await self.queue.store(), dequeue_timeout=0.01, poll=0.01)
        ran = 0
        try:
            while True:
                before = self._started
                if not await loop.process() or self._started == before:
                    return ran
                ran += 1
        finally:
            loop.pool.shutdown(wait=False)

    async def _every(self, seconds: float, work: Callable[[], Awaitable[Any]]) -> None:
        while not self._stop.is_set():
            try:
                await work()
            except Exception:
                log.exception("worker %s: upkeep failed", self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), seconds)

    async def _process(self, loop: SaqLoop[Context]) -> None:
        while not self._stop.is_set():
            try:
                await loop.process()
            except Exception:  # the database went away for a moment: keep going
                log.exception("worker %s: processing failed", self.name)
                await asyncio.sleep(self.poll_interval)

    async def run(self) -> None:
        """Work until `stop()`: run jobs (up to `concurrency` at once), tick the schedule, sweep lost jobs."""
        store = await self.queue.store()
        loop = self._loop(store, dequeue_timeout=self.poll_interval, poll=0.0)
        log.info("worker %s started (%d job types, SAQ)", self.name, len(self.handlers))

        async def schedule() -> None:
            if self.schedule:
                await tick(self.queue, self.schedule)

        upkeep = [
            asyncio.create_task(self._every(self.poll_interval, schedule)),
            asyncio.create_task(self._every(self.queue.heartbeat, store.sweep)),
            asyncio.create_task(self._every(1.0, lambda: loop.abort(1))),
            asyncio.create_task(self._every(10.0, lambda: loop.worker_info(ttl=11))),
        ]
        workers = [asyncio.create_task(self._process(loop)) for _ in range(self.concurrency)]
        try:
            await self._stop.wait()
            await asyncio.gather(*workers)  # each finishes the job it runs; idle ones see the stop within a poll
        finally:
            for task in (*upkeep, *workers):
                task.cancel()
            await asyncio.gather(*upkeep, *workers, return_exceptions=True)
            loop.pool.shutdown(wait=False)
            log.info("worker %s stopped", self.name)

    def request_stop(self) -> None:
        """Ask the worker to stop after the jobs it runs (safe from a signal handler)."""
        self._stop.set()

    def start(self) -> None:
        """Run as a background task of the current event loop."""
        self._stop.clear()
        self._task = asyncio.create_task(self.run())

    async def stop(self) -> None:
        """Ask the worker to stop and wait for the jobs it runs to finish."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None
