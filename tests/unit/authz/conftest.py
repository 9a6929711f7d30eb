"""Fixtures for the rules-engine tests (data in authz_data.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from authz_data import MODEL, POLICY, load
from piccolo.engine.sqlite import SQLiteEngine

from panel.core.authz import Authorizer, CasbinRule, PiccoloAdapter
from panel.core.authz.tables import GrantChange


@pytest_asyncio.fixture
async def authorizer() -> Authorizer:
    """The shipped model and policy with the reference grants, in memory only."""
    return await load(await Authorizer.create(MODEL, [POLICY], freeze_gc=False))


@pytest_asyncio.fixture
async def sqlite_table(tmp_path: Path) -> AsyncIterator[SQLiteEngine]:
    """`panel_casbin_rule` and its change feed on a fresh SQLite file; the tables' engines are restored after."""
    tables = (CasbinRule, GrantChange)
    previous = [t._meta._db for t in tables]
    engine = SQLiteEngine(path=str(tmp_path / "t.sqlite"))
    for table in tables:
        table._meta.db = engine
        await table.create_table(if_not_exists=True)
    try:
        yield engine
    finally:
        for table, db in zip(tables, previous, strict=True):
            table._meta._db = db


@pytest.fixture
def adapter(sqlite_table: SQLiteEngine) -> PiccoloAdapter:
    """An adapter over the temporary table."""
    return PiccoloAdapter()
