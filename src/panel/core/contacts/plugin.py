"""Hook implementations of the core contacts feature (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from litestar import Router
from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.core.contacts import opening_routes, routes
from panel.core.jobs.queue import JobHandler
from panel.plugin import NavItem, PluginMeta, hookimpl
from panel.settings import Settings

PLUGIN_META = PluginMeta(name="core_contacts", version=__version__, summary="core: contacts", builtin=True)

# Staff who read accounts (support, billing) may read their contacts too; admins may
# do everything already.
POLICY_LINES = (
    "p, staff:support, *, contact:*, ^(read|list)$, allow",
    "p, staff:billing, *, contact:*, ^(read|list)$, allow",
)


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel.core.contacts.piccolo_app")
    register("panel.core.contacts.sync.piccolo_app")  # contact sync: its settings and the contacts it made


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    register(Router(path="/", route_handlers=routes.PAGE_ROUTES, include_in_schema=False))
    register(routes.api_router())
    register(Router(path="/", route_handlers=opening_routes.PAGE_ROUTES, include_in_schema=False))
    register(opening_routes.api_router())


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "client":
        register(NavItem("My details", "/account/details", "account:profile", "read", order=20))
        register(NavItem("Contacts", "/account/details#contacts", "contact:*", "list", order=21))


@hookimpl
def panel_register_jobs(register: Callable[[JobHandler], None]) -> None:
    from panel.core.contacts.sync.jobs import HANDLERS

    for handler in HANDLERS:
        register(handler)


@hookimpl
def panel_register_policies(register: Callable[[str], None]) -> None:
    for line in POLICY_LINES:
        register(line)
