"""Data revisions of accounts: a number that changes whenever rows of the account that pages summarise change.

The home page reads the same few facts of an account on every view (services,
invoices, credit, tickets, quotes, members). Database triggers give every account a
revision that moves on each insert, update or delete of a watched table's rows of that
account, whatever code path wrote them (a page, the API, a job, email piping, the
CLI). The session lookup reads the revision of the user's accounts with everything
else, and `home.cached` keeps what the page loaded for as long as the revision stays
the same, so an unchanged account costs no query to summarise.

Revisions come from one counter for the whole database (a PostgreSQL sequence, a
counter row on SQLite), never from a per-account count: an account id used again after
a deletion (SQLite reuses the highest id) can never meet a revision the old account had.
On PostgreSQL the triggers are deferred constraint triggers, so the revision row is
locked only while the transaction commits, and it changes in the same commit as the
data it describes.

A plugin whose tables feed a home-page tile or widget adds them in a migration of its
own: `await watch(engine, "myplugin_thing", "account")`, and uses `home.cached` in
its loader.
"""

from __future__ import annotations

# ruff: noqa: S608  (the statements are built from table and column names in code, never from input)
from typing import Any

REVISIONS = "panel_account_revision"
COUNTER = "panel_account_revision_counter"
SEQUENCE = "panel_account_revision_seq"
FUNCTION = "panel_touch_account_revision"

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  old_account bigint;
  new_account bigint;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    old_account := (to_jsonb(OLD) ->> TG_ARGV[0])::bigint;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    new_account := (to_jsonb(NEW) ->> TG_ARGV[0])::bigint;
  END IF;
  IF new_account IS NOT NULL THEN
    INSERT INTO {REVISIONS} (account, revision) VALUES (new_account, nextval('{SEQUENCE}'))
      ON CONFLICT (account) DO UPDATE SET revision = excluded.revision;
  END IF;
  IF old_account IS NOT NULL AND old_account IS DISTINCT FROM new_account THEN
    INSERT INTO {REVISIONS} (account, revision) VALUES (old_account, nextval('{SEQUENCE}'))
      ON CONFLICT (account) DO UPDATE SET revision = excluded.revision;
  END IF;
  RETURN NULL;
END
$$
"""


def setup_sql(engine_type: str) -> list[str]:
    """The revisions table and the counter (run once, by core's migration)."""
    table = f"CREATE TABLE IF NOT EXISTS {REVISIONS} (account BIGINT PRIMARY KEY, revision BIGINT NOT NULL)"
    if engine_type == "sqlite":
        return [
            table,
            f"CREATE TABLE IF NOT EXISTS {COUNTER} (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL)",
            f"INSERT OR IGNORE INTO {COUNTER} (id, n) VALUES (1, 0)",
        ]
    return [table, f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}", _PG_FUNCTION]


def _sqlite_bump(account: str) -> str:
    return (
        f"UPDATE {COUNTER} SET n = n + 1 WHERE id = 1; "
        f"INSERT INTO {REVISIONS} (account, revision) SELECT {account}, n FROM {COUNTER} "
        f"WHERE id = 1 AND {account} IS NOT NULL "
        "ON CONFLICT (account) DO UPDATE SET revision = excluded.revision;"
    )


def watch_sql(engine_type: str, table: str, column: str) -> list[str]:
    """Triggers that move the revision of `table.column`'s account on every change of a row."""
    name = f"{table}_{column}_revision"
    if engine_type == "sqlite":
        new, old = f"NEW.{column}", f"OLD.{column}"
        return [
            f"CREATE TRIGGER IF NOT EXISTS {name}_ins AFTER INSERT ON {table} BEGIN {_sqlite_bump(new)} END",
            f"CREATE TRIGGER IF NOT EXISTS {name}_del AFTER DELETE ON {table} BEGIN {_sqlite_bump(old)} END",
            f"CREATE TRIGGER IF NOT EXISTS {name}_upd AFTER UPDATE ON {table} BEGIN "
            f"{_sqlite_bump(new)} {_sqlite_bump(f'CASE WHEN {old} IS NOT {new} THEN {old} END')} END",
        ]
    return [
        f"DROP TRIGGER IF EXISTS {name} ON {table}",
        f"CREATE CONSTRAINT TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {table} "
        f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FUNCTION}('{column}')",
    ]


async def setup(engine: Any) -> None:
    """Create the revisions table and counter (core's migration)."""
    for sql in setup_sql(engine.engine_type):
        await engine.run_ddl(sql)


async def watch(engine: Any, table: str, column: str = "account") -> None:
    """Make every change of `table`'s rows move the revision of the account in `column` (a migration step)."""
    for sql in watch_sql(engine.engine_type, table, column):
        await engine.run_ddl(sql)
