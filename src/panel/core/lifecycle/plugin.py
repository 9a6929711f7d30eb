"""Hook implementations of the service lifecycle (a built-in plugin): renewals, reminders, overdue, cancellations."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from litestar import Router
from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.core.jobs.queue import JobHandler
from panel.core.lifecycle.config import PLUGIN, SETTINGS
from panel.plugin import NavItem, PluginMeta, hookimpl
from panel.settings import Settings

log = logging.getLogger("panel.lifecycle")

PLUGIN_META = PluginMeta(
    name=PLUGIN, version=__version__, summary="core: service lifecycle", builtin=True, settings=SETTINGS
)


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel.core.lifecycle.piccolo_app")


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_jobs(register: Callable[[JobHandler], None]) -> None:
    from panel.core.lifecycle.jobs import HANDLERS

    for handler in HANDLERS:
        register(handler)


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    from panel.core.lifecycle import package_routes, routes

    register(Router(path="/", route_handlers=routes.ROUTES, include_in_schema=False))
    register(routes.api_router())
    register(Router(path="/", route_handlers=package_routes.ROUTES, include_in_schema=False))
    register(package_routes.api_router())


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "admin":
        register(NavItem("Cancellations", "/admin/cancellations", "service:*", "list", order=32))


@hookimpl
async def panel_on_invoice_paid(invoice_id: int, account_id: int, order_id: int | None) -> None:
    """A paid renewal invoice is applied by a job (keyed by the invoice: queued once)."""
    from panel.core import runtime
    from panel.core.jobs.services import enqueue
    from panel.core.lifecycle.jobs import RENEWAL_PAID
    from panel.core.lifecycle.renewals import has_renewals

    if await has_renewals(invoice_id):
        await enqueue(
            runtime.current().settings, RENEWAL_PAID, {"invoice_id": invoice_id}, key=f"renewal-paid:{invoice_id}"
        )
    await _queue_package_change(invoice_id)


async def _queue_package_change(invoice_id: int) -> None:
    """A paid upgrade invoice is applied by a job (keyed by the change: queued once)."""
    from panel.core import runtime
    from panel.core.jobs.services import enqueue
    from panel.core.lifecycle.packages import APPLY_JOB, change_of_invoice

    change_id = await change_of_invoice(invoice_id)
    if change_id is not None:
        await enqueue(
            runtime.current().settings, APPLY_JOB, {"change_id": change_id}, key=f"package-change:{change_id}"
        )
