"""The job queue's interface, shared by every backend (embedded, and SAQ on PostgreSQL).

Plugins see only `JobHandler` and `JobContext` (through the `panel_register_jobs`
hook); core code sees `JobQueue`. Nothing here touches the database, so the hook
specs may import it without loading tables.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from panel.errors import ValidationFailed

QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
RETRYING = "retrying"  # a failed attempt; runs again at run_at
DEAD = "dead"  # failed max_attempts times; only staff can retry it
CANCELLED = "cancelled"
STATES = (QUEUED, RUNNING, SUCCEEDED, RETRYING, DEAD, CANCELLED)
WAITING = (QUEUED, RETRYING)
DEFAULT_MAX_ATTEMPTS = 5
MAX_BACKOFF = 3600.0


def backoff_seconds(retry_delay: float, attempt: int) -> float:
    """The wait after failed attempt number `attempt` (1-based): retry_delay * 2**(attempt-1), at most an hour."""
    return float(min(retry_delay * 2 ** max(attempt - 1, 0), MAX_BACKOFF))


def check_job(name: str, payload: Mapping[str, Any] | None, key: str | None, max_attempts: int) -> dict[str, Any]:
    """Refuse what is not a job (`ValidationFailed` naming each field); the payload as a plain dict.

    Every backend checks the same way, so a caller sees the same errors whichever runs.
    """
    errors: dict[str, str] = {}
    if not name or len(name) > 100:
        errors["name"] = "A job needs a name of at most 100 characters."
    if max_attempts < 1:
        errors["max_attempts"] = "A job needs at least one attempt."
    if key is not None and not 0 < len(key) <= 200:
        errors["key"] = "An idempotency key has 1 to 200 characters."
    body = dict(payload or {})
    try:
        json.dumps(body)
    except (TypeError, ValueError):
        errors["payload"] = "The payload must be JSON: strings, numbers, lists and objects."
    if errors:
        raise ValidationFailed(errors)
    return body


class JobContext(Protocol):
    """What a running job is given: its input, which attempt this is, and a way to show progress."""

    job_id: int
    name: str
    payload: Mapping[str, Any]
    attempt: int

    async def progress(self, percent: int, message: str = "") -> None:
        """Record progress (0..100) and a short message; the admin page shows it live."""


@dataclass(frozen=True)
class JobHandler:
    """A named kind of job and the coroutine that runs it.

    `run` must be idempotent: a job may run again after a crash or a lost lease,
    with the same payload. Raise to fail the attempt (it is retried with back-off);
    the exception's text is shown to staff.

    `schedule`, a five-field cron expression (UTC), makes it a scheduled task that
    runs once per period by default; settings may change the expression or turn it
    off (`"off"`).
    """

    name: str
    run: Callable[[JobContext], Awaitable[None]]
    description: str = ""
    schedule: str = ""


@dataclass(frozen=True)
class JobView:
    """One job as the admin area and callers see it."""

    id: int
    name: str
    payload: dict[str, Any]
    idempotency_key: str | None
    state: str
    attempts: int
    max_attempts: int
    run_at: datetime
    locked_by: str
    locked_until: datetime | None
    progress: int
    progress_message: str
    last_error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def can_retry(self) -> bool:
        """Staff may run it again now: it failed, died or was cancelled, or waits for a retry."""
        return self.state in (RETRYING, DEAD, CANCELLED)

    @property
    def can_cancel(self) -> bool:
        """Staff may cancel it: it has not started."""
        return self.state in WAITING


@dataclass(frozen=True)
class JobPage:
    """A page of jobs, newest first."""

    jobs: list[JobView]
    total: int
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Claimed:
    """A job a worker holds the lease of, with the token that fences its writes."""

    job: JobView
    token: str


class JobQueue(Protocol):
    """What every backend offers: `panel.core.jobs.embedded.EmbeddedQueue` and `panel.core.jobs.saq_backend.SaqQueue`.

    Job ids are integers on both. `enqueue` commits on its own: on the SAQ backend it
    cannot join the caller's database transaction (see docs/jobs.md).
    """

    async def enqueue(
        self,
        name: str,
        payload: Mapping[str, Any] | None = None,
        key: str | None = None,
        run_at: datetime | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> int:
        """Queue a job and return its id; an existing `key` returns that job's id, never a second job."""
        ...

    async def get(self, job_id: int) -> JobView:
        """One job; `NotFound` if there is none."""
        ...

    async def list(self, state: str = "", limit: int = 50, offset: int = 0) -> JobPage:
        """Jobs newest first, optionally of one state, with the count per state."""
        ...

    async def retry(self, job_id: int) -> None:
        """Run a retrying, dead or cancelled job again now, with a fresh set of attempts."""
        ...

    async def cancel(self, job_id: int) -> None:
        """Cancel a job that has not started; a running or finished one is refused."""
        ...

    async def report_progress(self, job_id: int, token: str, percent: int, message: str = "") -> None:
        """Record progress of a running job (ignored once the worker lost its lease)."""
        ...
