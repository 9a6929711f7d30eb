"""Database set-up: one engine for core and plugin tables, migrations, transactions.

SQLite is the embedded default (a file in the data folder, WAL journal, IMMEDIATE
write transactions so concurrent writers queue instead of failing with "database is
locked"); PostgreSQL is chosen by URL. Both keep their connections (see
`panel.core.engines`): SQLite a few readers and one writer, PostgreSQL a pool per
event loop, so the app, its tests and the tools get pooled connections in whatever
loop they run.
"""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString

from panel.core.engines import LoopPooledPostgresEngine, PooledSQLiteEngine
from panel.errors import SettingsError
from panel.settings import Settings

CORE_APP = "panel.core.piccolo_app"


@dataclass
class DatabaseState:
    """What `panel.piccolo_conf` hands to Piccolo."""

    engine: Engine[Any] | None = None
    registry: AppRegistry | None = None
    url: str = ""


state = DatabaseState()


def sqlite_path(url: str) -> str:
    """The file path of a sqlite:/// URL (sqlite:////abs/path or sqlite:///rel/path)."""
    path = unquote(url.split("://", 1)[1])
    return path[1:] if path.startswith("/") else path


_ENGINES: dict[tuple[str, bool], Engine[Any]] = {}
"""Engines made so far, by (URL, pooled): configuring the same database again reuses its connections."""


def make_engine(url: str, pool: bool = True) -> Engine[Any]:
    """The engine for a database URL, made once per process.

    `pool=False` gives Piccolo's stock engines, which open a connection per query (for
    a tool that must hold no connection between statements).
    """
    key = (url, pool)
    known = _ENGINES.get(key)
    if known is None:
        known = _ENGINES[key] = _new_engine(url, pool)
    return known


def _new_engine(url: str, pool: bool) -> Engine[Any]:
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = sqlite_path(url)
        if not path:
            raise SettingsError("PANEL_DATABASE_URL is invalid: sqlite:/// needs a file path")
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
        return PooledSQLiteEngine(path=path, timeout=30) if pool else SQLiteEngine(path=path, timeout=30)
    if scheme in {"postgres", "postgresql"}:
        config = {"dsn": url.replace("postgres://", "postgresql://", 1)}
        return LoopPooledPostgresEngine(config=config) if pool else PostgresEngine(config=config)
    raise SettingsError(f"PANEL_DATABASE_URL is invalid: unknown scheme {scheme!r}")


def configure(settings: Settings, apps: Sequence[str]) -> Engine[Any]:
    """Point Piccolo and every table of `apps` at the configured database."""
    url = settings.resolved_database_url
    engine = make_engine(url, pool=settings.database_pool)
    os.environ["PICCOLO_CONF"] = "panel.piccolo_conf"
    registry = AppRegistry(apps=list(apps))
    state.engine, state.registry, state.url = engine, registry, url
    for app in registry.app_configs.values():
        for table in app.table_classes:
            table._meta.db = engine
    # Piccolo's own record of applied migrations keeps the engine it first found: point it
    # here too, or a process that configures a second database would migrate nothing there.
    from piccolo.apps.migrations.tables import Migration

    Migration._meta.db = engine
    return engine


def configure_from_environment() -> Engine[Any]:
    """Configure from environment and panel.toml, with every installed plugin."""
    from panel.core.plugins import PanelPlugins
    from panel.settings import load_settings

    settings = load_settings()
    return configure(settings, PanelPlugins(settings).piccolo_apps())


def is_sqlite() -> bool:
    """Whether the configured database is SQLite."""
    return isinstance(state.engine, SQLiteEngine)


def engine() -> Engine[Any]:
    """The configured engine; fails loudly if `configure` was not called."""
    if state.engine is None:
        raise RuntimeError("the database is not configured: call panel.core.db.configure first")
    return state.engine


_COMPILED: dict[tuple[str, str], str] = {}


def _compiled(template: str, engine_type: str) -> str:
    """A template's `{}` placeholders in the driver's style: `?` (SQLite) or `$1, $2, ...` (PostgreSQL)."""
    key = (template, engine_type)
    sql = _COMPILED.get(key)
    if sql is None:
        parts = template.split("{}")
        if engine_type == "sqlite":
            sql = "?".join(parts)
        else:
            sql = parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], 1))
        sql = _COMPILED[key] = sql
    return sql


async def fetch(template: str, *args: Any) -> list[dict[str, Any]]:
    """The rows of a hand-written statement, as dicts; `{}` marks each argument.

    For the few queries every request runs (the session lookup): it skips Piccolo's
    query building, which costs several times the database's own work for a small
    indexed read. Values come back as Piccolo returns them (datetimes, booleans). The
    statement joins the caller's transaction, if any. Write portable SQL (quote
    `"user"`); anything else should use Piccolo's query builder.
    """
    eng = engine()
    if isinstance(eng, PooledSQLiteEngine | LoopPooledPostgresEngine):
        return await eng.fetch(_compiled(template, eng.engine_type), args)
    rows = await eng.run_querystring(QueryString(template, *args))
    return eng.transform_response_to_dicts(rows)


@contextlib.asynccontextmanager
async def write_transaction() -> AsyncIterator[Any]:
    """A transaction for work that writes.

    On SQLite it takes the write lock at BEGIN (IMMEDIATE), so two writers queue up
    rather than one failing halfway; on PostgreSQL it is a plain transaction. Nested
    use joins the outer transaction.
    """
    eng = engine()
    if isinstance(eng, SQLiteEngine):
        async with eng.transaction(transaction_type=TransactionType.immediate) as txn:
            yield txn
    else:
        async with eng.transaction() as txn:
            yield txn


async def connect() -> None:
    """Open the connections now (the running loop's pool on PostgreSQL), so a bad URL fails at start-up.

    Optional: the engines connect on first use anyway.
    """
    eng = engine()
    if isinstance(eng, LoopPooledPostgresEngine | PooledSQLiteEngine):
        await eng.start_connection_pool()


async def disconnect() -> None:
    """Close the kept connections: the running loop's pool (PostgreSQL), the idle connections (SQLite).

    Safe to call at any time and more than once: the next query opens what it needs.
    """
    eng = state.engine
    if isinstance(eng, LoopPooledPostgresEngine | PooledSQLiteEngine):
        await eng.close_connection_pool()


async def migrate(verbose: bool = False) -> list[str]:
    """Run every pending migration of core and enabled plugins; return app names.

    Idempotent: migrations already recorded in the database are skipped.
    """
    from piccolo.apps.migrations.commands.forwards import run_forwards

    registry = state.registry
    if registry is None:
        raise RuntimeError("the database is not configured")
    out = io.StringIO()
    quiet: contextlib.AbstractContextManager[Any] = (
        contextlib.nullcontext() if verbose else contextlib.redirect_stdout(out)
    )
    with quiet:
        result = await run_forwards("all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}\n{out.getvalue()}")
    return list(registry.app_configs)
