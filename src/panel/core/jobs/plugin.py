"""Hook implementations of the core job queue (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from litestar import Litestar, Router
from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.core.jobs import routes
from panel.core.jobs.cli import worker_command
from panel.core.jobs.services import PLUGIN, SETTINGS, check_backend, close_connections, make_worker, schedule_of
from panel.errors import SettingsError
from panel.plugin import NavItem, PluginMeta, hookimpl
from panel.settings import Settings

PLUGIN_META = PluginMeta(
    name=PLUGIN, version=__version__, summary="core: durable job queue", builtin=True, settings=SETTINGS
)


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel.core.jobs.piccolo_app")


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    register(Router(path="/", route_handlers=routes.ROUTES, include_in_schema=False))


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "admin":
        register(NavItem("Jobs", "/admin/jobs", "job:*", "list", order=90))


@hookimpl
def panel_register_cli_commands(register: Callable[[click.Command], None]) -> None:
    register(worker_command)


def check_schedule(settings: Settings, known: set[str]) -> None:
    """Every scheduled task must name a registered job."""
    unknown = sorted(set(schedule_of(settings)) - known)
    if unknown:
        raise SettingsError(
            f"PANEL_CORE_JOBS_SCHEDULE names {', '.join(unknown)}, which no enabled plugin registers as a job"
        )


@hookimpl
async def panel_on_startup(app: Litestar, settings: Settings) -> None:
    handlers = app.state.plugins.job_handlers()
    check_backend(settings)
    check_schedule(settings, set(handlers))
    app.state.jobs_worker = None
    if settings.for_plugin(PLUGIN)["worker"]:
        worker = make_worker(settings, handlers, schedule_of(settings, handlers))
        worker.start()
        app.state.jobs_worker = worker


@hookimpl
async def panel_on_shutdown(app: Litestar) -> None:
    worker = app.state.get("jobs_worker")
    if worker is not None:
        await worker.stop()
    await close_connections()
