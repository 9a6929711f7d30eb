"""The SAQ backend on a real PostgreSQL: idempotency, retries with back-off, dead letters, progress, cancel."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from jobs_support import drain

from panel.core.jobs.queue import JobContext, JobHandler
from panel.core.jobs.saq_backend import SaqQueue
from panel.core.jobs.services import enqueue, make_worker, queue_for
from panel.errors import PanelError, SettingsError, ValidationFailed
from panel.settings import Settings

from .conftest import RETRY_DELAY, job_settings


def recording(name: str, runs: Counter[int]) -> dict[str, JobHandler]:
    async def run(ctx: JobContext) -> None:
        runs[ctx.job_id] += 1
        await asyncio.sleep(0.01)

    return {name: JobHandler(name, run)}


async def test_a_queued_job_runs_once_and_succeeds(queue: SaqQueue, settings: Settings) -> None:
    seen: list[tuple[int, dict[str, object], int]] = []

    async def provision(ctx: JobContext) -> None:
        seen.append((ctx.job_id, dict(ctx.payload), ctx.attempt))

    handlers = {"test.provision": JobHandler("test.provision", provision)}
    job_id = await enqueue(settings, "test.provision", {"service": 42})

    assert (await queue.get(job_id)).state == "queued"
    assert await drain(settings, handlers) == 1
    assert await drain(settings, handlers) == 0, "a finished job does not run again"

    assert seen == [(job_id, {"service": 42}, 1)]
    job = await queue.get(job_id)
    assert (job.state, job.attempts, job.progress, job.last_error) == ("succeeded", 1, 100, "")
    assert job.finished_at is not None and job.name == "test.provision"


async def test_the_same_idempotency_key_gives_one_job_even_after_it_finished(
    queue: SaqQueue, settings: Settings
) -> None:
    runs: Counter[int] = Counter()
    handlers = recording("test.noop", runs)
    first = await queue.enqueue("test.noop", {"n": 1}, key="order-7-provision")
    second = await queue.enqueue("test.noop", {"n": 2}, key="order-7-provision")
    racing = await asyncio.gather(*(queue.enqueue("test.noop", key="order-8-provision") for _ in range(5)))
    unkeyed = [await queue.enqueue("test.noop"), await queue.enqueue("test.noop")]

    assert second == first
    assert len(set(racing)) == 1 and racing[0] != first
    assert len(set(unkeyed)) == 2
    assert (await queue.get(first)).payload == {"n": 1}
    assert (await queue.get(first)).idempotency_key == "order-7-provision"
    assert await drain(settings, handlers) == 4
    await asyncio.sleep(1.1)  # SAQ itself re-queues a finished key enqueued in a later second

    after = await queue.enqueue("test.noop", {"n": 3}, key="order-7-provision")
    assert after == first, "a finished job's key still answers that job"
    assert await drain(settings, handlers) == 0, "and does not queue it again"
    assert runs[first] == 1
    assert (await queue.list()).total == 4


async def test_enqueue_refuses_what_is_not_a_job(queue: SaqQueue) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await queue.enqueue("", {"when": object()}, max_attempts=0)

    assert set(refused.value.errors) == {"name", "payload", "max_attempts"}
    assert (await queue.list()).total == 0


async def test_a_failing_job_is_retried_with_back_off_then_dead(queue: SaqQueue, settings: Settings) -> None:
    async def broken(ctx: JobContext) -> None:
        raise RuntimeError(f"mail server down (attempt {ctx.attempt})")

    handlers = {"test.broken": JobHandler("test.broken", broken)}
    job_id = await queue.enqueue("test.broken", max_attempts=3)

    failed_at = datetime.now(UTC)
    assert await drain(settings, handlers) == 1
    first = await queue.get(job_id)
    assert (first.state, first.attempts) == ("retrying", 1)
    assert first.last_error == "RuntimeError: mail server down (attempt 1)"
    assert timedelta(seconds=RETRY_DELAY) <= first.run_at - failed_at < timedelta(seconds=RETRY_DELAY + 1.5)
    assert await drain(settings, handlers) == 0, "a retry does not run before its back-off is over"

    await _sleep_until(first.run_at)
    failed_at = datetime.now(UTC)
    assert await drain(settings, handlers) == 1
    second = await queue.get(job_id)
    assert (second.state, second.attempts) == ("retrying", 2)
    assert second.run_at - failed_at >= timedelta(seconds=2 * RETRY_DELAY), "the second wait is twice the first"

    await _sleep_until(second.run_at)
    assert await drain(settings, handlers) == 1
    dead = await queue.get(job_id)
    assert (dead.state, dead.attempts, dead.max_attempts) == ("dead", 3, 3)
    assert dead.last_error == "RuntimeError: mail server down (attempt 3)"
    assert dead.finished_at is not None
    listed = await queue.list("dead")
    assert [(j.id, j.last_error) for j in listed.jobs] == [(job_id, dead.last_error)]
    assert listed.counts["dead"] == 1 and listed.counts["retrying"] == 0
    await asyncio.sleep(2 * RETRY_DELAY)
    assert await drain(settings, handlers) == 0, "a dead job is never picked up again"


async def test_progress_is_visible_while_the_job_runs(queue: SaqQueue, settings: Settings) -> None:
    reached, finish = asyncio.Event(), asyncio.Event()

    async def steps(ctx: JobContext) -> None:
        await ctx.progress(40, "copying files")
        reached.set()
        await finish.wait()

    worker = make_worker(settings, {"test.steps": JobHandler("test.steps", steps)}, name="stepper")
    job_id = await queue.enqueue("test.steps")
    running = asyncio.create_task(worker.run_until_idle())
    await asyncio.wait_for(reached.wait(), 10)

    during = await queue.get(job_id)
    assert (during.state, during.progress, during.progress_message) == ("running", 40, "copying files")
    assert during.locked_by == "stepper" and during.locked_until is not None
    assert (await queue.list("running")).total == 1
    finish.set()
    assert await running == 1
    assert (await queue.get(job_id)).progress == 100


async def test_a_long_job_keeps_its_claim_with_heartbeats(queue: SaqQueue, settings: Settings) -> None:
    started = asyncio.Event()

    async def slow(ctx: JobContext) -> None:
        started.set()
        await asyncio.sleep(3)

    async def quick(ctx: JobContext) -> None:
        pass

    handlers = {"test.slow": JobHandler("test.slow", slow), "test.orphan": JobHandler("test.orphan", quick)}
    job_id = await queue.enqueue("test.slow")
    running = asyncio.create_task(make_worker(settings, handlers).run_until_idle())
    await started.wait()
    orphan_id = await queue.enqueue("test.orphan")
    store = await queue.store()
    orphan = await store.dequeue(timeout=5)  # taken by a "worker" that then never sends a heartbeat
    assert orphan is not None
    await asyncio.sleep(2.2)  # past the 1 s heartbeat limit: only the heartbeats keep the slow job

    swept = await store.sweep(abort=0.1)

    assert swept == [orphan.key], "the silent job is taken for lost, the job whose worker is alive is not"
    lost = await queue.get(orphan_id)
    assert lost.state == "queued", "queued again (a bare dequeue counts no attempt; a worker's lost attempt does)"
    assert lost.last_error.startswith("Lost:")
    ran = await running
    if ran == 1:  # the orphan's retry was not due yet when the slow job ended
        await asyncio.sleep(RETRY_DELAY + 0.1)
        ran += await make_worker(settings, handlers).run_until_idle()
    assert ran == 2, "the slow job, then the orphan"
    job = await queue.get(job_id)
    assert (job.state, job.attempts) == ("succeeded", 1)
    assert (await queue.get(orphan_id)).state == "succeeded"


async def test_a_queued_job_can_be_cancelled_and_retried(queue: SaqQueue, settings: Settings) -> None:
    runs: Counter[int] = Counter()
    handlers = recording("test.noop", runs)
    waiting = await queue.enqueue("test.noop", key="cancel-me")

    await queue.cancel(waiting)
    assert (await queue.get(waiting)).state == "cancelled"
    assert await drain(settings, handlers) == 0, "a cancelled job does not run"
    with pytest.raises(PanelError, match="cancelled job cannot be cancelled"):
        await queue.cancel(waiting)
    assert (await queue.list("cancelled")).counts["cancelled"] == 1

    await queue.retry(waiting)
    again = await queue.get(waiting)
    assert (again.state, again.attempts) == ("queued", 0)
    assert await drain(settings, handlers) == 1
    assert runs == Counter({waiting: 1})
    with pytest.raises(PanelError, match="succeeded job cannot be retried"):
        await queue.retry(waiting)
    with pytest.raises(PanelError, match="no such job"):
        await queue.cancel(waiting + 1000)


async def test_two_workers_run_each_job_exactly_once(queue: SaqQueue, settings: Settings) -> None:
    runs: Counter[int] = Counter()
    handlers = recording("test.count", runs)
    ids = [await queue.enqueue("test.count", {"i": i}) for i in range(12)]
    one, two = make_worker(settings, handlers, name="one"), make_worker(settings, handlers, name="two")

    ran = await asyncio.gather(one.run_until_idle(), two.run_until_idle())

    assert sum(ran) == 12
    assert runs == Counter(dict.fromkeys(ids, 1))
    assert (await queue.list()).counts["succeeded"] == 12


async def test_a_job_without_handler_fails_clearly(queue: SaqQueue, settings: Settings) -> None:
    job_id = await queue.enqueue("nobody.knows", max_attempts=1)

    assert await drain(settings, {}) == 1

    job = await queue.get(job_id)
    assert job.state == "dead"
    assert "No handler is registered for job 'nobody.knows'" in job.last_error


async def test_saq_needs_a_postgresql_url(tmp_path: Path) -> None:
    on_sqlite = job_settings(f"sqlite:///{tmp_path / 'panel.sqlite3'}", tmp_path, "saq", PANEL_CORE_JOBS_SAQ_URL="")
    on_postgres = job_settings("postgresql://u@db.example/panel", tmp_path, "saq", PANEL_CORE_JOBS_SAQ_URL="")

    with pytest.raises(SettingsError, match="PANEL_CORE_JOBS_SAQ_URL"):
        queue_for(on_sqlite)
    found = queue_for(on_postgres)
    assert isinstance(found, SaqQueue) and found.url == "postgresql://u@db.example/panel"


async def _sleep_until(when: datetime) -> None:
    await asyncio.sleep(max((when - datetime.now(UTC)).total_seconds(), 0) + 0.05)
    assert time.time() >= when.timestamp()
