"""What a plugin author imports: the hook marker and the things hooks register.

A plugin is a module (or object) with a `PLUGIN_META` and functions marked with
`@hookimpl` whose names match the specs in `panel.hooks`. It is found through the
`hostpanel.plugins` entry point group and enabled with `PANEL_PLUGINS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from panel.settings import Setting

if TYPE_CHECKING:
    from litestar import Request

PROJECT = "panel"
ENTRY_POINT_GROUP = "hostpanel.plugins"

hookimpl = pluggy.HookimplMarker(PROJECT)
"""Marks a function in a plugin as an implementation of the hook of the same name."""


@dataclass(frozen=True)
class PluginMeta:
    """Declares a plugin: checked at start-up, shown by `panel plugins list`.

    `name` prefixes everything the plugin owns: its routes (`/<name>/...`), templates
    (`<name>/...`), static files (`/static/<name>/`), tables (`<name>_...`), settings
    (`PANEL_<NAME>_...`) and rules-engine objects (`<name>.thing:*`).
    """

    name: str
    version: str
    summary: str
    min_core_version: str = "0.1.0"
    settings: tuple[Setting, ...] = ()
    builtin: bool = False


@dataclass(frozen=True)
class NavItem:
    """A link in the client or admin navigation.

    Shown only when the rules engine allows `action` on `obj` in the current account
    (client area) or on the platform (admin area), and, if given, `visible(request)`
    answers True: use it for what is a fact about the account rather than a right of
    the user (e.g. "this account runs a reseller store"); it runs on every page view,
    so keep it to one cheap query. Lower `order` comes first.
    """

    label: str
    href: str
    obj: str
    action: str = "read"
    order: int = 100
    icon: str = ""
    visible: Callable[[Request[Any, Any, Any]], Awaitable[bool]] | None = None


@dataclass(frozen=True)
class DashboardWidget:
    """A panel on the client-area home page.

    `template` is rendered with the page context plus whatever `load` returns. Shown
    only when the rules engine allows `action` on `obj` in the current account.
    """

    name: str
    title: str
    template: str
    obj: str
    action: str = "read"
    order: int = 100
    load: Callable[[Request[Any, Any, Any]], Awaitable[Mapping[str, Any]]] | None = None


@dataclass(frozen=True)
class DashboardStat:
    """A quick-statistics tile at the top of the client-area home page: a value, a label, a link.

    Shown only when the rules engine allows `action` on `obj` in the current account
    and `load(request)` returns something other than None (None: nothing to show in
    this account, the tile is left out). The value is shown as it is returned: a
    number, or a text such as "€12.10". `href` is where the tile leads ("" for no
    link); point it at a page the same `obj`/`action` opens. Lower `order` comes first.
    """

    name: str
    label: str
    obj: str
    action: str = "read"
    order: int = 100
    load: Callable[[Request[Any, Any, Any]], Awaitable[Any]] | None = None
    href: str = ""

    def __post_init__(self) -> None:
        """A tile without `load` would show nothing: refuse it when the plugin registers it."""
        if self.load is None:
            raise TypeError(f"dashboard stat {self.name!r} needs a load function")


@dataclass(frozen=True)
class Permission:
    """A per-account permission that an owner can grant to a member.

    Becomes the rules-engine role `perm:<name>`; the plugin's policy lines say what
    that role may do. Core permissions are registered the same way.
    """

    name: str
    label: str
    description: str = ""
    order: int = 100


@dataclass(frozen=True)
class StaticFiles:
    """A folder served under `/static/<plugin>/`."""

    plugin: str
    directory: Path


@dataclass
class HookTrace:
    """One recorded hook call (kept when `PANEL_HOOK_TRACE` is on)."""

    hook: str
    kwargs: dict[str, Any] = field(default_factory=dict)
