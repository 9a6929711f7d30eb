"""Piccolo engines that keep their connections: SQLite with a small pool, PostgreSQL with a pool per event loop.

Piccolo's stock SQLite engine opens a connection (and a thread) for every query, and
its PostgreSQL engine opens one for every query unless a pool was started in the one
event loop that will ever use it. These subclasses keep Piccolo's query and
transaction API (`engine.transaction()`, the `current_transaction` context variable,
savepoints) and change only where connections come from. `close_connection_pool()`
closes what they keep; the next query opens what it needs, so closing is always safe.
"""

from panel.core.engines.postgres import LoopPooledPostgresEngine, LoopPooledTransaction
from panel.core.engines.sqlite import PooledSQLiteEngine, PooledSQLiteTransaction

__all__ = ["LoopPooledPostgresEngine", "LoopPooledTransaction", "PooledSQLiteEngine", "PooledSQLiteTransaction"]
