"""The SAQ backend: jobs live in SAQ's queue on PostgreSQL, shared by every machine.

SAQ ("Simple Async Queue", PyPI `saq`) stores one row per job in `panel_saq_jobs`
(its own schema, created and migrated by SAQ on first connect) with the job as JSON,
and its workers dequeue with `FOR UPDATE SKIP LOCKED` and LISTEN/NOTIFY. This module
maps our `JobQueue` onto it:

- a job's SAQ key is `key:<idempotency key>` (or `job:<random>`), so a key is queued
  once; our id is the row's `lock_key` serial, an integer like the embedded ids;
- finished jobs are kept (`ttl=0`), so a used key answers the same job for ever;
- our states are read from SAQ's: queued (retrying once an attempt failed), active
  (running), complete (succeeded), failed (dead), aborted (cancelled by staff, or dead
  when SAQ's sweep gave up on a lost last attempt);
- SAQ's `retries` is our `max_attempts`; after a failed attempt the job waits
  `retry_delay * 2**(n-1)` seconds (rounded up to the second SAQ schedules by);
- a running job sends a heartbeat every third of `lease_seconds`; when its worker
  dies, SAQ's sweep (in any live worker) sees the missed heartbeat and queues the job
  again, counting the lost attempt. The worker is `panel.core.jobs.saq_worker`.

Connections are a psycopg pool per event loop (a pool belongs to the loop that opened
it); `close_stores()` closes the current loop's.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import uuid
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import AsyncConnection
from psycopg.sql import SQL, Composable, Composed
from psycopg_pool import AsyncConnectionPool
from saq import Job, Status
from saq.queue.postgres import PostgresQueue

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
    JobPage,
    JobView,
    backoff_seconds,
    check_job,
)
from panel.errors import NotFound, PanelError

QUEUE_NAME = "panel"
JOBS_TABLE, STATS_TABLE, VERSIONS_TABLE = "panel_saq_jobs", "panel_saq_stats", "panel_saq_versions"
KEY_LOCKS = 1785684595  # advisory-lock space ("jobs") that serialises enqueues of one key
LOST = "Lost: the worker running this job stopped before it finished (no heartbeat)."
BY_KEY = SQL("key = %(key)s")
BY_ID = SQL("lock_key = %(id)s")

# Our state from SAQ's status column (and, for two of them, the job's JSON); the same rule as `state_of`.
STATE_SQL = SQL(
    """CASE status
  WHEN 'active' THEN 'running' WHEN 'aborting' THEN 'running'
  WHEN 'complete' THEN 'succeeded' WHEN 'failed' THEN 'dead'
  WHEN 'aborted' THEN CASE WHEN convert_from(job, 'UTF8')::jsonb -> 'meta' ? 'cancelled'
    THEN 'cancelled' ELSE 'dead' END
  ELSE CASE WHEN COALESCE((convert_from(job, 'UTF8')::jsonb ->> 'attempts')::int, 0) > 0
    THEN 'retrying' ELSE 'queued' END
END"""
)


def state_of(job: Job) -> str:
    """Our state of a SAQ job."""
    if job.status in (Status.ACTIVE, Status.ABORTING):
        return RUNNING
    if job.status == Status.COMPLETE:
        return SUCCEEDED
    if job.status == Status.FAILED:
        return DEAD
    if job.status == Status.ABORTED:
        return CANCELLED if "cancelled" in job.meta else DEAD
    return RETRYING if job.attempts else QUEUED


def token_of(job: Job) -> str:
    """What fences a running attempt's writes: its worker and attempt number."""
    return f"{job.worker_id}#{job.attempts}"


def _when(millis: int) -> datetime | None:
    return datetime.fromtimestamp(millis / 1000, UTC) if millis else None


def _summary(error: str | None) -> str:
    """The last line of a traceback (`RuntimeError: refused`), or the message itself."""
    lines = [line for line in (error or "").strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _view(job_id: int, job: Job) -> JobView:
    state = state_of(job)
    meta = job.meta
    created = _when(job.queued) or datetime.now(UTC)
    touched = _when(job.touched)
    return JobView(
        id=job_id,
        name=job.function,
        payload=dict((job.kwargs or {}).get("payload") or {}),
        idempotency_key=meta.get("idempotency_key"),
        state=state,
        attempts=job.attempts,
        max_attempts=job.retries,
        run_at=datetime.fromtimestamp(job.scheduled, UTC) if job.scheduled else created,
        locked_by=job.worker_id or "",
        locked_until=touched + timedelta(seconds=job.heartbeat) if state == RUNNING and touched else None,
        progress=round(job.progress * 100),
        progress_message=str(meta.get("progress_message", "")),
        last_error=str(meta.get("last_error") or _summary(job.error)),
        created_at=created,
        started_at=_when(job.started),
        finished_at=_when(job.completed),
    )


# -- connections: one SAQ queue (and pool) per URL and event loop ---------------------------

POOL_SIZE = 10
KEYED_AT_ONCE = 4  # a keyed enqueue holds two connections: at most this many at once, so they never starve


@dataclass
class _Store:
    queue: PostgresQueue
    keyed: asyncio.Semaphore


_STORES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Store]] = weakref.WeakKeyDictionary()
_OPENING: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


async def _store_for(url: str) -> _Store:
    loop = asyncio.get_running_loop()
    stores = _STORES.setdefault(loop, {})
    async with _OPENING.setdefault(loop, asyncio.Lock()):
        store = stores.get(url)
        if store is None:
            pool = AsyncConnectionPool(
                url, min_size=1, max_size=POOL_SIZE, open=False, kwargs={"autocommit": True}, name="panel-jobs"
            )
            queue = PostgresQueue(
                pool=pool,
                name=QUEUE_NAME,
                min_size=1,
                max_size=POOL_SIZE,
                swept_error_message=LOST,
                manage_pool_lifecycle=True,
                jobs_table=JOBS_TABLE,
                stats_table=STATS_TABLE,
                versions_table=VERSIONS_TABLE,
            )
            store = stores[url] = _Store(queue, asyncio.Semaphore(KEYED_AT_ONCE))
        if not store.queue._connected:
            await _connect_once_migrated(url, store.queue)
    return store


CREATE_LOCK = 0x70616E656C  # "panel": our advisory lock around SAQ's first connect


async def _connect_once_migrated(url: str, queue: PostgresQueue) -> None:
    """Connect the queue (which creates SAQ's tables the first time), one process or loop at a time.

    SAQ's own guard is a *try* lock: a second connection arriving while the first
    still creates the tables goes on without them ("relation does not exist"). A
    blocking advisory lock of our own makes it wait until they exist.
    """
    async with await AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("SELECT pg_advisory_lock(%s)", (CREATE_LOCK,))
        try:
            await queue.connect()
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (CREATE_LOCK,))


async def store_for(url: str) -> PostgresQueue:
    """The connected SAQ queue at `url` for the running event loop (made on first use)."""
    return (await _store_for(url)).queue


async def close_stores() -> None:
    """Close the SAQ connections opened in the running event loop (app shutdown, CLI end, tests)."""
    for store in _STORES.pop(asyncio.get_running_loop(), {}).values():
        with contextlib.suppress(Exception):
            await store.queue._listener.close()  # the LISTEN connection of idle workers
        await store.queue.disconnect()


class SaqQueue:
    """The `JobQueue` on SAQ's PostgreSQL queue.

    Args:
        url: the PostgreSQL URL of SAQ's tables.
        lease_seconds: how long a running job may go without a heartbeat before SAQ's
            sweep takes it for lost and queues it again (whole seconds, at least one).
        retry_delay: seconds before the first retry; each later one waits twice as long.
    """

    def __init__(self, url: str, lease_seconds: float = 60.0, retry_delay: float = 10.0) -> None:
        self.url = url
        self.heartbeat = max(1, math.ceil(lease_seconds))
        self.retry_delay = retry_delay

    async def store(self) -> PostgresQueue:
        """SAQ's queue object for this event loop."""
        return await store_for(self.url)

    def retry_wait(self, attempt: int) -> float:
        """Seconds from now until the retry after failed attempt `attempt`, to SAQ's whole second."""
        now = time.time()
        return math.ceil(now + backoff_seconds(self.retry_delay, attempt)) - now + 0.01

    # -- reading SAQ's table ---------------------------------------------------------------

    def _sql(self, store: PostgresQueue, text: str, **parts: Composable) -> Composed:
        return SQL(text).format(jobs=store.jobs_table, **parts)

    async def _fetch(
        self, conn: AsyncConnection[Any], store: PostgresQueue, where: SQL, args: Mapping[str, Any], lock: bool = False
    ) -> tuple[int, Job] | None:
        query = self._sql(
            store,
            "SELECT lock_key, job, status FROM {jobs} WHERE queue = %(queue)s AND {where}{lock}",
            where=where,
            lock=SQL(" FOR UPDATE" if lock else ""),
        )
        cursor = await conn.execute(query, {"queue": store.name, **args})
        row = await cursor.fetchone()
        if row is None:
            return None
        job = store.deserialize(row[1], row[2])
        assert job is not None
        return int(row[0]), job

    async def _locked(self, conn: AsyncConnection[Any], store: PostgresQueue, job_id: int) -> Job:
        found = await self._fetch(conn, store, BY_ID, {"id": job_id}, lock=True)
        if found is None:
            raise NotFound("There is no such job.")
        return found[1]

    async def id_of(self, key: str) -> int | None:
        """Our id of the job with this SAQ key."""
        store = await self.store()
        async with store.pool.connection() as conn:
            found = await self._fetch(conn, store, BY_KEY, {"key": key})
        return found[0] if found else None

    # -- the interface -----------------------------------------------------------------------

    async def enqueue(
        self,
        name: str,
        payload: Mapping[str, Any] | None = None,
        key: str | None = None,
        run_at: datetime | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> int:
        """Queue a job (committed at once); a key already used answers its job, finished or not."""
        body = check_job(name, payload, key, max_attempts)
        store = await self.store()
        job = Job(
            function=name,
            kwargs={"payload": body},
            key=f"key:{key}" if key is not None else f"job:{uuid.uuid4().hex}",
            timeout=0,  # no time limit, as on the embedded backend; the heartbeat finds lost workers
            heartbeat=self.heartbeat,
            retries=max_attempts,
            retry_delay=backoff_seconds(self.retry_delay, 1),
            ttl=0,  # keep finished jobs (and so their keys)
            scheduled=math.ceil(run_at.timestamp()) if run_at else 0,
            meta={"idempotency_key": key} if key is not None else {},
        )
        if key is None:
            await store.enqueue(job)
        else:
            # SAQ would queue a finished job's key again: look first, one enqueuer per key at a time
            async with (await _store_for(self.url)).keyed, store.pool.connection() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (KEY_LOCKS, job.key))
                found = await self._fetch(conn, store, BY_KEY, {"key": job.key})
                if found is None:
                    await store.enqueue(job)  # on another connection, committed before our lock goes
        job_id = await self.id_of(job.key)
        if job_id is None:  # pragma: no cover - SAQ inserted it just now
            raise PanelError("the job could not be queued")
        return job_id

    async def get(self, job_id: int) -> JobView:
        """One job."""
        store = await self.store()
        async with store.pool.connection() as conn:
            found = await self._fetch(conn, store, BY_ID, {"id": job_id})
        if found is None:
            raise NotFound("There is no such job.")
        return _view(*found)

    async def list(self, state: str = "", limit: int = 50, offset: int = 0) -> JobPage:
        """A page of jobs newest first, and how many there are in each state (three queries)."""
        store = await self.store()
        where: Composable = SQL("queue = %(queue)s")
        if state in STATES:
            where = SQL("{} AND {} = %(state)s").format(where, STATE_SQL)
        args = {"queue": store.name, "state": state, "limit": limit, "offset": offset}
        async with store.pool.connection() as conn:
            cursor = await conn.execute(
                self._sql(
                    store,
                    "SELECT lock_key, job, status FROM {jobs} WHERE {where}"
                    " ORDER BY lock_key DESC LIMIT %(limit)s OFFSET %(offset)s",
                    where=where,
                ),
                args,
            )
            rows = await cursor.fetchall()
            count = self._sql(store, "SELECT count(*) FROM {jobs} WHERE {where}", where=where)
            cursor = await conn.execute(count, args)
            total = await cursor.fetchone()
            per_state = self._sql(
                store, "SELECT {state}, count(*) FROM {jobs} WHERE queue = %(queue)s GROUP BY 1", state=STATE_SQL
            )
            cursor = await conn.execute(per_state, args)
            counts: dict[str, int] = dict(await cursor.fetchall())
        jobs = []
        for lock_key, data, status in rows:
            job = store.deserialize(data, status)
            assert job is not None
            jobs.append(_view(int(lock_key), job))
        return JobPage(jobs, int(total[0]) if total else 0, {s: int(counts.get(s, 0)) for s in STATES})

    async def retry(self, job_id: int) -> None:
        """Run a retrying, dead or cancelled job again now, with a fresh set of attempts."""
        store = await self.store()
        async with store.pool.connection() as conn, conn.transaction():
            job = await self._locked(conn, store, job_id)
            state = state_of(job)
            if state not in (RETRYING, DEAD, CANCELLED):
                raise PanelError(f"A {state} job cannot be retried.")
            job.meta.pop("cancelled", None)
            job.meta.pop("progress_message", None)
            job.attempts, job.progress, job.started, job.completed = 0, 0.0, 0, 0
            job.scheduled = int(time.time())
            job.retry_delay = backoff_seconds(self.retry_delay, 1)
            await store.update(job, status=Status.QUEUED, expire_at=None, connection=conn)

    async def cancel(self, job_id: int) -> None:
        """Cancel a job that waits to run."""
        store = await self.store()
        async with store.pool.connection() as conn, conn.transaction():
            job = await self._locked(conn, store, job_id)
            state = state_of(job)
            if state not in WAITING:
                raise PanelError(f"A {state} job cannot be cancelled; only a waiting one can.")
            job.meta["cancelled"] = True
            await store.finish(job, Status.ABORTED, error=job.error, connection=conn)

    async def report_progress(self, job_id: int, token: str, percent: int, message: str = "") -> None:
        """Record progress of a running attempt (`token` from `token_of`); any other changes nothing."""
        store = await self.store()
        async with store.pool.connection() as conn, conn.transaction():
            job = await self._locked(conn, store, job_id)
            if job.status != Status.ACTIVE or token_of(job) != token:
                return
            job.progress = max(0, min(100, int(percent))) / 100
            job.meta["progress_message"] = message[:200]
            await store.update(job, connection=conn)

    # -- what a worker uses ----------------------------------------------------------------

    async def write_held(self, job: Job) -> bool:
        """Store a running job as this worker holds it (progress, heartbeat); False if the attempt was lost."""
        store = await self.store()
        async with store.pool.connection() as conn, conn.transaction():
            found = await self._fetch(conn, store, BY_KEY, {"key": job.key}, lock=True)
            if found is None or found[1].status != Status.ACTIVE or token_of(found[1]) != token_of(job):
                return False
            await store.update(job, connection=conn)
        return True
