"""Hook implementations of the core profile feature (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from panel import __version__
from panel.plugin import NavItem, PluginMeta, hookimpl
from panel.settings import Setting, parse_int

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

    from panel.settings import Settings


def _check_limit(value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("must be a whole number >= 1")


PLUGIN_META = PluginMeta(
    name="core_profile",
    version=__version__,
    summary="core: profile",
    builtin=True,
    settings=(
        Setting(
            "reset_limit_address",
            "Password reset requests allowed per client address per 15 minutes.",
            default=10,
            parse=parse_int,
            validate=_check_limit,
        ),
        Setting(
            "reset_limit_email",
            "Password reset requests allowed per email address per 15 minutes.",
            default=3,
            parse=parse_int,
            validate=_check_limit,
        ),
        Setting(
            "image_max_bytes",
            "The largest profile image accepted, in bytes.",
            default=1024 * 1024,
            parse=parse_int,
            validate=_check_limit,
        ),
    ),
)


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    from panel.core.profile.api import api_handlers
    from panel.core.profile.link_routes import LINK_ROUTES
    from panel.core.profile.routes import ROUTES

    for handler in [*ROUTES, *LINK_ROUTES, *api_handlers()]:
        register(handler)


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "client":
        register(NavItem("Your profile", "/me", "account:dashboard", order=900))
    else:
        register(NavItem("Your profile", "/me", "admin:dashboard", order=900))


@hookimpl
def panel_register_policies(register: Callable[[str], None]) -> None:
    from panel.core.profile.guards import POLICY_LINES

    for line in POLICY_LINES:
        register(line)
