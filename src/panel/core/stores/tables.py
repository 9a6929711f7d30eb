"""Online stores: the provider's own and its resellers'."""

from __future__ import annotations

from piccolo.columns import Boolean, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Store(Table, tablename="panel_store"):
    """A store with its own name and currency; every client account is bound to one."""

    id: Serial  # added by Piccolo; declared for type checkers

    name = Varchar(length=200)
    slug = Varchar(length=60, unique=True, index=True)
    currency = Varchar(length=3, default="USD")
    is_default = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
