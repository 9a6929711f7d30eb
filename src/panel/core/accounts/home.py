"""The client-area home page: quick-statistics tiles and widgets, each shown only where the rules engine allows.

Tiles (`DashboardStat`) and widgets (`DashboardWidget`) come from plugins, core's
features included. Their loaders run one after another on every view of the page;
loaders that read the same rows share them through `once`, so the page costs a
fixed number of queries whatever the account holds; loaders whose rows move the
account's data revision (`panel.core.accounts.revisions`) use `cached`, so an
account whose rows did not change is summarised without a query at all.

Both follow the account's arrangement (`panel.core.dashboard`: order, hidden items),
read the same way: through `cached`, its table being watched.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from litestar import Litestar, Request

from panel.core.web.pages import allowed
from panel.plugin import DashboardStat, DashboardWidget

T = TypeVar("T")
Item = TypeVar("Item", DashboardStat, DashboardWidget)

_MEMO_KEY = "home_memo"

CACHE_SECONDS = 60.0
"""The longest a cached summary is used, even with the revision unchanged (what depends on the clock: expiry dates)."""

CACHE_ENTRIES = 20_000
"""Summaries kept per process; the least recently used go first."""

_cache: OrderedDict[tuple[Any, ...], tuple[float, Any]] = OrderedDict()


@dataclass
class LoadedWidget:
    """A widget with what its `load` returned."""

    widget: DashboardWidget
    data: dict[str, Any]


@dataclass(frozen=True)
class LoadedStat:
    """A tile with the value its `load` returned (never None: those tiles are left out)."""

    stat: DashboardStat
    value: Any


def registered_stats(app: Litestar) -> list[DashboardStat]:
    """Every enabled plugin's tiles in display order (collected when the app is built)."""
    stats: list[DashboardStat] = app.state.dashboard_stats
    return stats


async def once(request: Request[Any, Any, Any], key: str, load: Callable[[], Awaitable[T]]) -> T:
    """`load()`'s result, computed once per request under `key` (a tile and a widget reading the same rows)."""
    memo: dict[str, Any] | None = request.state.get(_MEMO_KEY)
    if memo is None:
        memo = {}
        setattr(request.state, _MEMO_KEY, memo)
    if key not in memo:
        memo[key] = await load()
    result: T = memo[key]
    return result


def current_revision(request: Request[Any, Any, Any]) -> int | None:
    """The current account's data revision as the session lookup read it (None: not read, do not cache)."""
    state = request.scope.get("state", {})
    session = state.get("session")
    accounts = getattr(session, "accounts", None)
    if not accounts:
        return None
    account_id = state.get("account_id")
    return next((a.revision for a in accounts if a.id == account_id), None)


async def cached(
    request: Request[Any, Any, Any], key: str, load: Callable[[], Awaitable[T]], *, per_user: bool = False
) -> T:
    """`once(request, key, load)`, kept in this process while the account's data revision stays the same.

    Only for loads that read rows of watched tables (`revisions.watch`) of the current
    account: any change of those rows, by anyone, gives the account a new revision,
    which the session lookup reads at the start of the request, so the next view loads
    again. `per_user` keeps one copy per user (the load reads something of the user's
    own). A copy is used for at most `CACHE_SECONDS` and only on the day it was made,
    for what turns with the clock (an offer expiring, an invoice becoming overdue).
    """
    revision = current_revision(request)
    if revision is None:
        return await once(request, key, load)
    state = request.scope["state"]
    day = datetime.now(UTC).date()
    cache_key = (key, state["account_id"], revision, state.get("user_id") if per_user else None, day)
    now = time.monotonic()
    hit = _cache.get(cache_key)
    if hit is not None and now - hit[0] <= CACHE_SECONDS:
        _cache.move_to_end(cache_key)
        value: T = hit[1]
        return value
    value = await once(request, key, load)
    _cache[cache_key] = (now, value)
    if len(_cache) > CACHE_ENTRIES:
        _cache.popitem(last=False)
    return value


def clear_cache() -> None:
    """Forget every cached summary (tests that rebuild the database)."""
    _cache.clear()


async def _arranged(
    request: Request[Any, Any, Any], group: Literal["stat", "widget"], items: Sequence[Item]
) -> list[Item]:
    """`items` in the account's arrangement, hidden ones left out (`panel.core.dashboard`; no query while unchanged)."""
    from panel.core.dashboard import services as dashboard

    account_id = request.state.account_id
    chosen = await cached(request, "dashboard.arrangement", lambda: dashboard.arrangement(account_id))
    if chosen.is_default:
        return list(items)
    by_key = {dashboard.key_of(group, item.name): item for item in items}
    return [by_key[key] for key in dashboard.arrange(list(by_key), chosen) if key not in chosen.hidden]


async def visible_stats(request: Request[Any, Any, Any]) -> list[LoadedStat]:
    """The tiles the user may see in the current account, with their values (tiles answering None left out)."""
    dom = f"acct:{request.state.account_id}"
    out: list[LoadedStat] = []
    for stat in await _arranged(request, "stat", registered_stats(request.app)):
        if stat.load is None or not allowed(request, stat.obj, stat.action, dom):
            continue
        value = await stat.load(request)
        if value is not None:
            out.append(LoadedStat(stat, value))
    return out


async def visible_widgets(request: Request[Any, Any, Any]) -> list[LoadedWidget]:
    """The widgets the user may see in the current account, with what their `load` returned."""
    dom = f"acct:{request.state.account_id}"
    loaded: list[LoadedWidget] = []
    for widget in await _arranged(request, "widget", request.app.state.widgets):
        if allowed(request, widget.obj, widget.action, dom):
            data = dict(await widget.load(request)) if widget.load else {}
            loaded.append(LoadedWidget(widget, data))
    return loaded
