"""Scheduled tasks: cron expressions from settings, each enqueued once per period.

A period is the latest time the expression fired at or before now. The pair (task,
period) is inserted into `ScheduleRun` insert-or-nothing, in the same transaction as
the job it enqueues, so however many workers tick at once only one enqueues it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from cronsim import CronSim, CronSimError

from panel.core import db
from panel.core.jobs.embedded import EmbeddedQueue, utcnow
from panel.core.jobs.tables import ScheduleRun


def parse_schedule(raw: str) -> dict[str, str]:
    """Read `PANEL_CORE_JOBS_SCHEDULE`: `job.name=CRON` pairs separated by `;`."""
    out: dict[str, str] = {}
    for part in raw.split(";"):
        if not part.strip():
            continue
        name, sep, cron = part.partition("=")
        if not sep or not name.strip() or not cron.strip():
            raise ValueError(f"{part.strip()!r} is not NAME=CRON (e.g. 'billing.renewals=0 3 * * *')")
        out[name.strip()] = cron.strip()
    return out


def validate_schedule(value: Mapping[str, str]) -> None:
    """Every value must be a cron expression of five fields."""
    if not isinstance(value, Mapping):
        raise ValueError("give a table of job name = cron expression")
    for name, cron in value.items():
        try:
            CronSim(str(cron), datetime.now(UTC))
        except CronSimError as exc:
            raise ValueError(f"{name}: {cron!r} is not a cron expression ({exc})") from None


def period_key(cron: str, now: datetime) -> str:
    """The start of the period `now` falls in: the last time `cron` fired at or before now (UTC, minutes)."""
    start = now.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(seconds=1)
    fired: datetime = next(CronSim(cron, start, reverse=True))
    return fired.strftime("%Y-%m-%dT%H:%M")


async def tick(queue: EmbeddedQueue, schedule: Mapping[str, str], now: datetime | None = None) -> list[int]:
    """Enqueue every task whose current period has no run yet; return the new jobs' ids."""
    now = now or utcnow()
    queued: list[int] = []
    for task, cron in schedule.items():
        period = period_key(cron, now)
        async with db.write_transaction():
            claimed = await (
                ScheduleRun.insert(ScheduleRun(task=task, period_key=period, run_key=f"{task}@{period}"))
                .on_conflict(target=ScheduleRun.run_key, action="DO NOTHING")
                .returning(ScheduleRun.id)
            )
            if not claimed:
                continue
            job_id = await queue.enqueue(task, {"period": period}, key=f"schedule:{task}@{period}")
            await ScheduleRun.update({ScheduleRun.job_id: job_id}).where(ScheduleRun.id == claimed[0]["id"])
        queued.append(job_id)
    return queued
