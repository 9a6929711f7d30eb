"""pycasbin's async adapter interface over the `panel_casbin_rule` Piccolo table.

Every write goes through the table's engine, so inside a caller's Piccolo
transaction (`async with engine.transaction(): ...`) the statements join that
transaction and commit or roll back with it. Without one, the adapter opens its own
(IMMEDIATE on SQLite, as `panel.core.db.write_transaction` does).

Each write also records what changed in `panel_grant_change`, in the same
transaction: other processes read that feed (`Authorizer.sync`) to stay current, and
a rolled-back write leaves no change behind.

Loading is the one bulk operation: 300,000-odd grant rows at start-up. Piccolo turns
every row into a dict, which costs time and, briefly, a lot of memory; on SQLite
(the embedded default) `load_rows` therefore reads plain tuples in batches on its
own connection. Other engines use Piccolo's batched select.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from typing import Any, cast

import aiosqlite
from casbin.persist.adapters.asyncio import AsyncAdapter, AsyncBatchAdapter
from piccolo.columns.combination import Where
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from panel.core.authz.tables import CasbinRule, GrantChange

FIELDS = ("v0", "v1", "v2", "v3", "v4", "v5")
Row = tuple[str, ...]
_INSERT_CHUNK = 500


def to_row(ptype: str, rule: Sequence[str]) -> dict[str, str]:
    """Column values for a rule, padded with ''."""
    if len(rule) > len(FIELDS):
        raise ValueError(f"a rule has at most {len(FIELDS)} fields, got {len(rule)}")
    return {"ptype": ptype, **{f: (rule[i] if i < len(rule) else "") for i, f in enumerate(FIELDS)}}


def trim(values: Sequence[str]) -> list[str]:
    """A stored row's values without the trailing '' padding."""
    out = list(values)
    while out and out[-1] == "":
        out.pop()
    return out


class PiccoloAdapter(AsyncAdapter, AsyncBatchAdapter):  # type: ignore[misc]  # pycasbin ships no type hints
    """Stores Casbin rules in `table` (default `CasbinRule`); works with `AsyncEnforcer` too.

    The panel's `Authorizer` stores only grants here; a plain pycasbin
    `AsyncEnforcer` may store `p` rows as well. `changes` is the change feed written
    with every write (None: no feed, for a single process); it must use the same
    engine as `table`, or the two rows could not share a transaction.
    """

    def __init__(
        self,
        table: type[CasbinRule] = CasbinRule,
        batch_size: int = 20_000,
        changes: type[GrantChange] | None = GrantChange,
    ) -> None:
        self.table = table
        self.batch_size = batch_size
        self.changes = changes

    # -- reading ------------------------------------------------------------------------

    async def load_rows(self, ptypes: Collection[str] | None = None, width: int = 6) -> AsyncIterator[list[Row]]:
        """Batches of `(ptype, v0, ..., v<width-1>)` tuples, optionally only some types."""
        engine = self.table._meta.db
        fields = FIELDS[:width]
        if isinstance(engine, SQLiteEngine) and not engine.transaction_exists():
            async for batch in self._sqlite_rows(engine, ptypes, fields):
                yield batch
            return
        async for batch in self._piccolo_rows(ptypes, fields):
            yield batch

    async def _sqlite_rows(
        self, engine: SQLiteEngine, ptypes: Collection[str] | None, fields: Sequence[str]
    ) -> AsyncIterator[list[Row]]:
        sql = f"SELECT ptype, {', '.join(fields)} FROM {self.table._meta.tablename}"  # noqa: S608 (no user input)
        params: list[str] = []
        if ptypes is not None:
            params = sorted(ptypes)
            sql += f" WHERE ptype IN ({', '.join('?' for _ in params)})"
        async with aiosqlite.connect(**engine.connection_kwargs) as conn:
            conn.row_factory = None
            async with conn.execute(sql, params) as cursor:
                while rows := await cursor.fetchmany(self.batch_size):
                    yield cast(list[Row], list(rows))

    async def _piccolo_rows(self, ptypes: Collection[str] | None, fields: Sequence[str]) -> AsyncIterator[list[Row]]:
        t = self.table
        names = ("ptype", *fields)
        query = t.select(*(t._meta.get_column_by_name(n) for n in names))
        # Filtered in Python: Piccolo 1.38's SQLite batch cannot pass WHERE parameters.
        async with await query.batch(batch_size=self.batch_size) as batch:
            async for chunk in batch:
                yield [tuple(row[n] for n in names) for row in chunk if ptypes is None or row["ptype"] in ptypes]

    async def load_policy(self, model: Any) -> None:
        """Load every row into a pycasbin model (the adapter interface)."""
        async for batch in self.load_rows():
            for row in batch:
                sec = row[0][:1]
                section = model.model.get(sec) if hasattr(model, "model") else None
                if section is not None and row[0] in section:
                    section[row[0]].policy.append(trim(row[1:]))

    async def exists(self, ptype: str, rule: Sequence[str]) -> bool:
        """Whether the exact rule is stored."""
        return bool(await self.table.exists().where(self._match(ptype, 0, rule, exact=True)))

    # -- writing (pycasbin interface) ---------------------------------------------------

    async def save_policy(self, model: Any) -> bool:
        """Replace every stored row with the model's rules, in one transaction."""
        rows = [
            to_row(ptype, rule)
            for sec in ("p", "g")
            for ptype, assertion in (model.model.get(sec) or {}).items()
            for rule in assertion.policy
        ]
        async with self.write_transaction():
            await self._delete(None)
            await self.insert_rows(rows)
        return True

    async def add_policy(self, sec: str, ptype: str, rule: Sequence[str]) -> bool:
        """Store one rule (the caller checks for duplicates)."""
        await self.insert_rows([to_row(ptype, rule)])
        return True

    async def add_policies(self, sec: str, ptype: str, rules: Sequence[Sequence[str]]) -> bool:
        """Store several rules in one statement."""
        await self.insert_rows([to_row(ptype, r) for r in rules])
        return True

    async def remove_policy(self, sec: str, ptype: str, rule: Sequence[str]) -> bool:
        """Delete every stored copy of one rule."""
        await self.delete_rows(ptype, 0, rule, exact=True)
        return True

    async def remove_policies(self, sec: str, ptype: str, rules: Sequence[Sequence[str]]) -> bool:
        """Delete several rules, in one transaction."""
        async with self.write_transaction():
            for rule in rules:
                await self.delete_rows(ptype, 0, rule, exact=True)
        return True

    async def remove_filtered_policy(self, sec: str, ptype: str, field_index: int, *field_values: str) -> bool:
        """Delete rules whose fields from `field_index` on equal the values ('' = any)."""
        await self.delete_rows(ptype, field_index, field_values, exact=False)
        return True

    # -- helpers for the engine ---------------------------------------------------------

    def write_transaction(self) -> Any:
        """A transaction on the table's engine: joins the caller's, else opens one.

        IMMEDIATE on SQLite, so concurrent writers queue at BEGIN instead of failing.
        """
        engine = self.table._meta.db
        if isinstance(engine, SQLiteEngine):
            return engine.transaction(transaction_type=TransactionType.immediate)
        return engine.transaction()

    async def insert_rows(self, rows: Sequence[dict[str, str]]) -> None:
        """Insert rows in chunks (SQLite limits the parameters of one statement), with their changes."""
        columns = self.table._meta.get_column_by_name
        async with self.write_transaction():
            for start in range(0, len(rows), _INSERT_CHUNK):
                chunk = rows[start : start + _INSERT_CHUNK]
                await self.table.insert(*(self.table(_data={columns(k): v for k, v in r.items()}) for r in chunk))
            await self._record(rows, added=True)

    async def delete_rows(self, ptype: str, field_index: int, values: Sequence[str], *, exact: bool) -> int:
        """Delete matching rows (recording each as a change) and return how many went."""
        return await self._delete(self._match(ptype, field_index, values, exact=exact))

    async def _delete(self, where: Where | None) -> int:
        t = self.table
        async with self.write_transaction():
            query = t.delete(force=True) if where is None else t.delete().where(where)
            deleted = await query.returning(*(t._meta.get_column_by_name(n) for n in ("ptype", *FIELDS)))
            await self._record(deleted, added=False)
        return len(deleted)

    async def _record(self, rows: Sequence[dict[str, str]], *, added: bool) -> None:
        """Append rows to the change feed; the caller holds the write transaction."""
        feed = self.changes
        if feed is None or not rows:
            return
        if feed._meta.db is not self.table._meta.db:
            raise RuntimeError(
                f"{feed._meta.tablename} and {self.table._meta.tablename} use different engines: "
                "a grant and its change must commit together"
            )
        columns = feed._meta.get_column_by_name
        flag = columns("added")
        for start in range(0, len(rows), _INSERT_CHUNK):
            chunk = rows[start : start + _INSERT_CHUNK]
            await feed.insert(
                *(feed(_data={**{columns(k): r[k] for k in ("ptype", *FIELDS)}, flag: added}) for r in chunk)
            )

    def _match(self, ptype: str, field_index: int, values: Sequence[str], *, exact: bool) -> Where:
        """WHERE for a rule (exact: every field, padding included) or a filter ('' = any)."""
        if field_index < 0 or field_index + len(values) > len(FIELDS):
            raise ValueError(f"fields {field_index}..{field_index + len(values) - 1} do not exist")
        t = self.table
        condition: Any = t.ptype == ptype
        wanted = to_row(ptype, values) if exact else None
        for i, column in enumerate(FIELDS):
            if wanted is not None:
                condition &= t._meta.get_column_by_name(column) == wanted[column]
            elif field_index <= i < field_index + len(values) and values[i - field_index] != "":
                condition &= t._meta.get_column_by_name(column) == values[i - field_index]
        return condition  # type: ignore[no-any-return]
