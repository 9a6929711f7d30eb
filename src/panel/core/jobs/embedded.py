"""The embedded backend: jobs live in the panel's own database (SQLite or PostgreSQL).

Every state change is one conditional UPDATE that names the state (and, for a
running job, the lease token) it expects, so two workers never both win a job and a
worker that lost its lease cannot overwrite what the next one did.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.columns.combination import Where
from piccolo.query.functions.aggregate import Count

from panel.core import db
from panel.core.jobs.queue import (
    CANCELLED,
    DEAD,
    DEFAULT_MAX_ATTEMPTS,
    QUEUED,
    RETRYING,
    RUNNING,
    STATES,
    SUCCEEDED,
    WAITING,
    Claimed,
    JobPage,
    JobView,
    backoff_seconds,
    check_job,
)
from panel.core.jobs.tables import Job
from panel.errors import NotFound, PanelError


def utcnow() -> datetime:
    """The current time in UTC (what every job column holds)."""
    return datetime.now(UTC)


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = json.loads(value or "{}")
    return dict(value or {})


def _view(row: Mapping[str, Any]) -> JobView:
    return JobView(
        id=row["id"],
        name=row["name"],
        payload=_json(row["payload"]),
        idempotency_key=row["idempotency_key"],
        state=row["state"],
        attempts=row["attempts"],
        max_attempts=row["max_attempts"],
        run_at=row["run_at"],
        locked_by=row["locked_by"],
        locked_until=row["locked_until"],
        progress=row["progress"],
        progress_message=row["progress_message"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )


def _claimable(now: datetime) -> Where | Any:
    """Waiting jobs that are due, and running jobs whose lease ran out (their worker died)."""
    due = Job.state.is_in(list(WAITING)) & (Job.run_at <= now)
    lost = (Job.state == RUNNING) & (Job.locked_until < now)
    return due | lost


class EmbeddedQueue:
    """The `JobQueue` on the panel's database.

    Args:
        lease_seconds: how long a claim lasts without a heartbeat; after that the job
            is claimed again by another worker.
        retry_delay: seconds before the first retry; each later one waits twice as long
            (capped at an hour).
    """

    def __init__(self, lease_seconds: float = 60.0, retry_delay: float = 10.0) -> None:
        self.lease = timedelta(seconds=lease_seconds)
        self.retry_delay = retry_delay

    def backoff(self, attempt: int) -> timedelta:
        """The wait after failed attempt number `attempt` (1-based): retry_delay * 2**(attempt-1)."""
        return timedelta(seconds=backoff_seconds(self.retry_delay, attempt))

    # -- the interface ------------------------------------------------------------------

    async def enqueue(
        self,
        name: str,
        payload: Mapping[str, Any] | None = None,
        key: str | None = None,
        run_at: datetime | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> int:
        """Queue a job; a key already used answers the job that has it."""
        body = json.dumps(check_job(name, payload, key, max_attempts))
        now = utcnow()
        row = Job(
            name=name,
            payload=body,
            idempotency_key=key,
            state=QUEUED,
            max_attempts=max_attempts,
            run_at=run_at.astimezone(UTC) if run_at else now,
            created_at=now,
            updated_at=now,
        )
        async with db.write_transaction():
            query = Job.insert(row)
            if key is not None:
                query = query.on_conflict(target=Job.idempotency_key, action="DO NOTHING")
            inserted = await query.returning(Job.id)
            if inserted:
                return int(inserted[0]["id"])
            existing = await Job.select(Job.id).where(Job.idempotency_key == key).first()
        if existing is None:  # pragma: no cover - the conflict proves the row exists
            raise PanelError("the job could not be queued")
        return int(existing["id"])

    async def get(self, job_id: int) -> JobView:
        """One job."""
        row = await Job.select().where(Job.id == job_id).first()
        if row is None:
            raise NotFound("There is no such job.")
        return _view(row)

    async def list(self, state: str = "", limit: int = 50, offset: int = 0) -> JobPage:
        """A page of jobs newest first, and how many there are in each state (three queries)."""
        query = Job.select().order_by(Job.id, ascending=False).limit(limit).offset(offset)
        total_query = Job.count()
        if state in STATES:
            query = query.where(Job.state == state)
            total_query = total_query.where(Job.state == state)
        rows = await query
        counts = {r["state"]: r["n"] for r in await Job.select(Job.state, Count(alias="n")).group_by(Job.state)}
        return JobPage([_view(r) for r in rows], await total_query, {s: counts.get(s, 0) for s in STATES})

    async def retry(self, job_id: int) -> None:
        """Run a retrying, dead or cancelled job again now, with a fresh set of attempts."""
        now = utcnow()
        async with db.write_transaction():
            done = await (
                Job.update(
                    {
                        Job.state: QUEUED,
                        Job.attempts: 0,
                        Job.run_at: now,
                        Job.locked_by: "",
                        Job.locked_until: None,
                        Job.progress: 0,
                        Job.progress_message: "",
                        Job.finished_at: None,
                        Job.updated_at: now,
                    }
                )
                .where((Job.id == job_id) & Job.state.is_in([RETRYING, DEAD, CANCELLED]))
                .returning(Job.id)
            )
        if not done:
            job = await self.get(job_id)
            raise PanelError(f"A {job.state} job cannot be retried.")

    async def cancel(self, job_id: int) -> None:
        """Cancel a job that waits to run."""
        now = utcnow()
        async with db.write_transaction():
            done = await (
                Job.update({Job.state: CANCELLED, Job.finished_at: now, Job.updated_at: now})
                .where((Job.id == job_id) & Job.state.is_in(list(WAITING)))
                .returning(Job.id)
            )
        if not done:
            job = await self.get(job_id)
            raise PanelError(f"A {job.state} job cannot be cancelled; only a waiting one can.")

    async def report_progress(self, job_id: int, token: str, percent: int, message: str = "") -> None:
        """Record progress and extend the lease; a worker that lost the job changes nothing."""
        now = utcnow()
        async with db.write_transaction():
            await Job.update(
                {
                    Job.progress: max(0, min(100, int(percent))),
                    Job.progress_message: message[:200],
                    Job.locked_until: now + self.lease,
                    Job.updated_at: now,
                }
            ).where(self._held(job_id, token))

    # -- what a worker uses ---------------------------------------------------------------

    def _held(self, job_id: int, token: str) -> Any:
        return (Job.id == job_id) & (Job.state == RUNNING) & (Job.locked_by == token)

    async def claim(self, worker_id: str, batch: int = 10) -> Claimed | None:
        """Take the next due job (or one whose lease ran out) for this worker; None if there is none.

        The UPDATE repeats the state and attempt count it read: of two workers racing
        for one job exactly one changes a row, the other moves on to the next.
        """
        now = utcnow()
        candidates = (
            await Job.select(Job.id, Job.state, Job.attempts, Job.max_attempts)
            .where(_claimable(now))
            .order_by(Job.run_at)
            .order_by(Job.id)
            .limit(batch)
        )
        for c in candidates:
            same = (Job.id == c["id"]) & (Job.state == c["state"]) & (Job.attempts == c["attempts"])
            if c["state"] == RUNNING:
                lost = f"Attempt {c['attempts']} was lost: its worker stopped before finishing (lease expired)."
                if c["attempts"] >= c["max_attempts"]:
                    async with db.write_transaction():
                        await Job.update(
                            {Job.state: DEAD, Job.last_error: lost, Job.finished_at: now, Job.updated_at: now}
                        ).where(same & _claimable(now))
                    continue
            token = f"{worker_id}/{uuid.uuid4().hex[:12]}"
            values: dict[Any, Any] = {
                Job.state: RUNNING,
                Job.attempts: c["attempts"] + 1,
                Job.locked_by: token,
                Job.locked_until: now + self.lease,
                Job.started_at: now,
                Job.progress: 0,
                Job.progress_message: "",
                Job.updated_at: now,
            }
            if c["state"] == RUNNING:
                values[Job.last_error] = lost
            async with db.write_transaction():
                won = await Job.update(values).where(same & _claimable(now)).returning(Job.id)
            if won:
                return Claimed(await self.get(c["id"]), token)
        return None

    async def extend_lease(self, claimed: Claimed) -> bool:
        """Heartbeat of a long job; False when the lease was lost to another worker."""
        now = utcnow()
        async with db.write_transaction():
            kept = await (
                Job.update({Job.locked_until: now + self.lease, Job.updated_at: now})
                .where(self._held(claimed.job.id, claimed.token))
                .returning(Job.id)
            )
        return bool(kept)

    async def complete(self, claimed: Claimed) -> bool:
        """Mark the claimed job succeeded; False if the lease was lost meanwhile."""
        now = utcnow()
        async with db.write_transaction():
            done = await (
                Job.update(
                    {
                        Job.state: SUCCEEDED,
                        Job.progress: 100,
                        Job.locked_until: None,
                        Job.finished_at: now,
                        Job.updated_at: now,
                    }
                )
                .where(self._held(claimed.job.id, claimed.token))
                .returning(Job.id)
            )
        return bool(done)

    async def fail(self, claimed: Claimed, error: str) -> str | None:
        """Record a failed attempt: retrying after back-off, or dead after the last; the new state."""
        now = utcnow()
        attempt = claimed.job.attempts
        values: dict[Any, Any] = {Job.last_error: error[:4000], Job.locked_until: None, Job.updated_at: now}
        if attempt >= claimed.job.max_attempts:
            values.update({Job.state: DEAD, Job.finished_at: now})
        else:
            values.update({Job.state: RETRYING, Job.run_at: now + self.backoff(attempt)})
        async with db.write_transaction():
            done = await Job.update(values).where(self._held(claimed.job.id, claimed.token)).returning(Job.id)
        return str(values[Job.state]) if done else None
