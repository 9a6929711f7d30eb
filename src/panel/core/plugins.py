"""The plugin manager: discovery, enabling, checks, and typed calls into hooks.

Core code calls hooks only through `PanelPlugins`, never `pm.hook.x` directly, so
every call site is typed and the combine rule of each hook lives in one place.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

from panel import __version__, hooks
from panel.core.jobs.queue import JobHandler
from panel.errors import PluginError
from panel.gateways import PaymentGateway
from panel.plugin import (
    ENTRY_POINT_GROUP,
    PROJECT,
    DashboardStat,
    DashboardWidget,
    NavItem,
    Permission,
    PluginMeta,
    StaticFiles,
)
from panel.product_types import ProductType
from panel.settings import Settings, resolve_plugin_settings

if TYPE_CHECKING:
    import click
    from litestar import Litestar, Request
    from litestar.types import ControllerRouterHandler

log = logging.getLogger("panel.plugins")
T = TypeVar("T")

# Core features that contribute through hooks, each from its own feature folder.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "panel.core.builtin",
    "panel.core.mail.plugin",
    "panel.core.audit.plugin",
    "panel.core.contacts.plugin",
    "panel.core.clients.plugin",
    "panel.core.members.plugin",
    "panel.core.profile.plugin",
    "panel.core.stores.plugin",
    "panel.core.catalog.plugin",
    "panel.core.orders.plugin",
    "panel.core.billing.plugin",
    "panel.core.services.plugin",
    "panel.core.lifecycle.plugin",
    "panel.core.search.plugin",
    "panel.core.support.plugin",
    "panel.core.announcements.plugin",
    "panel.core.knowledgebase.plugin",
    "panel.core.downloads.plugin",
    "panel.core.quotes.plugin",
    "panel.core.twofactor.plugin",
    "panel.core.privacy.plugin",
    "panel.core.dashboard.plugin",
    "panel.core.referrals.plugin",
    "panel.core.jobs.plugin",
)


@dataclass(frozen=True)
class InstalledPlugin:
    """A plugin found on this installation, enabled or not."""

    meta: PluginMeta
    enabled: bool
    source: str


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".")[:3] if p.isdigit())


def _meta_of(plugin: object, source: str) -> PluginMeta:
    meta = getattr(plugin, "PLUGIN_META", None)
    if not isinstance(meta, PluginMeta):
        raise PluginError(f"plugin {source}: has no PLUGIN_META (a panel.plugin.PluginMeta)")
    if _version_tuple(meta.min_core_version) > _version_tuple(__version__):
        raise PluginError(
            f"plugin {meta.name}: needs hostpanel {meta.min_core_version} or newer, this is {__version__}"
        )
    return meta


def discover_installed() -> list[tuple[object, str]]:
    """Plugins installed as distributions, through the entry point group."""
    found: list[tuple[object, str]] = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            found.append((ep.load(), f"{ep.value} ({ep.dist.name if ep.dist else '?'})"))
        except Exception as exc:  # a broken plugin must name itself, not crash anonymously
            raise PluginError(f"plugin {ep.name}: cannot be imported: {exc}") from exc
    return found


class PanelPlugins:
    """Loads plugins, decides which are enabled, and calls their hooks."""

    def __init__(self, settings: Settings, extra: Sequence[object] = (), discover: bool = True) -> None:
        self.settings = settings
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(hooks)
        self.installed: list[InstalledPlugin] = []
        self.trace: list[tuple[str, dict[str, Any]]] = []
        candidates: list[tuple[object, str]] = []
        for module in BUILTIN_PLUGINS:
            candidates.append((_import(module), module))
        if discover:
            candidates.extend(discover_installed())
        candidates.extend((p, getattr(p, "__name__", repr(p))) for p in extra)
        wanted = set(settings.plugins)
        seen: set[str] = set()
        for plugin, source in candidates:
            meta = _meta_of(plugin, source)
            if meta.name in seen:
                raise PluginError(f"plugin {meta.name}: installed twice ({source})")
            seen.add(meta.name)
            enabled = meta.builtin or "all" in wanted or meta.name in wanted
            self.installed.append(InstalledPlugin(meta, enabled, source))
            if enabled:
                resolve_plugin_settings(settings, meta.name, meta.settings)
                self.pm.register(plugin, name=meta.name)
        unknown = wanted - seen - {"all"}
        if unknown:
            raise PluginError(f"PANEL_PLUGINS names {', '.join(sorted(unknown))}, which is not installed")
        self.pm.check_pending()
        if settings.hook_trace:
            self.pm.add_hookcall_monitoring(self._before, lambda *a: None)

    def _before(self, hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]) -> None:
        self.trace.append((hook_name, dict(kwargs)))
        log.info("hook %s", hook_name)

    @property
    def enabled(self) -> list[PluginMeta]:
        """Metadata of every enabled plugin, built-ins included."""
        return [p.meta for p in self.installed if p.enabled]

    def is_enabled(self, name: str) -> bool:
        """Whether a plugin of that name is registered."""
        return self.pm.has_plugin(name)

    # -- collecting -----------------------------------------------------------------

    def _collect(self, hook: Callable[..., Any], **kwargs: Any) -> list[Any]:
        items: list[Any] = []
        hook(register=items.append, **kwargs)
        return items

    def routes(self) -> list[ControllerRouterHandler]:
        """Route handlers, controllers and routers of enabled plugins."""
        return self._collect(self.pm.hook.panel_register_routes, settings=self.settings)

    def template_dirs(self) -> list[Path]:
        """Template folders, later-registered plugins first (so they override)."""
        return [Path(p) for p in self._collect(self.pm.hook.panel_register_templates)]

    def static_dirs(self) -> list[StaticFiles]:
        """Static folders to serve under /static/<plugin>/."""
        return self._collect(self.pm.hook.panel_register_static)

    def piccolo_apps(self) -> list[str]:
        """Module paths of Piccolo apps, core first."""
        apps = self._collect(self.pm.hook.panel_register_piccolo_apps)
        core = [a for a in apps if a.startswith("panel.core.")]
        return core + [a for a in apps if a not in core]

    def cli_commands(self) -> list[click.Command]:
        """Extra CLI commands."""
        return self._collect(self.pm.hook.panel_register_cli_commands)

    def product_types(self) -> dict[str, ProductType]:
        """Product types by name; a duplicate name is an error."""
        out: dict[str, ProductType] = {}
        for pt in self._collect(self.pm.hook.panel_register_product_types):
            if not isinstance(pt, ProductType) or not pt.name:
                raise PluginError(f"product type {pt!r} is not a named panel.product_types.ProductType")
            if pt.name in out:
                raise PluginError(f"product type {pt.name} is registered twice")
            out[pt.name] = pt
        return out

    def payment_gateways(self) -> dict[str, PaymentGateway]:
        """Payment gateways by name; a duplicate name is an error."""
        out: dict[str, PaymentGateway] = {}
        for gw in self._collect(self.pm.hook.panel_register_payment_gateways):
            if not isinstance(gw, PaymentGateway) or not gw.name:
                raise PluginError(f"payment gateway {gw!r} is not a named panel.gateways.PaymentGateway")
            if gw.name in out:
                raise PluginError(f"payment gateway {gw.name} is registered twice")
            out[gw.name] = gw
        return out

    def job_handlers(self) -> dict[str, JobHandler]:
        """Job handlers by name; a duplicate name is an error."""
        out: dict[str, JobHandler] = {}
        for handler in self._collect(self.pm.hook.panel_register_jobs):
            if not isinstance(handler, JobHandler) or not handler.name:
                raise PluginError(f"job {handler!r} is not a named panel.core.jobs.queue.JobHandler")
            if handler.name in out:
                raise PluginError(f"job {handler.name} is registered twice")
            out[handler.name] = handler
        return out

    def nav_items(self, area: str) -> list[NavItem]:
        """Navigation entries of one area, in display order."""
        return sorted(self._collect(self.pm.hook.panel_register_nav_items, area=area), key=lambda i: i.order)

    def dashboard_widgets(self) -> list[DashboardWidget]:
        """Home-page widgets in display order."""
        return sorted(self._collect(self.pm.hook.panel_register_dashboard_widgets), key=lambda w: w.order)

    def dashboard_stats(self) -> list[DashboardStat]:
        """Home-page statistics tiles in display order; a duplicate name is an error."""
        found = self._collect(self.pm.hook.panel_register_dashboard_stats)
        names: set[str] = set()
        for stat in found:
            if not isinstance(stat, DashboardStat) or not stat.name:
                raise PluginError(f"dashboard stat {stat!r} is not a named panel.plugin.DashboardStat")
            if stat.name in names:
                raise PluginError(f"dashboard stat {stat.name} is registered twice")
            names.add(stat.name)
        return sorted(found, key=lambda s: (s.order, s.name))

    def permissions(self) -> list[Permission]:
        """Per-account permissions, core and plugins, in display order."""
        perms = self._collect(self.pm.hook.panel_register_permissions)
        names = [p.name for p in perms]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise PluginError(f"permission {', '.join(sorted(dupes))} is registered twice")
        return sorted(perms, key=lambda p: (p.order, p.name))

    def policy_lines(self) -> list[str]:
        """Policy lines contributed by enabled plugins."""
        return [line.strip() for line in self._collect(self.pm.hook.panel_register_policies) if line.strip()]

    def render_slot(self, slot: str, request: Request[Any, Any, Any], context: dict[str, Any]) -> str:
        """HTML of every plugin for one page slot, joined."""
        parts = self.pm.hook.panel_render_page_slot(slot=slot, request=request, context=context)
        return "\n".join(p for p in reversed(parts) if p)

    # -- notifications ---------------------------------------------------------------

    async def _notify(self, results: Iterable[Any]) -> None:
        for result in results:
            if inspect.isawaitable(result):
                await result

    async def on_startup(self, app: Litestar) -> None:
        """Tell plugins the app is ready."""
        await self._notify(self.pm.hook.panel_on_startup(app=app, settings=self.settings))

    async def on_shutdown(self, app: Litestar) -> None:
        """Tell plugins the app is stopping; a failing plugin is logged, never raised."""
        try:
            results = self.pm.hook.panel_on_shutdown(app=app)
        except Exception:
            log.exception("a plugin failed while the app was stopping")
            return
        for result in results:
            if inspect.isawaitable(result):
                try:
                    await result
                except Exception:
                    log.exception("a plugin failed while the app was stopping")

    async def on_invoice_paid(self, invoice_id: int, account_id: int, order_id: int | None) -> None:
        """Tell plugins an invoice is paid; a failing plugin is logged, never raised."""
        try:
            results = self.pm.hook.panel_on_invoice_paid(
                invoice_id=invoice_id, account_id=account_id, order_id=order_id
            )
            await self._notify(results)
        except Exception:
            log.exception("a plugin failed after invoice %s was paid", invoice_id)

    async def on_service_event(self, event: str, service_id: int, account_id: int, product_type: str) -> None:
        """Tell plugins a service changed; a failing plugin is logged, never raised."""
        try:
            results = self.pm.hook.panel_on_service_event(
                event=event, service_id=service_id, account_id=account_id, product_type=product_type
            )
            await self._notify(results)
        except Exception:
            log.exception("a plugin failed after service %s was %s", service_id, event)

    async def on_user_logged_in(self, user_id: int, account_id: int | None, staff: bool) -> None:
        """Tell plugins a user logged in."""
        await self._notify(self.pm.hook.panel_on_user_logged_in(user_id=user_id, account_id=account_id, staff=staff))


def _import(module: str) -> ModuleType:
    import importlib

    return importlib.import_module(module)
