"""PostgreSQL with an asyncpg pool per running event loop, made on first use.

Piccolo's engine keeps one pool, which belongs to the loop that started it; any other
loop (a test's, a tool's second `asyncio.run`) then opens a connection per query.
Here each loop gets its own pool, so the app's loop and a test's loop both pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Sequence
from typing import Any, cast

import asyncpg
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.querystring import QueryString


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
