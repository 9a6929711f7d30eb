"""Fixtures every plugin's tests need (`plugins/*/tests/conftest.py` import them by name).

Core's fixtures in `tests/conftest.py` do not reach `plugins/`; a plugin's conftest
puts the repository's `tests/` folder on `sys.path` and imports these, then adds its
own (its app, its real peers).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from support import SmtpServer, _create_pg_database, _worker, make_settings, need_service, running_smtp_server


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes() -> Iterator[None]:
    """Argon2 at its smallest cost, as in the core suite (logins take milliseconds)."""
    from argon2 import PasswordHasher

    from panel.core.auth import passwords

    real = passwords._hasher, passwords._DUMMY_HASH
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    passwords._DUMMY_HASH = passwords._hasher.hash("timing equaliser")
    yield
    passwords._hasher, passwords._DUMMY_HASH = real


@pytest.fixture(autouse=True)
def _no_env_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("PANEL_") and not k.startswith(("PANEL_TEST_", "PANEL_REQ"))]:
        monkeypatch.delenv(key)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 for this test worker; read `.messages`."""
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> Iterator[SmtpServer]:
    """The worker's SMTP server, emptied before and after the test."""
    smtp_server.clear()
    yield smtp_server
    smtp_server.clear()


def migrated_database(tmp_path_factory: pytest.TempPathFactory, suffix: str, extra: Sequence[object] = ()) -> str:
    """A database for this worker's tests of one plugin, migrated once with every installed plugin (and `extra`).

    PostgreSQL (`PANEL_TEST_DATABASE=postgres`) gets `hostpanel_test_<worker>_<suffix>`,
    so a worker that also runs another plugin's tests never shares one; SQLite a file.
    """
    from panel.core import db
    from panel.core.plugins import PanelPlugins

    if os.environ.get("PANEL_TEST_DATABASE", "sqlite") == "postgres":
        base = os.environ.get("PANEL_TEST_PG_URL")
        if not base:
            need_service("PostgreSQL (PANEL_TEST_PG_URL)")
        url = asyncio.run(_create_pg_database(str(base), f"hostpanel_test_{_worker()}_{suffix}"))
    else:
        url = f"sqlite:///{Path(tmp_path_factory.mktemp(suffix + 'db')) / 'panel.sqlite3'}"
    settings = make_settings(url, tmp_path_factory.mktemp(suffix + "data"))
    db.configure(settings, PanelPlugins(settings, extra=extra).piccolo_apps())

    async def migrate() -> None:
        try:
            await db.migrate()
        finally:
            await db.disconnect()

    asyncio.run(migrate())
    return url
