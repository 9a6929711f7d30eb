"""Hook implementations of the core mail feature (a built-in plugin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from jinja2 import Environment
from litestar import Litestar
from litestar.types import ControllerRouterHandler

from panel import __version__
from panel.core.mail import routes, services
from panel.core.mail.config import PLUGIN_NAME, SETTINGS, MailConfig
from panel.core.mail.mailer import Mailer
from panel.errors import PluginError
from panel.plugin import NavItem, PluginMeta, hookimpl
from panel.settings import Settings

PLUGIN_META = PluginMeta(name=PLUGIN_NAME, version=__version__, summary="core: mail", builtin=True, settings=SETTINGS)

POLICY_LINES = (
    # Support staff see the outbox and retry failed messages; the test email and
    # everything else stay with staff:admin (who may do everything already).
    # Account owners and members with perm:emails read their account's history
    # through core's own lines on email:*.
    f"p, staff:support, *, {routes.ADMIN_OBJ}, ^(read|retry)$, allow",
)


@hookimpl
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    for handler in routes.PAGE_ROUTES:
        register(handler)
    register(routes.api_router())


@hookimpl
def panel_register_templates(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "templates")


@hookimpl
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    register("panel.core.mail.piccolo_app")


@hookimpl
def panel_register_policies(register: Callable[[str], None]) -> None:
    for line in POLICY_LINES:
        register(line)


@hookimpl
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    if area == "client":
        register(NavItem("Emails", "/emails", "email:*", "list", order=80))
    else:
        register(NavItem("Emails", "/admin/emails", routes.ADMIN_OBJ, "read", order=60))


@hookimpl
async def panel_on_startup(app: Litestar, settings: Settings) -> None:
    environment = getattr(app.template_engine, "engine", None)
    if not isinstance(environment, Environment):
        raise PluginError("core_mail: email templates need the app's Jinja2 template engine")
    mailer = Mailer(environment, MailConfig.from_settings(settings))
    app.state.mailer = mailer
    services.install(mailer)
    await mailer.start()


@hookimpl
async def panel_on_shutdown(app: Litestar) -> None:
    mailer: Mailer | None = app.state.get("mailer")
    if mailer is None:
        return
    await mailer.stop()
    services.uninstall(mailer)
