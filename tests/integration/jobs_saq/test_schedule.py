"""Scheduled tasks on the SAQ backend: once per period with several workers, and after a crash mid-tick."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

from panel.core.jobs.queue import JobContext, JobHandler
from panel.core.jobs.saq_backend import SaqQueue
from panel.core.jobs.scheduler import period_key, tick
from panel.core.jobs.services import make_worker
from panel.core.jobs.tables import ScheduleRun
from panel.settings import Settings

EVERY_5 = {"test.tick": "*/5 * * * *"}
AT = datetime(2026, 11, 22, 10, 7, 30, tzinfo=UTC)
YEARLY = {"test.tick": "0 0 1 1 *"}  # one period for the whole test, whenever it runs


async def test_ticking_from_several_workers_enqueues_once_per_period(queue: SaqQueue) -> None:
    racing = await asyncio.gather(*(tick(queue, EVERY_5, AT) for _ in range(4)))
    later = await tick(queue, EVERY_5, AT.replace(minute=9))
    next_period = await tick(queue, EVERY_5, AT.replace(minute=10))

    assert sorted(len(r) for r in racing) == [0, 0, 0, 1], "exactly one ticking worker enqueues the period"
    assert later == []
    assert len(next_period) == 1
    page = await queue.list()
    assert page.total == 2
    [first] = [r for r in racing if r]
    job = await queue.get(first[0])
    assert (job.name, job.payload, job.idempotency_key) == (
        "test.tick",
        {"period": "2026-11-22T10:05"},
        "schedule:test.tick@2026-11-22T10:05",
    )
    assert await ScheduleRun.count() == 2


async def test_two_running_workers_run_the_task_once_in_a_period(queue: SaqQueue, settings: Settings) -> None:
    runs: Counter[str] = Counter()

    async def task(ctx: JobContext) -> None:
        runs[str(ctx.payload["period"])] += 1

    handlers = {"test.tick": JobHandler("test.tick", task)}
    workers = [make_worker(settings, handlers, YEARLY, name=f"w{i}") for i in range(2)]
    for worker in workers:
        worker.start()
    await asyncio.sleep(1.5)  # each ticks every 0.1 s
    for worker in workers:
        await worker.stop()

    assert runs == Counter({period_key(YEARLY["test.tick"], datetime.now(UTC)): 1})
    assert (await queue.list("succeeded")).total == 1


async def test_a_tick_that_crashed_before_enqueueing_is_completed_by_the_next(queue: SaqQueue) -> None:
    period = period_key(EVERY_5["test.tick"], AT)
    # the guard row committed, then the process died before it enqueued the job
    await ScheduleRun.insert(ScheduleRun(task="test.tick", period_key=period, run_key=f"test.tick@{period}"))

    repaired = await tick(queue, EVERY_5, AT)
    again = await tick(queue, EVERY_5, AT)

    assert len(repaired) == 1 and again == []
    row = await ScheduleRun.select(ScheduleRun.job_id).first()
    assert row is not None and row["job_id"] == repaired[0]
    assert (await queue.get(repaired[0])).payload == {"period": period}
    assert (await queue.list()).total == 1
