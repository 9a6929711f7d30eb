"""Arranging an account's home page: the order of its tiles and widgets, and which are hidden.

Rules kept here:

- an arrangement belongs to an account and applies to every member's home page; a
  member still sees only the items the rules engine lets them see (the arrangement
  never shows anything, it only orders and hides);
- tiles (`stat:<name>`) and widgets (`widget:<name>`) are ordered within their own
  group, as the page shows them in two places;
- keys of items no plugin registers any more are dropped when the arrangement is
  saved; items registered later come after the arranged ones, in default order;
- no row means the default: the plugins' own order, everything shown. Resetting
  deletes the row.

The home page reads the arrangement through `home.cached`; the table is watched
(`revisions.watch`), so a change shows at every member's next view at once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from panel.core import db
from panel.core.audit.services import AuditContext, record
from panel.core.dashboard.tables import DashboardArrangement
from panel.errors import ValidationFailed

Group = Literal["stat", "widget"]


@dataclass(frozen=True)
class Arrangement:
    """An account's arrangement: item keys in the chosen order and the hidden ones (empty: the default)."""

    order: tuple[str, ...] = ()
    hidden: frozenset[str] = frozenset()

    @property
    def is_default(self) -> bool:
        """Nothing arranged: the plugins' order, everything shown."""
        return not self.order and not self.hidden


DEFAULT = Arrangement()


@dataclass(frozen=True)
class Item:
    """One tile or widget as the arrange page lists it."""

    key: str
    group: Group
    title: str
    shown: bool


@dataclass
class Choices:
    """The arrange page's two lists, in the account's order."""

    stats: list[Item] = field(default_factory=list)
    widgets: list[Item] = field(default_factory=list)


def key_of(group: Group, name: str) -> str:
    """The key of a registered tile or widget (`stat:billing.unpaid`, `widget:billing`)."""
    return f"{group}:{name}"


def _json_list(raw: Any) -> list[str]:
    if isinstance(raw, list):
        return [str(v) for v in raw]
    try:
        value = json.loads(raw or "[]")
    except (TypeError, ValueError):
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


async def arrangement(account_id: int) -> Arrangement:
    """The account's arrangement (one query; `DEFAULT` when it never arranged its page)."""
    row = (
        await DashboardArrangement.select(DashboardArrangement.item_order, DashboardArrangement.hidden)
        .where(DashboardArrangement.account == account_id)
        .first()
    )
    if row is None:
        return DEFAULT
    return Arrangement(tuple(_json_list(row["item_order"])), frozenset(_json_list(row["hidden"])))


def arrange(keys: Sequence[str], chosen: Arrangement) -> list[str]:
    """`keys` (in default order) in the chosen order: arranged keys first, then the others as they came."""
    position = {key: i for i, key in enumerate(chosen.order)}
    arranged = sorted((k for k in keys if k in position), key=position.__getitem__)
    return arranged + [k for k in keys if k not in position]


def choices(stats: Sequence[tuple[str, str]], widgets: Sequence[tuple[str, str]], chosen: Arrangement) -> Choices:
    """The arrange page's lists: (name, title) of every registered tile and widget, in the account's order."""
    out = Choices()
    for group, items, target in (("stat", stats, out.stats), ("widget", widgets, out.widgets)):
        titles = {key_of(group, name): title for name, title in items}  # type: ignore[arg-type]
        for key in arrange(list(titles), chosen):
            target.append(Item(key, group, titles[key], key not in chosen.hidden))  # type: ignore[arg-type]
    return out


def move(keys: Sequence[str], key: str, direction: str) -> list[str]:
    """`keys` with `key` one place up or down (unchanged at either end or for an unknown key)."""
    out = list(keys)
    if key not in out or direction not in ("up", "down"):
        return out
    i = out.index(key)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(out):
        out[i], out[j] = out[j], out[i]
    return out


def _check(order: Sequence[str], hidden: Sequence[str], known: set[str]) -> tuple[list[str], list[str]]:
    """Known keys only, each once; `ValidationFailed` for an unknown one (a stale form or a typo in the API)."""
    unknown = sorted({k for k in [*order, *hidden] if k not in known})
    if unknown:
        raise ValidationFailed({"order": f"No such tile or widget: {', '.join(unknown)}."})
    return list(dict.fromkeys(order)), sorted(set(hidden))


def _summary(chosen: Arrangement) -> dict[str, Any]:
    return {"order": list(chosen.order), "hidden": sorted(chosen.hidden)}


async def save(
    account_id: int, order: Sequence[str], hidden: Sequence[str], known: set[str], *, by: AuditContext
) -> Arrangement:
    """Store the account's arrangement (audited); returns it. `known`: the keys plugins register now."""
    clean_order, clean_hidden = _check(order, hidden, known)
    after = Arrangement(tuple(clean_order), frozenset(clean_hidden))
    async with db.write_transaction():
        before = await arrangement(account_id)
        if before == after:
            return after
        values: dict[Any, Any] = {
            DashboardArrangement.item_order: json.dumps(clean_order),
            DashboardArrangement.hidden: json.dumps(clean_hidden),
            DashboardArrangement.changed_by: by["actor"],
            DashboardArrangement.changed_at: datetime.now(UTC),
        }
        updated = (
            await DashboardArrangement.update(values)
            .where(DashboardArrangement.account == account_id)
            .returning(DashboardArrangement.id)
        )
        if not updated:
            row = {DashboardArrangement.account: account_id, **values}
            await DashboardArrangement.insert(DashboardArrangement(_data=row))
        await record(
            "dashboard.arrange",
            account_id=account_id,
            target="account:dashboard",
            summary="Arranged the account's home page.",
            details={"before": _summary(before), "after": _summary(after)},
            **by,
        )
    return after


async def reset(account_id: int, *, by: AuditContext) -> bool:
    """Back to the default arrangement (audited); False when it was the default already."""
    async with db.write_transaction():
        before = await arrangement(account_id)
        if before.is_default:
            return False
        await DashboardArrangement.delete().where(DashboardArrangement.account == account_id)
        await record(
            "dashboard.reset",
            account_id=account_id,
            target="account:dashboard",
            summary="Reset the account's home page to the default arrangement.",
            details={"before": _summary(before), "after": _summary(DEFAULT)},
            **by,
        )
    return True
