"""Shared fixtures: one migrated database per test worker, a fresh app per test.

`PANEL_TEST_DATABASE=postgres` runs everything on PostgreSQL at `PANEL_TEST_PG_URL`
(one database per xdist worker); the default is a SQLite file per worker.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import factories as f
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from support import (
    SmtpServer,
    _create_pg_database,
    _worker,
    empty_tables,
    make_settings,
    need_service,
    running_smtp_server,
    shared_app,
)

from panel.settings import Settings


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases() -> Iterator[None]:
    yield
    from support import CREATED_PG_DATABASES, drop_created_pg_databases

    if CREATED_PG_DATABASES:
        asyncio.run(drop_created_pg_databases())


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes() -> Iterator[None]:
    """Argon2 with the smallest cost in tests: the real one takes a quarter second per hash or login here.

    Hashes stay real argon2id (verified, rehashed, stored the same way); only the
    time and memory parameters shrink, as Django's test settings do with its hashers.
    """
    from argon2 import PasswordHasher

    from panel.core.auth import passwords

    real = passwords._hasher, passwords._DUMMY_HASH
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    passwords._DUMMY_HASH = passwords._hasher.hash("timing equaliser, never a real password")
    yield
    passwords._hasher, passwords._DUMMY_HASH = real


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh, empty database for this test worker."""
    if os.environ.get("PANEL_TEST_DATABASE", "sqlite") == "postgres":
        base = os.environ.get("PANEL_TEST_PG_URL")
        if not base:
            need_service("PostgreSQL (PANEL_TEST_PG_URL)")
        return asyncio.run(_create_pg_database(base, f"hostpanel_test_{_worker()}"))
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'panel.sqlite3'}"


@pytest.fixture(scope="session")
def migrated(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Run every migration once per worker, as `panel migrate` does."""
    from panel.core import db
    from panel.core.plugins import PanelPlugins

    settings = make_settings(database_url, tmp_path_factory.mktemp("data"))
    db.configure(settings, PanelPlugins(settings).piccolo_apps())

    async def migrate() -> None:
        try:
            await db.migrate()
        finally:
            await db.disconnect()  # this loop ends here: its pool with it

    asyncio.run(migrate())
    return database_url


@pytest.fixture
def settings(migrated: str, tmp_path: Path) -> Settings:
    """Settings pointing at the migrated test database."""
    return make_settings(migrated, tmp_path)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Litestar]:
    """A fresh app on an emptied database (core plugins only, no discovery)."""
    application = shared_app(settings)
    await empty_tables()
    yield application


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A test client whose lifespan (rules engine, pools) has run."""
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        yield c


@pytest.fixture
def authz(client: AsyncTestClient[Litestar]) -> Any:
    """The running app's rules engine."""
    return client.app.state.authz


@pytest.fixture
def staff_login() -> Callable[..., Any]:
    """`await staff_login(client, authz, "admin")`: a staff user of that role, logged in."""

    async def go(client: Any, authz: Any, role: str) -> int:
        email = f"{role}-staff@example.com"
        user_id = await f.user(authz, email, staff=role)
        client.cookies.clear()
        answer = await f.login(client, email)
        assert answer.status_code in (302, 303), answer.text
        return user_id

    return go


@pytest.fixture
async def typed_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client of an app with the dummy plugin installed, so `dummy.thing` is a registered product type."""
    import dummy_plugin

    from panel.core import db

    application = shared_app(settings, dummy_plugin)
    await db.migrate()
    await empty_tables()
    try:
        async with AsyncTestClient(app=application, base_url="http://testserver.local") as c:
            yield c
    finally:
        await empty_tables()


@pytest.fixture(autouse=True)
def _no_env_leak(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in [
        k
        for k in os.environ
        if k.startswith("PANEL_") and k not in {"PANEL_TEST_DATABASE", "PANEL_TEST_PG_URL", "PANEL_REQUIRE_SERVICES"}
    ]:
        monkeypatch.delenv(key)
    yield


# -- email: a real SMTP server in the test process ------------------------------------------


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 for this test worker; read `.messages`."""
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> Iterator[SmtpServer]:
    """The worker's SMTP server, emptied before and after the test (point a test's settings at `smtp.url`)."""
    smtp_server.clear()
    yield smtp_server
    smtp_server.clear()
