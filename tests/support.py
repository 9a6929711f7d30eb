"""Helpers shared by tests (import as `support`): settings, databases, app building."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from litestar import Litestar

from panel.settings import Settings, load_settings

SECRET = "test-secret-key-that-is-long-enough-0123456789"
REQUIRE_SERVICES = bool(os.environ.get("PANEL_REQUIRE_SERVICES") or os.environ.get("CI"))


def need_service(what: str) -> None:
    """Skip locally when a real service is missing; fail in CI, where it must exist."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required in CI but missing")
    pytest.skip(f"{what} is not available here")


def _worker() -> str:
    """This test process, unique across concurrent runs (for per-process database names)."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getpid()))[:8]
    return f"{run}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


CREATED_PG_DATABASES: set[tuple[str, str]] = set()


async def drop_created_pg_databases() -> None:
    """Drop the databases this test process created (called once at the end)."""
    import asyncpg

    for base_url, name in sorted(CREATED_PG_DATABASES):
        conn = await asyncpg.connect(base_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
    CREATED_PG_DATABASES.clear()


async def _create_pg_database(base_url: str, name: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(base_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
        CREATED_PG_DATABASES.add((base_url, name))
    finally:
        await conn.close()
    return base_url.rsplit("/", 1)[0] + f"/{name}"


def make_settings(database_url: str, data_dir: Path, **extra: str) -> Settings:
    """Settings for tests: no panel.toml, only what is passed."""
    env = {
        "PANEL_DATABASE_URL": database_url,
        "PANEL_SECRET_KEY": SECRET,
        "PANEL_DATA_DIR": str(data_dir),
        "PANEL_PLUGINS": "all",
        # tests run jobs themselves (`factories.run_jobs`), so nothing runs behind their back;
        # the tests of the in-app worker turn it on
        "PANEL_CORE_JOBS_WORKER": "false",
        **extra,
    }
    return load_settings(environ=env, config=Path("/nonexistent/panel.toml"))


def build_app(settings: Settings, *extra: object, discover: bool = False) -> Litestar:
    """An app with extra plugins registered: the shared one when every plugin is a module or a class.

    Building costs about a second of CPU (most of a typical test's time), so plugins
    that are modules or classes (fixed for the whole run) get the app `shared_app`
    keeps; plugin instances, made per test, and discovery get a new app each time.
    """
    from panel.app import create_app

    if not discover and all(isinstance(plugin, type | ModuleType) for plugin in extra):
        return shared_app(settings, *extra)
    return create_app(settings, extra_plugins=extra, discover=discover)


_APPS: dict[tuple[object, ...], Litestar] = {}


def _app_key(settings: Settings, extra: tuple[object, ...]) -> tuple[object, ...]:
    # The data folder differs per test and nothing in the app reads it at build time.
    values = {k: v for k, v in settings.values.items() if k != "data_dir"}
    values["_environ"] = {k: v for k, v in values.get("_environ", {}).items() if k != "PANEL_DATA_DIR"}
    return (repr(sorted(values.items())), repr(sorted(settings.plugin_values.items())), *map(id, extra))


def shared_app(settings: Settings, *extra: object) -> Litestar:
    """An app for these settings and plugins, built once per test process and reused.

    Building the app (registering ~550 routes) costs about half a second; most tests
    use the same settings. What a test run changes in the app is reset here: the
    database configuration (another app may have configured other tables) and the
    login-failure counters. The rules engine, workers and mailer are made fresh by
    the app's lifespan, which every test client runs.
    """
    from panel.app import create_app
    from panel.core import db
    from panel.core.auth.ratelimit import FailureCounter

    key = _app_key(settings, extra)
    app = _APPS.get(key)
    if app is None:
        app = _APPS[key] = create_app(settings, extra_plugins=extra, discover=False)
    else:
        db.configure(app.state.settings, app.state.plugins.piccolo_apps())
        app.state.login_failures = FailureCounter()
    return app


_DELETE_ORDER: dict[frozenset[str], list[str]] = {}
"""Per set of tables, an order of deletes that the foreign keys accept (found once, then reused)."""


async def empty_tables() -> None:
    """Delete every row of every table the current app knows, plugins' included.

    The first call for a set of tables finds an order the foreign keys accept (retrying
    refused tables after the others); later calls delete in that order inside one
    transaction.
    """
    from panel.core import db
    from panel.core.accounts import home
    from panel.core.announcements.services import forget_home
    from panel.core.stores.services import forget_resellers

    home.clear_cache()  # what the process kept of rows about to go (ids are used again)
    from panel.core.twofactor.gate import forget_requiring

    forget_requiring()
    forget_home()
    forget_resellers()
    assert db.state.registry is not None
    tables = {t._meta.tablename: t for app in db.state.registry.app_configs.values() for t in app.table_classes}
    key = frozenset(tables)
    order = _DELETE_ORDER.get(key)
    if order is not None:
        try:
            async with db.write_transaction():
                await _break_cycles()
                for name in order:
                    await tables[name].delete(force=True)
            return
        except Exception:  # rows the known order does not cover: find a new order below
            _DELETE_ORDER.pop(key, None)
    _DELETE_ORDER[key] = await _find_order(list(tables.values()))


async def _break_cycles() -> None:
    # Reference cycles: a reseller's store names the reseller's account, which is bound
    # to a store; a credit note names the invoice it refunds. Break them first.
    from panel.core.billing.tables import Invoice
    from panel.core.stores.tables import Store

    await Store.update({Store.reseller: None}, force=True)
    await Invoice.update({Invoice.original: None}, force=True)


async def _find_order(tables: list[Any]) -> list[str]:
    """Empty the tables one by one, retrying those still referenced; returns the order that worked."""
    await _break_cycles()
    done: list[str] = []
    pending = list(reversed(tables))
    for _ in range(len(pending)):
        refused = []
        for table in pending:
            try:
                await table.delete(force=True)
                done.append(table._meta.tablename)
            except Exception:
                refused.append(table)
        if not refused:
            return done
        pending = refused
    for table in pending:
        await table.delete(force=True)  # raises the foreign-key error that remains
    return done


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (right now)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


_BACKGROUND = ("panel_grant_change", "panel_mail_outbox")  # the rules engine's change feed, the mail deliverer


@contextlib.contextmanager
def recorded_statements() -> Iterator[list[str]]:
    """The SQL of every statement the app runs inside the block, in any event loop.

    Counts hand-written statements (`db.fetch`) and Piccolo's queries alike; leaves out
    what runs on its own clock (the rules engine's change feed, the mail deliverer).
    """
    from panel.core import db
    from panel.core.engines import LoopPooledPostgresEngine, PooledSQLiteEngine

    seen: list[str] = []

    def keep(sql: str) -> None:
        if not any(name in sql for name in _BACKGROUND):
            seen.append(sql)

    engine = db.engine()
    patches: list[tuple[type, str, Any]] = []
    if isinstance(engine, PooledSQLiteEngine):
        run, inline = PooledSQLiteEngine._run, PooledSQLiteEngine._read_inline

        async def spy_run(self: Any, sql: str, args: Any, querystring: Any) -> Any:
            keep(sql)
            return await run(self, sql, args, querystring)

        def spy_inline(self: Any, sql: str, args: Any) -> Any:
            keep(sql)
            return inline(self, sql, args)

        patches = [(PooledSQLiteEngine, "_run", spy_run), (PooledSQLiteEngine, "_read_inline", spy_inline)]
    else:
        assert isinstance(engine, LoopPooledPostgresEngine)
        fetch = LoopPooledPostgresEngine._fetch

        async def spy_fetch(self: Any, sql: str, args: Any) -> Any:
            keep(sql)
            return await fetch(self, sql, args)

        patches = [(LoopPooledPostgresEngine, "_fetch", spy_fetch)]
    originals = [(cls, name, cls.__dict__[name]) for cls, name, _ in patches]
    for cls, name, spy in patches:
        setattr(cls, name, spy)
    try:
        yield seen
    finally:
        for cls, name, original in originals:
            setattr(cls, name, original)


# -- email: a real SMTP server in the test process ------------------------------------------


class SmtpServer:
    """What the `smtp_server` fixture yields: the address, and every message that arrived.

    `messages` holds parsed `email.message.EmailMessage` objects in arrival order;
    `envelopes` the matching (MAIL FROM, RCPT TO list). `handler` is the aiosmtpd
    handler, for a test that starts a second server (a server coming back up).
    """

    def __init__(self) -> None:
        self.url = ""
        self.port = 0
        self.messages: list[Any] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.handler = _SmtpHandler(self)

    def clear(self) -> None:
        """Forget what arrived so far."""
        self.messages.clear()
        self.envelopes.clear()

    async def wait_for(self, count: int, timeout: float = 5) -> list[Any]:  # noqa: ASYNC109 (a deadline, not a cancel scope)
        """Wait until at least `count` messages arrived; fail after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.messages) < count:
            if loop.time() > deadline:
                raise AssertionError(f"expected {count} email(s) within {timeout}s, {len(self.messages)} arrived")
            await asyncio.sleep(0.02)
        return list(self.messages)

    def to(self, address: str) -> list[Any]:
        """The messages whose To header names `address`."""
        return [m for m in self.messages if address in str(m["To"])]

    async def wait_to(self, address: str, count: int, timeout: float = 5) -> list[Any]:  # noqa: ASYNC109
        """Wait until `count` messages to `address` arrived; fail after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.to(address)) < count:
            if loop.time() > deadline:
                raise AssertionError(f"expected {count} email(s) to {address}, {len(self.to(address))} arrived")
            await asyncio.sleep(0.02)
        return self.to(address)


class _SmtpHandler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        import email
        import email.policy

        # Parsed with Python's own line endings, as a mail client shows it.
        message = email.message_from_bytes(envelope.content.replace(b"\r\n", b"\n"), policy=email.policy.default)
        self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.server.messages.append(message)
        return "250 Message accepted for delivery"


def mailing_to(
    settings: Settings, smtp: SmtpServer, base_url: str = "http://testserver.local", *, wake_only: bool = True
) -> Settings:
    """`settings` sending email to `smtp` from a fixed sender, with links on `base_url`.

    `wake_only`: the deliverer looks at the outbox only when a message is queued (not
    every few seconds), so a test sees exactly the mail it caused.
    """
    settings.values["smtp_url"] = smtp.url
    settings.values["mail_from"] = "Hostpanel <panel@example.net>"
    settings.values["base_url"] = base_url
    if wake_only:
        settings.values["_environ"] = {**settings.values["_environ"], "PANEL_CORE_MAIL_POLL_SECONDS": "60"}
    return settings


@contextlib.contextmanager
def running_smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 while the block runs (the `smtp_server` fixtures)."""
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
    server = SmtpServer()
    server.port = free_port()
    server.url = f"smtp://127.0.0.1:{server.port}"
    controller = Controller(server.handler, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
