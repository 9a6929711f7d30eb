"""The embedded queue and its worker: idempotency, one winner per job, retries, dead letters, lost workers."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest

from panel.core.jobs.embedded import EmbeddedQueue, utcnow
from panel.core.jobs.queue import JobContext, JobHandler
from panel.core.jobs.tables import Job
from panel.core.jobs.worker import Worker
from panel.errors import PanelError, ValidationFailed

from .conftest import LEASE, RETRY_DELAY


def counting(name: str, runs: Counter[int]) -> JobHandler:
    async def run(ctx: JobContext) -> None:
        runs[ctx.job_id] += 1
        await asyncio.sleep(0.01)  # let a second worker try to take the same job meanwhile

    return JobHandler(name, run)


async def test_the_same_idempotency_key_twice_makes_one_job(queue: EmbeddedQueue) -> None:
    first = await queue.enqueue("test.noop", {"n": 1}, key="order-7-provision")
    second = await queue.enqueue("test.noop", {"n": 2}, key="order-7-provision")
    other = await queue.enqueue("test.noop", {"n": 3}, key="order-8-provision")
    unkeyed = [await queue.enqueue("test.noop"), await queue.enqueue("test.noop")]

    assert second == first
    assert other != first
    assert len(set(unkeyed)) == 2
    assert await Job.count() == 4
    assert (await queue.get(first)).payload == {"n": 1}


async def test_enqueue_refuses_what_is_not_a_job(queue: EmbeddedQueue) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await queue.enqueue("", {"when": object()}, max_attempts=0)

    assert set(refused.value.errors) == {"name", "payload", "max_attempts"}
    assert await Job.count() == 0


async def test_two_workers_run_each_job_exactly_once(queue: EmbeddedQueue) -> None:
    runs: Counter[int] = Counter()
    handlers = {"test.count": counting("test.count", runs)}
    ids = [await queue.enqueue("test.count", {"i": i}) for i in range(12)]
    one, two = Worker(queue, handlers, name="one"), Worker(queue, handlers, name="two")

    ran = await asyncio.gather(one.run_until_idle(), two.run_until_idle())

    assert sum(ran) == 12
    assert runs == Counter(dict.fromkeys(ids, 1))
    assert {j.state for j in (await queue.list()).jobs} == {"succeeded"}


async def test_of_two_workers_claiming_one_job_only_one_wins(queue: EmbeddedQueue) -> None:
    job_id = await queue.enqueue("test.count")

    claims = await asyncio.gather(*(queue.claim(f"w{i}") for i in range(4)))

    winners = [c for c in claims if c is not None]
    assert len(winners) == 1
    job = await queue.get(job_id)
    assert (job.state, job.attempts, job.locked_by) == ("running", 1, winners[0].token)


async def test_a_failing_job_is_retried_with_back_off_then_dead(queue: EmbeddedQueue) -> None:
    async def broken(ctx: JobContext) -> None:
        raise RuntimeError(f"mail server down (attempt {ctx.attempt})")

    worker = Worker(queue, {"test.broken": JobHandler("test.broken", broken)})
    job_id = await queue.enqueue("test.broken", max_attempts=3)

    before = utcnow()
    assert await worker.run_once()
    first = await queue.get(job_id)
    assert (first.state, first.attempts) == ("retrying", 1)
    assert first.last_error == "RuntimeError: mail server down (attempt 1)"
    assert timedelta(seconds=RETRY_DELAY) <= first.run_at - before < timedelta(seconds=RETRY_DELAY + 1)
    assert not await worker.run_once(), "a retry does not run before its back-off is over"

    await asyncio.sleep(RETRY_DELAY + 0.05)
    before = utcnow()
    assert await worker.run_once()
    second = await queue.get(job_id)
    assert (second.state, second.attempts) == ("retrying", 2)
    assert timedelta(seconds=2 * RETRY_DELAY) <= second.run_at - before, "the second wait is twice the first"

    await asyncio.sleep(2 * RETRY_DELAY + 0.05)
    assert await worker.run_once()
    dead = await queue.get(job_id)
    assert (dead.state, dead.attempts) == ("dead", 3)
    assert dead.last_error == "RuntimeError: mail server down (attempt 3)"
    assert dead.finished_at is not None
    await asyncio.sleep(8 * RETRY_DELAY)
    assert not await worker.run_once(), "a dead job is never picked up again"


async def test_a_job_whose_worker_died_is_run_again_by_another(queue: EmbeddedQueue) -> None:
    done: dict[str, int] = {}

    async def provision(ctx: JobContext) -> None:
        done[ctx.payload["service"]] = ctx.attempt  # set, not add: a second run changes nothing

    handlers = {"test.provision": JobHandler("test.provision", provision)}
    job_id = await queue.enqueue("test.provision", {"service": "svc-1"})
    lost = await queue.claim("crashed-worker")  # claimed, then the process died: it never finishes
    assert lost is not None
    survivor = Worker(queue, handlers, name="survivor")

    assert not await survivor.run_once(), "the lease still holds"
    await asyncio.sleep(LEASE + 0.1)
    assert await survivor.run_once()

    job = await queue.get(job_id)
    assert (job.state, job.attempts) == ("succeeded", 2)
    assert job.locked_by.startswith("survivor/")
    assert "lost" in job.last_error
    assert done == {"svc-1": 2}
    assert not await queue.complete(lost), "the dead worker's late answer is ignored"
    assert await queue.fail(lost, "late failure") is None
    assert (await queue.get(job_id)).state == "succeeded"


async def test_a_lost_last_attempt_makes_the_job_dead(queue: EmbeddedQueue) -> None:
    job_id = await queue.enqueue("test.provision", max_attempts=1)
    assert await queue.claim("crashed-worker") is not None
    await asyncio.sleep(LEASE + 0.1)

    assert await queue.claim("next-worker") is None
    job = await queue.get(job_id)
    assert (job.state, job.attempts) == ("dead", 1)
    assert "lease expired" in job.last_error


async def test_a_long_job_keeps_its_lease_with_heartbeats(queue: EmbeddedQueue) -> None:
    started = asyncio.Event()

    async def slow(ctx: JobContext) -> None:
        started.set()
        await asyncio.sleep(LEASE * 3)

    handlers = {"test.slow": JobHandler("test.slow", slow)}
    job_id = await queue.enqueue("test.slow")
    running = asyncio.create_task(Worker(queue, handlers, name="slow").run_once())
    await started.wait()
    await asyncio.sleep(LEASE * 1.5)

    assert await queue.claim("thief") is None, "a job whose worker is alive is not taken over"
    await running
    assert (await queue.get(job_id)).attempts == 1


async def test_a_job_without_handler_fails_clearly(queue: EmbeddedQueue) -> None:
    job_id = await queue.enqueue("nobody.knows", max_attempts=1)

    assert await Worker(queue, {}).run_once()

    job = await queue.get(job_id)
    assert job.state == "dead"
    assert "No handler is registered for job 'nobody.knows'" in job.last_error


async def test_progress_is_recorded_while_running(queue: EmbeddedQueue) -> None:
    seen: list[tuple[int, str]] = []

    async def steps(ctx: JobContext) -> None:
        await ctx.progress(40, "copying files")
        job = await queue.get(ctx.job_id)
        seen.append((job.progress, job.progress_message))

    job_id = await queue.enqueue("test.steps")
    await Worker(queue, {"test.steps": JobHandler("test.steps", steps)}).run_once()

    assert seen == [(40, "copying files")]
    assert (await queue.get(job_id)).progress == 100


async def test_cancel_and_retry(queue: EmbeddedQueue) -> None:
    waiting = await queue.enqueue("test.noop")
    await queue.cancel(waiting)
    assert (await queue.get(waiting)).state == "cancelled"
    assert await queue.claim("w") is None, "a cancelled job does not run"

    await queue.retry(waiting)
    again = await queue.get(waiting)
    assert (again.state, again.attempts) == ("queued", 0)

    claimed = await queue.claim("w")
    assert claimed is not None
    with pytest.raises(PanelError, match="running job cannot be cancelled"):
        await queue.cancel(waiting)
    await queue.complete(claimed)
    with pytest.raises(PanelError, match="succeeded job cannot be retried"):
        await queue.retry(waiting)
    with pytest.raises(PanelError, match="no such job"):
        await queue.cancel(waiting + 1000)
