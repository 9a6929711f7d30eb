"""SQLite with persistent connections: a few readers, and one writer that every transaction and write uses.

WAL lets the readers read beside the writer. Every transaction, and every statement
that is not a SELECT, runs on the writer connection, so the writers of one process
queue in order instead of polling SQLite's busy handler; writers of other processes
still wait on the busy timeout, and IMMEDIATE transactions (`db.write_transaction`)
take the lock at BEGIN. The connections are not tied to an event loop (each runs on
its own thread and answers on the loop that asked), so the app and its tests, in
different loops, share them.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from typing import Any, cast

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString

from panel.core.engines.pool import SharedPool

INLINE_BUSY_TIMEOUT = 0.05
"""Seconds an inline read waits on a busy database before it hands over to a reader's thread."""

READ_PREFIXES = ("SELECT", "WITH", "EXPLAIN")  # WITH ... may write, see `_is_read`


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
        self.connection = await self.engine.acquire_writer()
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
        self._inline = threading.local()

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

    async def acquire_writer(self) -> aiosqlite.Connection:
        """This process's writer connection, within `timeout` seconds (else "database is locked", as SQLite says)."""
        try:
            return await self.writer.acquire(wait=self.timeout)
        except TimeoutError:
            raise sqlite3.OperationalError(
                f"database is locked (this process's writer stayed busy for {self.timeout:g} s)"
            ) from None

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
        connection = await self.acquire_writer()
        try:
            return await self._execute(connection, sql, args, querystring)
        finally:
            await self.release_writer(connection)

    def _inline_reader(self) -> sqlite3.Connection:
        """This thread's own reader connection, for `fetch` to read without a thread hand-off."""
        connection: sqlite3.Connection | None = getattr(self._inline, "connection", None)
        if connection is None:
            kwargs = {**self.connection_kwargs, "timeout": INLINE_BUSY_TIMEOUT, "check_same_thread": False}
            connection = sqlite3.connect(**kwargs)
            connection.row_factory = dict_factory
            self._inline.connection = connection
        return connection

    def _read_inline(self, sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self._inline_reader().execute(sql, args).fetchall()
        return rows

    async def fetch(self, sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        """Rows of compiled SQL (`?` placeholders) as dicts.

        A read outside a transaction runs at once on this thread's own connection:
        `db.fetch` is for the small indexed reads every page makes, where handing the
        statement to a connection's thread and back costs more than SQLite's work. In
        WAL mode a reader does not wait for writers; if SQLite still answers busy (a
        checkpoint in the way), the read goes the usual way. Anything else is routed as
        Piccolo's queries are.
        """
        if self._open_transaction() is None and _is_read(sql):
            try:
                return self._read_inline(sql, args)
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
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
        """Close the idle connections (at shutdown there are no others); the next query opens what it needs.

        Of the inline readers, only this thread's is closed (another thread may be
        reading on its own); a thread's reader closes when the thread ends.
        """
        await self.readers.close_idle()
        await self.writer.close_idle()
        connection = getattr(self._inline, "connection", None)
        if connection is not None:
            self._inline.connection = None
            connection.close()
