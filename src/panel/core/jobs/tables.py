"""Tables of the embedded job queue: jobs, and the once-per-period guard of scheduled tasks."""

from __future__ import annotations

from piccolo.columns import JSON, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Job(Table, tablename="panel_jobs_job"):
    """One unit of background work and everything the admin area shows about it.

    `state` moves queued -> running -> succeeded, or -> retrying (a failed attempt
    that will run again at `run_at`) -> ... -> dead after `max_attempts`; queued and
    retrying jobs may be cancelled. A running job holds a lease (`locked_by`,
    `locked_until`); when the lease runs out (the worker died) another worker may
    claim it again. `idempotency_key` is unique when given: enqueueing the same key
    twice answers the first job.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    name = Varchar(length=100, index=True)
    payload = JSON(default="{}")
    idempotency_key = Varchar(length=200, null=True, default=None, unique=True)
    state = Varchar(length=16, default="queued", index=True)
    attempts = Integer(default=0)
    max_attempts = Integer(default=5)
    run_at = Timestamptz(default=TimestamptzNow(), index=True)
    locked_by = Varchar(length=100, default="")
    locked_until = Timestamptz(null=True, default=None)
    progress = Integer(default=0)
    progress_message = Varchar(length=200, default="")
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class ScheduleRun(Table, tablename="panel_jobs_schedule_run"):
    """A scheduled task enqueued for one period: the unique pair is what stops a second run."""

    id: Serial

    task = Varchar(length=100)
    period_key = Varchar(length=40)
    run_key = Varchar(length=150, unique=True)  # "<task>@<period_key>": the insert-or-nothing target
    job_id = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
