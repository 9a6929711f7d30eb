"""The dummy plugin's one table, prefixed with the plugin name as every plugin table must be."""

from __future__ import annotations

from piccolo.columns import Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class DummyNote(Table, tablename="dummy_note"):
    """A line of text kept per account, so routes have something to read and write."""

    account_id = Integer(index=True)
    body = Varchar(length=200)
    created_at = Timestamptz(default=TimestamptzNow())
