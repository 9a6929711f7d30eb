"""The application factory. Nothing is loaded at import time: `create_app(settings)`."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from panel import __version__
from panel.core import db, runtime
from panel.core.accounts.routes import ROUTES as ACCOUNT_ROUTES
from panel.core.admin.routes import ROUTES as ADMIN_ROUTES
from panel.core.api.routes import api_router
from panel.core.auth.middleware import AuthMiddleware
from panel.core.auth.ratelimit import FailureCounter
from panel.core.auth.routes import ROUTES as AUTH_ROUTES
from panel.core.authz import Authorizer, PiccoloAdapter
from panel.core.authz.guard import OPT_KEY, PUBLIC, authorize, check_routes
from panel.core.plugins import PanelPlugins
from panel.core.web.errors import EXCEPTION_HANDLERS
from panel.core.web.templating import build_environment
from panel.settings import Settings, require_secret_key


def default_policies_dir() -> Path:
    """The shipped `policies/` folder (inside the wheel, or the source checkout)."""
    packaged = Path(__file__).resolve().parent / "policies"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "policies"


def policies_dir(settings: Settings) -> Path:
    """The policies folder in use: the setting, else the shipped one."""
    return Path(settings.policies_dir) if settings.policies_dir else default_policies_dir()


async def load_authorizer(settings: Settings, plugins: PanelPlugins) -> Authorizer:
    """The rules engine with the policy files, plugin lines and the database's grants."""
    folder = policies_dir(settings)
    return await Authorizer.create(
        folder / "model.conf",
        [folder / "policy.csv"],
        plugins.policy_lines(),
        adapter=PiccoloAdapter(),
        sync_interval=settings.authz_sync_seconds,
    )


def create_app(
    settings: Settings,
    extra_plugins: Sequence[object] = (),
    discover: bool = True,
) -> Litestar:
    """Build the web app for these settings and the enabled plugins."""
    logging.getLogger("casbin").setLevel(logging.WARNING)  # it prints the whole model at INFO
    plugins = PanelPlugins(settings, extra=extra_plugins, discover=discover)
    secret = require_secret_key(settings)
    db.configure(settings, plugins.piccolo_apps())
    environment = build_environment(plugins.template_dirs(), reload=settings.debug)
    statics = [
        create_static_files_router(
            path=f"/static/{s.plugin}", directories=[s.directory], opt={OPT_KEY: PUBLIC}, include_in_schema=False
        )
        for s in plugins.static_dirs()
    ]
    product_types = plugins.product_types()

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if settings.database_pool:
            await db.connect()
        app.state.authz = await load_authorizer(settings, plugins)
        runtime.install(runtime.Runtime(settings, plugins, product_types, app.state.payment_gateways, app.state.authz))
        gc.freeze()  # long-lived start-up objects stay out of every later collection
        await plugins.on_startup(app)
        try:
            yield
        finally:
            await plugins.on_shutdown(app)
            await db.disconnect()

    app = Litestar(
        route_handlers=[*AUTH_ROUTES, *ACCOUNT_ROUTES, *ADMIN_ROUTES, api_router(), *statics, *plugins.routes()],
        lifespan=[lifespan],
        guards=[authorize],
        middleware=[AuthMiddleware(settings)],
        csrf_config=CSRFConfig(
            secret=secret, cookie_secure=settings.secure_cookies, exclude=["/api/"], cookie_samesite="lax"
        ),
        template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment)),
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(
            title="hostpanel API",
            version=__version__,
            openapi_router=Router(path="/api/v1/schema", route_handlers=[], opt={OPT_KEY: PUBLIC}),
            render_plugins=[JsonRenderPlugin(), SwaggerRenderPlugin(path="/")],
        ),
        debug=settings.debug,
        state=_state(settings, plugins, product_types),
    )
    check_routes(app)
    return app


def _state(settings: Settings, plugins: PanelPlugins, product_types: dict[str, Any]) -> Any:
    from litestar.datastructures import State

    return State(
        {
            "settings": settings,
            "plugins": plugins,
            "nav": {"client": plugins.nav_items("client"), "admin": plugins.nav_items("admin")},
            "widgets": plugins.dashboard_widgets(),
            "dashboard_stats": plugins.dashboard_stats(),
            "permissions": plugins.permissions(),
            "product_types": product_types,
            "payment_gateways": plugins.payment_gateways(),
            "login_failures": FailureCounter(),
        }
    )
