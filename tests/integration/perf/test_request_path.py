"""What a logged-in page load costs the database: the session, its user and their accounts in one read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import factories as f
import pytest

from panel.core import db
from panel.core.accounts import services as accounts
from panel.core.engines import LoopPooledPostgresEngine, PooledSQLiteEngine


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The SQL of every statement the app runs from now on (in any event loop)."""
    seen: list[str] = []
    engine = db.engine()
    if isinstance(engine, PooledSQLiteEngine):
        real = PooledSQLiteEngine._run

        async def spy(self: Any, sql: str, args: Any, querystring: Any) -> Any:
            seen.append(sql)
            return await real(self, sql, args, querystring)

        monkeypatch.setattr(PooledSQLiteEngine, "_run", spy)
        real_inline = PooledSQLiteEngine._read_inline

        def spy_inline(self: Any, sql: str, args: Any) -> Any:
            seen.append(sql)
            return real_inline(self, sql, args)

        monkeypatch.setattr(PooledSQLiteEngine, "_read_inline", spy_inline)
    else:
        assert isinstance(engine, LoopPooledPostgresEngine)
        real_pg = LoopPooledPostgresEngine._fetch

        async def spy_pg(self: Any, sql: str, args: Any) -> Any:
            seen.append(sql)
            return await real_pg(self, sql, args)

        monkeypatch.setattr(LoopPooledPostgresEngine, "_fetch", spy_pg)
    yield seen


def _reading(table: str, sql: str) -> bool:
    return re.search(rf'\b(FROM|JOIN)\s+"?{table}"?', sql) is not None


async def test_a_page_load_reads_session_user_and_accounts_in_one_statement(client, authz, statements) -> None:
    owner = await f.user(authz, "menu@example.com")
    await f.account(authz, "Alpha Hosting", owner)
    other = await f.account(authz, "Beta Media", await f.user(authz, "beta@example.com"))
    await accounts.add_member(authz, other, owner, ["invoices"])
    await f.login_as(client, "menu@example.com")
    await f.post_form(client, "/accounts/switch", {"account_id": str(other)})

    statements.clear()
    page = await client.get("/me")

    assert page.status_code == 200
    assert "Alpha Hosting" in page.text and "Beta Media" in page.text  # the account menu
    session_reads = [s for s in statements if _reading("panel_session", s)]
    assert len(session_reads) == 1
    assert _reading("panel_membership", session_reads[0])
    assert [s for s in statements if _reading("panel_membership", s)] == session_reads  # no second account query


async def test_an_account_joined_elsewhere_is_in_the_menu_at_the_next_page(client, authz) -> None:
    owner = await f.user(authz, "fresh@example.com")
    await f.account(authz, "First Account", owner)
    await f.login_as(client, "fresh@example.com")
    assert "Second Account" not in (await client.get("/me")).text

    second = await f.account(authz, "Second Account", await f.user(authz, "second@example.com"))
    await accounts.add_member(authz, second, owner, [])

    assert "Second Account" in (await client.get("/me")).text
