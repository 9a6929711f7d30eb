"""Shared fixtures: one migrated database per test worker, a fresh app per test.

`PANEL_TEST_DATABASE=postgres` runs everything on PostgreSQL at `PANEL_TEST_PG_URL`
(one database per xdist worker); the default is a SQLite file per worker.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from panel.settings import Settings, load_settings

SECRET = "test-secret-key-that-is-long-enough-0123456789"
REQUIRE_SERVICES = bool(os.environ.get("PANEL_REQUIRE_SERVICES") or os.environ.get("CI"))


def need_service(what: str) -> None:
    """Skip locally when a real service is missing; fail in CI, where it must exist."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required in CI but missing")
    pytest.skip(f"{what} is not available here")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


async def _create_pg_database(base_url: str, name: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(base_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return base_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh, empty database for this test worker."""
    if os.environ.get("PANEL_TEST_DATABASE", "sqlite") == "postgres":
        base = os.environ.get("PANEL_TEST_PG_URL")
        if not base:
            need_service("PostgreSQL (PANEL_TEST_PG_URL)")
        return asyncio.run(_create_pg_database(base, f"hostpanel_test_{_worker()}"))
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'panel.sqlite3'}"


def make_settings(database_url: str, data_dir: Path, **extra: str) -> Settings:
    """Settings for tests: no panel.toml, only what is passed."""
    env = {
        "PANEL_DATABASE_URL": database_url,
        "PANEL_SECRET_KEY": SECRET,
        "PANEL_DATA_DIR": str(data_dir),
        "PANEL_PLUGINS": "all",
        **extra,
    }
    return load_settings(environ=env, config=Path("/nonexistent/panel.toml"))


@pytest.fixture(scope="session")
def migrated(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Run every migration once per worker, as `panel migrate` does."""
    from panel.core import db
    from panel.core.plugins import PanelPlugins

    settings = make_settings(database_url, tmp_path_factory.mktemp("data"))
    db.configure(settings, PanelPlugins(settings).piccolo_apps())
    asyncio.run(db.migrate())
    return database_url


@pytest.fixture
def settings(migrated: str, tmp_path: Path) -> Settings:
    """Settings pointing at the migrated test database."""
    return make_settings(migrated, tmp_path)


async def _truncate() -> None:
    from panel.core import db

    assert db.state.registry is not None
    tables = [t for app in db.state.registry.app_configs.values() for t in app.table_classes]
    for table in reversed(tables):
        await table.delete(force=True)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Litestar]:
    """A fresh app on an emptied database (core plugins only, no discovery)."""
    application = build_app(settings)
    await _truncate()
    yield application


def build_app(settings: Settings, *extra: object, discover: bool = False) -> Litestar:
    """Build an app with extra plugins registered."""
    from panel.app import create_app

    return create_app(settings, extra_plugins=extra, discover=discover)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A test client whose lifespan (rules engine, pools) has run."""
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        yield c


@pytest.fixture
def authz(client: AsyncTestClient[Litestar]) -> Any:
    """The running app's rules engine."""
    return client.app.state.authz


@pytest.fixture(autouse=True)
def _no_env_leak(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in [
        k
        for k in os.environ
        if k.startswith("PANEL_") and k not in {"PANEL_TEST_DATABASE", "PANEL_TEST_PG_URL", "PANEL_REQUIRE_SERVICES"}
    ]:
        monkeypatch.delenv(key)
    yield
