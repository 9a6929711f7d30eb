"""Hook implementations of the core audit feature (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.core.audit import routes
from panel.plugin import NavItem, PluginMeta, hookimpl
from panel.settings import Settings

PLUGIN_META = PluginMeta(name="core_audit", version=__version__, summary="core: audit", builtin=True)

POLICY_LINES = (
    # Support staff read the whole log (admin area) and any account's log; staff:admin
    # may do everything already, account owners hold everything in their account.
    "p, staff:support, *, audit:*, ^(read|list)$, allow",
)


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    for handler in routes.page_routes():
        register(handler)
    register(routes.api_router())


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel.core.audit.piccolo_app")


@hookimpl
def panel_register_policies(register: Callable[[str], None]) -> None:
    for line in POLICY_LINES:
        register(line)


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "client":
        register(NavItem("Audit log", "/account/audit", "audit:*", "list", order=90))
    else:
        register(NavItem("Audit log", "/admin/audit", "audit:*", "list", order=80))
