"""Hook implementations of the personal-data export (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from litestar import Router
from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.core.jobs.queue import JobHandler
from panel.plugin import PluginMeta, hookimpl
from panel.settings import Settings

PLUGIN_META = PluginMeta(name="core_privacy", version=__version__, summary="core: personal-data export", builtin=True)

# An admin's export of a member's data is `userdata:<user id>` `backup` in the account:
# the owner and perm:all members hold it (they may do everything), partners are denied
# it by the default policy. Staff acting as a user do not take that user's data, nor a
# member's, away with them.
POLICY_LINES = ("p, mode:impersonation, *, userdata:*, .*, deny",)


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel.core.privacy.piccolo_app")


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    from panel.core.privacy import api, routes

    register(Router(path="/", route_handlers=routes.ROUTES, include_in_schema=False))
    register(api.api_router())


@hookimpl
def panel_register_policies(register: Callable[[str], None]) -> None:
    for line in POLICY_LINES:
        register(line)


@hookimpl
def panel_register_jobs(register: Callable[[JobHandler], None]) -> None:
    from panel.core.privacy.jobs import HANDLERS

    for handler in HANDLERS:
        register(handler)
