"""Scheduled tasks: once per period however often and by however many workers they are ticked."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import dummy_plugin
import pytest

from panel.core.jobs.embedded import EmbeddedQueue
from panel.core.jobs.queue import JobHandler
from panel.core.jobs.scheduler import parse_schedule, period_key, tick
from panel.core.jobs.tables import Job, ScheduleRun
from panel.core.jobs.worker import Worker

EVERY_5 = {"dummy.touch": "*/5 * * * *"}
AT = datetime(2026, 11, 22, 10, 7, 30, tzinfo=UTC)


def test_a_period_is_the_last_time_the_expression_fired() -> None:
    assert period_key("*/5 * * * *", AT) == "2026-11-22T10:05"
    assert period_key("*/5 * * * *", AT.replace(minute=10, second=0)) == "2026-11-22T10:10"
    assert period_key("0 3 * * *", AT) == "2026-11-22T03:00"


def test_the_schedule_setting_is_read_and_checked() -> None:
    assert parse_schedule("a.b=*/5 * * * *; c.d=0 3 * * *") == {"a.b": "*/5 * * * *", "c.d": "0 3 * * *"}
    with pytest.raises(ValueError, match="NAME=CRON"):
        parse_schedule("no cron here")


async def test_ticking_twice_in_one_period_enqueues_once(queue: EmbeddedQueue) -> None:
    first = await tick(queue, EVERY_5, AT)
    second = await tick(queue, EVERY_5, AT.replace(minute=9))
    racing = await asyncio.gather(*(tick(queue, EVERY_5, AT) for _ in range(3)))
    next_period = await tick(queue, EVERY_5, AT.replace(minute=10))

    assert len(first) == 1
    assert second == [] and racing == [[], [], []]
    assert len(next_period) == 1
    assert await Job.count() == 2
    assert await ScheduleRun.count() == 2
    job = await queue.get(first[0])
    assert (job.name, job.payload) == ("dummy.touch", {"period": "2026-11-22T10:05"})


async def test_a_tick_that_crashed_before_enqueueing_is_completed_by_the_next(queue: EmbeddedQueue) -> None:
    period = period_key(EVERY_5["dummy.touch"], AT)
    # the guard row committed, then the process died before it enqueued the job
    await ScheduleRun.insert(ScheduleRun(task="dummy.touch", period_key=period, run_key=f"dummy.touch@{period}"))

    repaired = await tick(queue, EVERY_5, AT)
    again = await tick(queue, EVERY_5, AT)

    assert len(repaired) == 1 and again == []
    row = await ScheduleRun.select(ScheduleRun.job_id).first()
    assert row is not None and row["job_id"] == repaired[0]
    assert await Job.count() == 1


async def test_the_scheduled_dummy_task_is_safe_to_run_twice(queue: EmbeddedQueue) -> None:
    dummy_plugin.TOUCHED.clear()
    handler = {h.name: h for h in _dummy_handlers()}
    [job_id] = await tick(queue, {"dummy.touch": "0 3 * * *"}, AT)
    worker = Worker(queue, handler)

    assert await worker.run_once()
    after_once = dict(dummy_plugin.TOUCHED)
    # the same period's work once more (as after a crash that lost the first outcome)
    rerun = await queue.enqueue("dummy.touch", (await queue.get(job_id)).payload)
    assert await worker.run_once()

    assert rerun != job_id
    assert after_once == {"": ""}
    assert dummy_plugin.TOUCHED == after_once
    assert {j.state for j in (await queue.list()).jobs} == {"succeeded"}


def _dummy_handlers() -> list[JobHandler]:
    found: list[JobHandler] = []
    dummy_plugin.panel_register_jobs(found.append)
    return found


def test_handlers_bring_default_schedules_that_settings_change_or_turn_off(migrated: str, tmp_path: Any) -> None:
    from support import make_settings

    from panel.core.jobs.services import schedule_of

    async def nothing(ctx: Any) -> None:
        return None

    handlers = {
        "a.daily": JobHandler("a.daily", nothing, schedule="0 3 * * *"),
        "b.hourly": JobHandler("b.hourly", nothing, schedule="5 * * * *"),
        "c.manual": JobHandler("c.manual", nothing),
    }
    plain = make_settings(migrated, tmp_path)
    assert schedule_of(plain, handlers) == {"a.daily": "0 3 * * *", "b.hourly": "5 * * * *"}
    changed = make_settings(migrated, tmp_path, PANEL_CORE_JOBS_SCHEDULE="a.daily=0 6 * * *;b.hourly=off")
    assert schedule_of(changed, handlers) == {"a.daily": "0 6 * * *"}
