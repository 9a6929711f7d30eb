"""The client-area home page: quick-statistics tiles and widgets, each shown only where the rules engine allows.

Tiles (`DashboardStat`) and widgets (`DashboardWidget`) come from plugins, core's
features included. Their loaders run one after another on every view of the page;
loaders that read the same rows share them through `once`, so the page costs a
fixed number of queries whatever the account holds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from litestar import Litestar, Request

from panel.core.web.pages import allowed
from panel.plugin import DashboardStat, DashboardWidget

T = TypeVar("T")

_MEMO_KEY = "home_memo"


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


async def visible_stats(request: Request[Any, Any, Any]) -> list[LoadedStat]:
    """The tiles the user may see in the current account, with their values (tiles answering None left out)."""
    dom = f"acct:{request.state.account_id}"
    out: list[LoadedStat] = []
    for stat in registered_stats(request.app):
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
    for widget in request.app.state.widgets:
        if allowed(request, widget.obj, widget.action, dom):
            data = dict(await widget.load(request)) if widget.load else {}
            loaded.append(LoadedWidget(widget, data))
    return loaded
