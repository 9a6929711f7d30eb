"""Piccolo engines that keep their connections: SQLite with a small pool, PostgreSQL with a pool per event loop.

Piccolo's stock SQLite engine opens a connection (and a thread) for every query, and
its PostgreSQL engine opens one for every query unless a pool was started in the one
event loop that will ever use it. These subclasses keep Piccolo's query and
transaction API (`engine.transaction()`, the `current_transaction` context variable,
savepoints) and change only where connections come from:

- `PooledSQLiteEngine`: a few reader connections (WAL lets them read beside a
  writer) and one writer connection. Every transaction, and every statement that is
  not a SELECT, runs on the writer, so the writers of one process queue in order
  instead of polling SQLite's busy handler; writers of other processes still wait
  on the busy timeout, and IMMEDIATE transactions (`db.write_transaction`) take the
  lock at BEGIN. The connections are not tied to an event loop (each one runs on its
  own thread and answers on the loop that asked), so tests and the app share them.
- `LoopPooledPostgresEngine`: an asyncpg pool per running event loop, made on first
  use, so the app's loop and a test's loop each get pooled connections.

`close()` / `close_connection_pool()` end the connections; the engines reopen on the
next query, so closing is always safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar, cast

import aiosqlite
import asyncpg
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString

T = TypeVar("T")

READ_PREFIXES = ("SELECT", "WITH", "EXPLAIN")  # WITH ... may write, see `_is_read`


class SharedPool(Generic[T]):
    """At most `size` resources, shared by any event loop in any thread, handed out first come first served.

    A waiter is a future of the loop that waits; a released resource goes straight to
    the oldest live waiter (through `call_soon_threadsafe`, since it may sit on another
    loop's thread). `None` handed to a waiter means "a slot is free: open one".
    """

    def __init__(self, size: int, opener: Callable[[], Awaitable[T]], closer: Callable[[T], Awaitable[None]]) -> None:
        self.size = size
        self._open = opener
        self._close = closer
        self._lock = threading.Lock()
        self._idle: list[T] = []
        self._count = 0
        self._waiters: deque[asyncio.Future[T | None]] = deque()

    @property
    def opened(self) -> int:
        """How many resources exist (idle or in use)."""
        return self._count

    async def acquire(self, wait: float | None = None) -> T:
        """A resource: an idle one, a new one while below `size`, else the next one released.

        Raises TimeoutError after `wait` seconds of waiting (None: no limit).
        """
        with self._lock:
            if self._idle:
                return self._idle.pop()
            if self._count < self.size:
                self._count += 1
                waiter = None
            else:
                waiter = asyncio.get_running_loop().create_future()
                self._waiters.append(waiter)
        if waiter is not None:
            try:
                got: T | None = await asyncio.wait_for(waiter, wait)
            except BaseException:
                if waiter.done() and not waiter.cancelled():  # handed over just as we gave up
                    self._hand_back(waiter.result())
                raise
            if got is not None:
                return got
        try:
            return await self._open()
        except BaseException:
            self._hand_back(None)
            raise

    def release(self, item: T) -> None:
        """Give a resource back (to the oldest waiter, or to the idle list)."""
        self._hand_back(item)

    def _hand_back(self, item: T | None) -> None:
        """Pass `item` (or a free slot, for None) to the oldest live waiter, else keep it."""
        with self._lock:
            while self._waiters:
                waiter = self._waiters.popleft()
                if waiter.done():
                    continue
                try:
                    waiter.get_loop().call_soon_threadsafe(self._deliver, waiter, item)
                except RuntimeError:  # that loop is closed
                    continue
                return
            if item is None:
                self._count -= 1
            else:
                self._idle.append(item)

    def _deliver(self, waiter: asyncio.Future[T | None], item: T | None) -> None:
        if waiter.done():  # cancelled or timed out meanwhile: the next waiter gets it
            self._hand_back(item)
        else:
            waiter.set_result(item)

    async def discard(self, item: T) -> None:
        """Close a resource that must not be reused (it frees its slot)."""
        try:
            await self._close(item)
        finally:
            self._hand_back(None)

    async def close_idle(self) -> int:
        """Close every idle resource; returns how many. Those in use are kept (they come back as idle)."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._count -= len(idle)
        for item in idle:
            with contextlib.suppress(Exception):
                await self._close(item)
        return len(idle)


# -- SQLite ------------------------------------------------------------------------------


def _is_read(sql: str) -> bool:
    """Whether a statement only reads (it may then run on a reader connection)."""
    head = sql.lstrip()[:7].upper()
    if not head.startswith(READ_PREFIXES):
        return False
    if head.startswith("WITH"):  # a CTE in front of INSERT/UPDATE/DELETE writes
        upper = sql.upper()
        return not any(word in upper for word in ("INSERT ", "UPDATE ", "DELETE ", "REPLACE "))
    return True


class PooledSQLiteTransaction(SQLiteTransaction):
    """A Piccolo SQLite transaction on the engine's writer connection (held until it ends)."""

    __slots__ = ("_done",)

    engine: PooledSQLiteEngine

    def __init__(
        self,
        engine: PooledSQLiteEngine,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
    ) -> None:
        self._done = False
        token = None
        current = engine.current_transaction.get()
        if current is not None and getattr(current, "_done", False):
            # A task started inside a transaction that has since ended still sees it in
            # its copied context; that transaction's connection is no longer its own.
            token = engine.current_transaction.set(None)
        try:
            super().__init__(engine, transaction_type=transaction_type, allow_nested=allow_nested)
        finally:
            if token is not None:
                engine.current_transaction.reset(token)

    async def __aenter__(self) -> PooledSQLiteTransaction:
        if self._parent is not None:
            return cast(PooledSQLiteTransaction, self._parent)
        self.connection = await self.engine.writer.acquire(wait=self.engine.timeout)
        try:
            await self.begin()
        except BaseException:
            await self.engine.release_writer(self.connection)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def begin(self) -> None:
        """BEGIN (DEFERRED, IMMEDIATE or EXCLUSIVE)."""
        await self.connection.execute(f"BEGIN {self.transaction_type.value}")

    async def commit(self) -> None:
        """COMMIT."""
        await self.connection.execute("COMMIT")
        self._committed = True

    async def rollback(self) -> None:
        """ROLLBACK."""
        await self.connection.execute("ROLLBACK")
        self._rolled_back = True

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            self._done = True
            self.engine.current_transaction.reset(self.context)
            await self.engine.release_writer(self.connection)
        return exception is None


class PooledSQLiteEngine(SQLiteEngine):
    """SQLite with persistent connections: `readers` for SELECTs, one writer for everything else.

    Each connection is opened once with `PRAGMA foreign_keys = ON` (as Piccolo does
    per query) and `synchronous = NORMAL` (safe with WAL: a power cut may lose the last
    commits, never corrupts). `timeout` is SQLite's busy timeout and also how long a
    writer waits for this process's writer connection.
    """

    def __init__(self, path: str, *, readers: int = 4, timeout: float = 30.0, **kwargs: Any) -> None:
        super().__init__(path=path, timeout=timeout, **kwargs)
        self.timeout = timeout
        self.readers: SharedPool[aiosqlite.Connection] = SharedPool(readers, self._connect, self._disconnect)
        self.writer: SharedPool[aiosqlite.Connection] = SharedPool(1, self._connect, self._disconnect)
        self._returning = self.get_version_sync() >= 3.35

    async def _connect(self) -> aiosqlite.Connection:
        connection = aiosqlite.connect(**self.connection_kwargs)
        # The connection's thread must not keep the interpreter alive if a tool forgets
        # to close the engine (it is set before `await` starts the thread).
        connection._thread.daemon = True
        await connection
        connection.row_factory = dict_factory  # type: ignore[assignment]  # Piccolo's rows are dicts
        await connection.execute("PRAGMA foreign_keys = ON")
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    @staticmethod
    async def _disconnect(connection: aiosqlite.Connection) -> None:
        await connection.close()

    async def release_writer(self, connection: aiosqlite.Connection) -> None:
        """Return the writer connection; one left inside a transaction (a failed COMMIT) is rolled back first."""
        try:
            if connection.in_transaction:
                await connection.execute("ROLLBACK")
        except Exception:
            await self.writer.discard(connection)
            return
        self.writer.release(connection)

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> PooledSQLiteTransaction:
        """A transaction on the writer connection (see `SQLiteEngine.transaction`)."""
        return PooledSQLiteTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)

    def _open_transaction(self) -> Any:
        current = self.current_transaction.get()
        if current is None or getattr(current, "_done", False):
            return None
        return current

    async def _execute(self, connection: aiosqlite.Connection, sql: str, args: list[Any], querystring: Any) -> Any:
        if not self._returning and querystring is not None and querystring.query_type == "insert":
            return await self._run_in_existing_connection(
                connection, sql, args, query_type="insert", table=querystring.table
            )
        return await connection.execute_fetchall(sql, args)

    async def _run(self, sql: str, args: list[Any], querystring: QueryString | None) -> Any:
        transaction = self._open_transaction()
        if transaction is not None:
            return await self._execute(transaction.connection, sql, args, querystring)
        if _is_read(sql):
            connection = await self.readers.acquire()
            try:
                return await self._execute(connection, sql, args, querystring)
            finally:
                self.readers.release(connection)
        # A lone write commits by itself (autocommit); this process's writers take turns.
        connection = await self.writer.acquire(wait=self.timeout)
        try:
            return await self._execute(connection, sql, args, querystring)
        finally:
            await self.release_writer(connection)

    async def fetch(self, sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        """Rows of compiled SQL (`?` placeholders) as dicts, routed as Piccolo's queries are."""
        rows: list[dict[str, Any]] = await self._run(sql, list(args), None)
        return rows

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False) -> Any:
        """Run a Piccolo query: in the current transaction, on a reader (SELECT), or on the writer."""
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=str(querystring))
        sql, args = querystring.compile_string(engine_type=self.engine_type)
        response = await self._run(sql, args, querystring)
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    async def run_ddl(self, ddl: str, in_pool: bool = False) -> Any:
        """Run DDL, in the current transaction or on the writer."""
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=ddl)
        response = await self._run(ddl, [], None)
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    async def start_connection_pool(self, **kwargs: Any) -> None:
        """Open one reader now, so a missing or unreadable file fails at start-up."""
        connection = await self.readers.acquire()
        self.readers.release(connection)

    async def close_connection_pool(self) -> None:
        """Close the idle connections (those in use close when they come back... or are reused)."""
        await self.readers.close_idle()
        await self.writer.close_idle()


# -- PostgreSQL --------------------------------------------------------------------------


async def _keep_session(connection: asyncpg.Connection) -> None:
    """The pool's `reset` for asyncpg: only end a transaction left open.

    The default reset (`RESET ALL`, `UNLISTEN *`, unlock advisory locks) costs a round
    trip on every release, that is on every query outside a transaction; the panel never
    changes session state on pooled connections, so it is skipped.
    """
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


class LoopPooledTransaction(PostgresTransaction):
    """A Piccolo PostgreSQL transaction on a connection of the running loop's pool."""

    __slots__ = ("_done", "_pool")

    engine: LoopPooledPostgresEngine

    def __init__(self, engine: LoopPooledPostgresEngine, allow_nested: bool = True) -> None:
        self._done = False
        token = None
        current = engine.current_transaction.get()
        if current is not None and getattr(current, "_done", False):
            token = engine.current_transaction.set(None)  # see PooledSQLiteTransaction
        try:
            super().__init__(engine, allow_nested=allow_nested)
        finally:
            if token is not None:
                engine.current_transaction.reset(token)

    async def __aenter__(self) -> LoopPooledTransaction:
        if self._parent is not None:
            return cast(LoopPooledTransaction, self._parent)
        self._pool = await self.engine.loop_pool()
        self.connection = await self._pool.acquire()
        self.transaction = self.connection.transaction()
        try:
            await self.transaction.start()
        except BaseException:
            await self._pool.release(self.connection)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def commit(self) -> None:
        """COMMIT."""
        await self.transaction.commit()
        self._committed = True

    async def rollback(self) -> None:
        """ROLLBACK."""
        await self.transaction.rollback()
        self._rolled_back = True

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            self._done = True
            self.engine.current_transaction.reset(self.context)
            await self._pool.release(self.connection)
        return exception is None


class LoopPooledPostgresEngine(PostgresEngine):
    """PostgreSQL with an asyncpg pool per running event loop, made on first use.

    `start_connection_pool()` makes the calling loop's pool now (the app's lifespan does,
    so a wrong URL fails at start-up); `close_connection_pool()` closes the calling
    loop's pool and forgets those of loops that have ended.
    """

    def __init__(self, config: dict[str, Any], *, min_size: int = 1, max_size: int = 10, **kwargs: Any) -> None:
        super().__init__(config=config, **kwargs)
        self.min_size = min_size
        self.max_size = max_size
        self._pools: dict[asyncio.AbstractEventLoop, asyncio.Future[asyncpg.Pool]] = {}
        self._pools_lock = threading.Lock()

    async def loop_pool(self) -> asyncpg.Pool:
        """The running loop's pool, made if it has none yet."""
        loop = asyncio.get_running_loop()
        made = self._pools.get(loop)
        if made is None:
            with self._pools_lock:
                made = self._pools.get(loop)
                if made is None:
                    made = self._pools[loop] = loop.create_future()
                    mine = True
                else:
                    mine = False
            if mine:
                self._forget_ended_loops()
                try:
                    pool = await asyncpg.create_pool(
                        **self.config, min_size=self.min_size, max_size=self.max_size, reset=_keep_session
                    )
                except BaseException as error:
                    self._pools.pop(loop, None)
                    made.set_exception(error)
                    made.exception()  # retrieved: no "never retrieved" warning when nobody else waits
                    raise
                made.set_result(pool)
                return pool
        return await asyncio.shield(made)

    def _forget_ended_loops(self) -> None:
        with self._pools_lock:
            ended = [loop for loop in self._pools if loop.is_closed()]
            for loop in ended:
                made = self._pools.pop(loop)
                if made.done() and not made.cancelled() and made.exception() is None:
                    with contextlib.suppress(Exception):
                        made.result().terminate()

    @property
    def pools(self) -> int:
        """How many loops have a pool (for tests and diagnostics)."""
        return len(self._pools)

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True) -> Any:
        """Run a Piccolo query: in the current transaction, else on this loop's pool."""
        sql, args = querystring.compile_string(engine_type=self.engine_type)
        return await self._fetch(sql, args)

    async def run_ddl(self, ddl: str, in_pool: bool = True) -> Any:
        """Run DDL: in the current transaction, else on this loop's pool."""
        return await self._fetch(ddl, [])

    async def fetch(self, sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        """Rows of compiled SQL (`$1` placeholders) as dicts, in the current transaction or on this loop's pool."""
        return [dict(row) for row in await self._fetch(sql, args)]

    async def _fetch(self, sql: str, args: Any) -> Any:
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=sql)
        transaction = self.current_transaction.get()
        if transaction is not None and not getattr(transaction, "_done", False):
            response = await transaction.connection.fetch(sql, *args)
        else:
            pool = await self.loop_pool()
            async with pool.acquire() as connection:
                response = await connection.fetch(sql, *args)
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    def transaction(self, allow_nested: bool = True) -> LoopPooledTransaction:
        """A transaction on a connection of this loop's pool."""
        return LoopPooledTransaction(engine=self, allow_nested=allow_nested)

    async def start_connection_pool(self, **kwargs: Any) -> None:
        """Make the running loop's pool now."""
        await self.loop_pool()

    async def close_connection_pool(self) -> None:
        """Close the running loop's pool, and forget the pools of loops that have ended."""
        loop = asyncio.get_running_loop()
        with self._pools_lock:
            made = self._pools.pop(loop, None)
        if made is not None:
            pool = await asyncio.shield(made)
            await pool.close()
        self._forget_ended_loops()


def is_locked_error(error: BaseException) -> bool:
    """Whether an error is SQLite's "database is locked" (busy) error."""
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)
