"""A plugin that implements every hook, so the test suite can prove each one works.

It is also the worked example of `docs/writing-a-plugin.md`. Everything it owns is
prefixed with its name: routes `/dummy/...` and `/api/v1/dummy/...`, templates
`dummy/...`, static files `/static/dummy/...`, the table `dummy_note`, the setting
`PANEL_DUMMY_COLOR`, the CLI group `panel dummy`, the product type `dummy.thing`, the
permission `dummy.things` and the rules-engine objects `dummy.thing:*` and
`dummy.admin`. `EVENTS` records the notifications it receives, for tests to read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click
from litestar import Litestar, Request
from litestar.types import ControllerRouterHandler

from dummy_plugin import routes, services
from panel.core.jobs.queue import JobContext, JobHandler
from panel.gateways import PaymentGateway
from panel.plugin import DashboardStat, DashboardWidget, NavItem, Permission, PluginMeta, StaticFiles, hookimpl
from panel.product_types import OperationResult, ProductType, ServiceContext
from panel.settings import Setting, Settings

HERE = Path(__file__).resolve().parent

PLUGIN_META = PluginMeta(
    name="dummy",
    version="0.1.0",
    summary="Touches every hook; used by the test suite.",
    min_core_version="0.1.0",
    settings=(
        Setting("color", "Colour of the dummy footer: blue or green.", default="blue", validate=services.check_color),
    ),
)

EVENTS: list[tuple[str, dict[str, Any]]] = []
"""Notifications received, oldest first: ("startup", {...}), ("login", {...}) and ("shutdown", {...})."""


# -- start-up ------------------------------------------------------------------------


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    register(routes.page_router())
    register(routes.api_router())
    from dummy_plugin import card  # the card gateway's hosted payment page (orders and billing, below)

    register(card.router())


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(HERE / "templates")


@hookimpl
def panel_register_static(register: Callable[[StaticFiles], None]) -> None:
    register(StaticFiles("dummy", HERE / "static"))


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("dummy_plugin.piccolo_app")


@click.group("dummy")
def dummy_cli() -> None:
    """Commands of the dummy plugin."""


@dummy_cli.command("hello")
@click.option("--name", default="world", help="Who to greet.")
def hello_command(name: str) -> None:
    """Print a greeting, to prove plugin commands run."""
    click.echo(f"Hello, {name}, from the dummy plugin.")


@hookimpl
def panel_register_cli_commands(register: Callable[[click.Command], None]) -> None:
    register(dummy_cli)


@hookimpl
async def panel_on_startup(app: Litestar, settings: Settings) -> None:
    EVENTS.append(("startup", {"app": app, "color": settings.for_plugin("dummy")["color"]}))


@hookimpl
async def panel_on_shutdown(app: Litestar) -> None:
    EVENTS.append(("shutdown", {"app": app}))


# -- catalog -------------------------------------------------------------------------


class DummyThing(ProductType):
    """A product staff could sell; provisioning only makes up an id."""

    name = "dummy.thing"
    label = "Dummy thing"
    description = "Provisions nothing; proves the product-type contract."
    options = (Setting("size", "How big the thing is.", default="small"),)

    async def provision(self, ctx: ServiceContext) -> OperationResult:
        """Idempotent: the id depends on the service alone."""
        return OperationResult(data={"thing_id": f"thing-{ctx.service_id}"})

    async def change_password(self, ctx: ServiceContext, password: str) -> OperationResult:
        """Records that (not what) the password was set; "refuse-me..." is refused, as a server would."""
        if password.startswith("refuse-me"):
            return OperationResult(ok=False, message="The thing's server refused that password.")
        PASSWORDS_SET.append(ctx.service_id)
        return OperationResult()


PASSWORDS_SET: list[int] = []
"""Services whose password `dummy.thing` was asked to set."""


@hookimpl
def panel_register_product_types(register: Callable[[ProductType], None]) -> None:
    register(DummyThing())


# -- orders and billing --------------------------------------------------------------


@hookimpl
def panel_register_payment_gateways(register: Callable[[PaymentGateway], None]) -> None:
    from dummy_plugin.card import DummyCard  # the whole gateway, and its fake card network, live in card.py

    register(DummyCard())


@hookimpl
async def panel_on_invoice_paid(invoice_id: int, account_id: int, order_id: int | None) -> None:
    EVENTS.append(("invoice_paid", {"invoice_id": invoice_id, "account_id": account_id, "order_id": order_id}))


@hookimpl
async def panel_on_service_event(event: str, service_id: int, account_id: int, product_type: str) -> None:
    EVENTS.append(
        ("service_event", {"event": event, "service_id": service_id, "account_id": account_id, "type": product_type})
    )


# -- services lifecycle --------------------------------------------------------------

TOUCHED: dict[str, str] = {}
"""What the `dummy.touch` job recorded: payload "key" -> payload "value" (set, not added: idempotent)."""


async def _touch(ctx: JobContext) -> None:
    await ctx.progress(50, "touching")
    TOUCHED[str(ctx.payload.get("key", ""))] = str(ctx.payload.get("value", ""))


@hookimpl
def panel_register_jobs(register: Callable[[JobHandler], None]) -> None:
    register(JobHandler("dummy.touch", _touch, "Records a key and value; running it twice changes nothing."))


# -- client area and admin area ------------------------------------------------------


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "client":
        register(NavItem("Dummy notes", "/dummy/hello", "dummy.thing:*", "read", order=50))
    elif area == "admin":
        register(NavItem("Dummy overview", "/dummy/admin", "dummy.admin", "read", order=50))


async def _load_widget(request: Request[Any, Any, Any]) -> Mapping[str, Any]:
    return {"count": await services.count_notes(request.state.account_id)}


@hookimpl
def panel_register_dashboard_widgets(register: Callable[[DashboardWidget], None]) -> None:
    register(DashboardWidget("dummy", "Dummy notes", "dummy/widget.html", "dummy.thing:*", load=_load_widget))


@hookimpl
def panel_render_page_slot(slot: str, request: Request[Any, Any, Any]) -> str | None:
    if slot != "client.footer":
        return None
    template = request.app.template_engine.get_template("dummy/footer.html")
    return str(template.render(color=request.app.state.settings.for_plugin("dummy")["color"]))


async def _load_stat(request: Request[Any, Any, Any]) -> int | None:
    """The account's number of notes; None (no tile) while it has none."""
    return await services.count_notes(request.state.account_id) or None


@hookimpl
def panel_register_dashboard_stats(register: Callable[[DashboardStat], None]) -> None:
    register(DashboardStat("dummy.notes", "Dummy notes", "dummy.thing:*", load=_load_stat, href="/dummy/hello"))


# -- authorization -------------------------------------------------------------------


@hookimpl
def panel_register_permissions(register: Callable[[Permission], None]) -> None:
    register(Permission("dummy.things", "Dummy notes", "See and add the account's dummy notes.", order=200))


@hookimpl
def panel_register_policies(register: Callable[[str], None]) -> None:
    register("p, perm:dummy.things, *, dummy.thing:*, .*, allow")


# -- users and sessions --------------------------------------------------------------


@hookimpl
async def panel_on_user_logged_in(user_id: int, account_id: int | None, staff: bool) -> None:
    EVENTS.append(("login", {"user_id": user_id, "account_id": account_id, "staff": staff}))
