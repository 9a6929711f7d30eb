"""The kept connections: shared across event loops, handed out in turn, never lost on a timeout."""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
import threading
from pathlib import Path

import pytest

from panel.core.engines import PooledSQLiteEngine
from panel.core.engines.pool import SharedPool


def _pool(size: int) -> tuple[SharedPool[int], list[int]]:
    made: list[int] = []

    async def opener() -> int:
        made.append(len(made) + 1)
        return made[-1]

    async def closer(item: int) -> None:
        made.remove(item)

    return SharedPool(size, opener, closer), made


async def test_a_connection_given_back_in_one_event_loop_goes_to_the_one_waiting_in_another() -> None:
    pool, made = _pool(1)
    held = await pool.acquire()
    got: list[int] = []

    def other_loop() -> None:  # another thread, as the app under a test client runs
        got.append(asyncio.run(pool.acquire(wait=10)))

    thread = threading.Thread(target=other_loop)
    thread.start()
    await asyncio.sleep(0.1)
    assert not got  # it waits: the only connection is in use
    pool.release(held)
    await asyncio.to_thread(thread.join, 10)

    assert got == [held]
    assert made == [held]  # reused, not a second one


async def test_waiting_gives_up_after_the_time_allowed_and_loses_no_connection() -> None:
    pool, made = _pool(1)
    held = await pool.acquire()
    with pytest.raises(TimeoutError):
        await pool.acquire(wait=0.05)
    pool.release(held)

    assert await asyncio.wait_for(pool.acquire(wait=1), 2) == held
    assert made == [held]


async def test_waiters_are_served_in_arrival_order() -> None:
    pool, _ = _pool(1)
    held = await pool.acquire()
    order: list[str] = []

    async def take(name: str) -> None:
        item = await pool.acquire(wait=5)
        order.append(name)
        pool.release(item)

    tasks = [asyncio.create_task(take(name)) for name in ("first", "second", "third")]
    await asyncio.sleep(0.05)
    pool.release(held)
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert order == ["first", "second", "third"]


async def test_a_writer_kept_busy_past_the_timeout_fails_as_sqlite_does(tmp_path: Path) -> None:
    engine = PooledSQLiteEngine(path=str(tmp_path / "busy.sqlite3"), timeout=0.2)
    await engine.run_ddl("CREATE TABLE t (n INTEGER)")
    try:
        async with engine.transaction():
            await engine.run_ddl("INSERT INTO t VALUES (1)")

            async def other_writer() -> None:
                await engine.run_ddl("INSERT INTO t VALUES (2)")

            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                # a fresh context: another request's, outside this transaction
                await asyncio.create_task(other_writer(), context=contextvars.Context())
        await engine.run_ddl("INSERT INTO t VALUES (3)")  # the writer is free again
        rows = await engine.fetch("SELECT n FROM t ORDER BY n", [])
        assert [r["n"] for r in rows] == [1, 3]
    finally:
        await engine.close_connection_pool()
