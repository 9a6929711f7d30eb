"""The arrangement of an account's home page: the order of its tiles and widgets, and which are hidden."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from panel.core.accounts.tables import Account


class DashboardArrangement(Table, tablename="panel_dashboard_arrangement"):
    """One account's home-page arrangement (no row: the default order, everything shown).

    `item_order` and `hidden` hold JSON lists of item keys (`stat:<name>`, `widget:<name>`).
    A key no plugin registers any more is ignored; an item missing from `item_order` (a
    plugin installed later) comes after the arranged ones, in its default place.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, unique=True, index=True)
    item_order = Text(default="[]")
    hidden = Text(default="[]")
    changed_by = Integer(null=True, default=None)
    changed_at = Timestamptz(default=TimestamptzNow())
