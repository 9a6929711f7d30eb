"""Hook implementations of two-factor authentication (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from litestar import Router
from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.plugin import PluginMeta, hookimpl
from panel.settings import Settings

PLUGIN_META = PluginMeta(
    name="core_twofactor", version=__version__, summary="core: two-factor authentication (TOTP)", builtin=True
)

# Only the owner (role:owner) may change an account's two-factor requirement:
# perm:all allows everything else, so it is denied here.
# Resetting a user's two-factor (staff, lost app and codes): staff:admin holds it
# (it allows everything); support may not (a reset by phone is the classic way into
# someone else's login), nor may staff acting as a user.
POLICY_LINES = (
    "p, perm:all, *, account:security_policy, .*, deny",
    "p, staff:support, *, user:*, ^reset_twofactor$, deny",
    "p, mode:impersonation, *, user:*, ^reset_twofactor$, deny",
)


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel.core.twofactor.piccolo_app")


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    from panel.core.twofactor import admin_routes, login, routes

    handlers = [*routes.ROUTES, *login.ROUTES, *admin_routes.ROUTES]
    register(Router(path="/", route_handlers=handlers, include_in_schema=False))


@hookimpl
def panel_register_policies(register: Callable[[str], None]) -> None:
    for line in POLICY_LINES:
        register(line)
