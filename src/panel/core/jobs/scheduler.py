"""Scheduled tasks: cron expressions from settings, each enqueued once per period.

A period is the latest time the expression fired at or before now. The pair (task,
period) is inserted into `ScheduleRun` insert-or-nothing and committed; only the worker
whose insert won enqueues the job, with the key `schedule:<task>@<period>`, and then
notes the job's id on the row. The enqueue cannot share the insert's transaction (the
SAQ backend keeps jobs in another database), so a crash between the two leaves a row
without a job: the next tick in that period enqueues it then (the key makes that safe
however many workers see the row at once).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from cronsim import CronSim, CronSimError

from panel.core import db
from panel.core.jobs.embedded import utcnow
from panel.core.jobs.queue import JobQueue
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


OFF = "off"
"""A schedule value that turns a handler's default schedule off."""


def validate_schedule(value: Mapping[str, str]) -> None:
    """Every value must be a cron expression of five fields."""
    if not isinstance(value, Mapping):
        raise ValueError("give a table of job name = cron expression")
    for name, cron in value.items():
        if str(cron).strip().lower() == OFF:
            continue
        try:
            CronSim(str(cron), datetime.now(UTC))
        except CronSimError as exc:
            raise ValueError(f"{name}: {cron!r} is not a cron expression ({exc})") from None


def period_key(cron: str, now: datetime) -> str:
    """The start of the period `now` falls in: the last time `cron` fired at or before now (UTC, minutes)."""
    start = now.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(seconds=1)
    fired: datetime = next(CronSim(cron, start, reverse=True))
    return fired.strftime("%Y-%m-%dT%H:%M")


async def tick(queue: JobQueue, schedule: Mapping[str, str], now: datetime | None = None) -> list[int]:
    """Enqueue every task whose current period has no job yet; return the ids this call enqueued.

    Of several workers ticking at once exactly one reports (and enqueues) each job.
    """
    now = now or utcnow()
    queued: list[int] = []
    for task, cron in schedule.items():
        period = period_key(cron, now)
        run_key = f"{task}@{period}"
        async with db.write_transaction():
            won = await (
                ScheduleRun.insert(ScheduleRun(task=task, period_key=period, run_key=run_key))
                .on_conflict(target=ScheduleRun.run_key, action="DO NOTHING")
                .returning(ScheduleRun.id)
            )
        if won:
            row_id = won[0]["id"]
        else:
            row = await (
                ScheduleRun.select(ScheduleRun.id, ScheduleRun.job_id).where(ScheduleRun.run_key == run_key).first()
            )
            if row is None or row["job_id"] is not None:
                continue
            row_id = row["id"]  # a tick crashed after its insert and before its enqueue (or is between them now)
        job_id = await queue.enqueue(task, {"period": period}, key=f"schedule:{run_key}")
        async with db.write_transaction():
            noted = await (
                ScheduleRun.update({ScheduleRun.job_id: job_id})
                .where((ScheduleRun.id == row_id) & ScheduleRun.job_id.is_null())
                .returning(ScheduleRun.id)
            )
        if noted:
            queued.append(job_id)
    return queued
