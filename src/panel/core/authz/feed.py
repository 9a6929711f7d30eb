"""The grant change feed: what other processes changed, read in id order, none missed.

Every grant write stores `panel_grant_change` rows in its own transaction
(`PiccoloAdapter`). A process remembers the highest id it has read and asks for the
rows past it. An id is handed out when its row is inserted but is seen only when
its transaction commits; on PostgreSQL those two orders can differ, and a rollback
leaves a hole for good. So an id skipped over is asked for again on every read until
it appears or `GAP_SECONDS` pass.

Rows older than `RETENTION` are pruned, always keeping the newest row: SQLite hands
out max(id) + 1, so an emptied table would start its ids again at 1.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from panel.core.authz.tables import GrantChange

RETENTION = timedelta(days=1)
GAP_SECONDS = 300.0
MAX_GAPS = 1000
_OPEN_WINDOW = 200  # newest ids checked for holes when a feed is opened
_FIELDS = ("v0", "v1", "v2", "v3", "v4", "v5")

Change = tuple[str, tuple[str, ...], bool]  # (ptype, (v0, ..., v5), added)


class ChangeFeed:
    """A reading position in the change feed: the last id read and the holes below it."""

    def __init__(self, table: type[GrantChange], last_id: int = 0) -> None:
        self.table = table
        self.last_id = last_id
        self._gaps: dict[int, float] = {}  # id -> monotonic time to stop asking for it

    @classmethod
    async def open(cls, table: type[GrantChange]) -> ChangeFeed:
        """Prune old changes and start past the newest one.

        Open it before reading the grants: a change committed in between is then both
        loaded and read again, which is harmless (applying it twice is a no-op).
        """
        t = table
        newest = [int(r["id"]) for r in await t.select(t.id).order_by(t.id, ascending=False).limit(_OPEN_WINDOW)]
        feed = cls(table)
        if newest:
            await t.delete().where((t.created_at < datetime.now(UTC) - RETENTION) & (t.id < newest[0]))
            feed.last_id = newest[0]
            feed._note_gaps(newest[-1], sorted(newest), time.monotonic())
        return feed

    async def read(self) -> list[Change]:
        """The changes not read yet, oldest first."""
        t = self.table
        now = time.monotonic()
        self._gaps = {i: until for i, until in self._gaps.items() if until > now}
        where: Any = t.id > self.last_id
        if self._gaps:
            where = where | t.id.is_in(list(self._gaps))
        columns = [t._meta.get_column_by_name(n) for n in ("id", "ptype", *_FIELDS, "added")]
        rows = await t.select(*columns).where(where).order_by(t.id)
        for row in rows:
            self._gaps.pop(row["id"], None)
        fresh = [int(r["id"]) for r in rows if r["id"] > self.last_id]
        if fresh:
            self._note_gaps(self.last_id, fresh, now)
            self.last_id = fresh[-1]
        return [(r["ptype"], tuple(r[f] for f in _FIELDS), bool(r["added"])) for r in rows]

    @property
    def gaps(self) -> list[int]:
        """Ids skipped over and still asked for."""
        return sorted(self._gaps)

    def _note_gaps(self, floor: int, ids: Sequence[int], now: float) -> None:
        """Remember the ids between `floor` and the last of `ids` (ascending) that are missing."""
        present = set(ids)
        until = now + GAP_SECONDS
        for i in range(max(floor + 1, ids[-1] - MAX_GAPS), ids[-1]):
            if i not in present:
                self._gaps[i] = until
        if len(self._gaps) > MAX_GAPS:
            self._gaps = dict(sorted(self._gaps.items())[-MAX_GAPS:])
