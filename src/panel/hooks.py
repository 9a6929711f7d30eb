"""Hook specifications: the public API of hostpanel plugins.

Naming says how results combine:

- `panel_register_*` contributes things through the `register` callback it is given;
  everything registered by every enabled plugin is collected.
- `panel_on_*` is a notification after something happened; the return value is
  ignored, but a coroutine returned is awaited.
- `panel_render_*` returns HTML for a named page slot; results are joined in plugin
  order.

Hooks are always called with keyword arguments, so an implementation may accept only
the parameters it needs. `docs/plugin-hooks.md` documents every hook; a test keeps the
two in step.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from panel.core.jobs.queue import JobHandler
from panel.gateways import PaymentGateway
from panel.plugin import PROJECT, DashboardStat, DashboardWidget, NavItem, Permission, StaticFiles
from panel.product_types import ProductType

if TYPE_CHECKING:
    import click
    from litestar import Litestar, Request
    from litestar.types import ControllerRouterHandler

    from panel.settings import Settings

hookspec = pluggy.HookspecMarker(PROJECT)

# ---------------------------------------------------------------------------------
# Start-up
# ---------------------------------------------------------------------------------


@hookspec
def panel_register_routes(register: Callable[[ControllerRouterHandler], None], settings: Settings) -> None:
    """Add Litestar route handlers, controllers or routers to the app.

    Called once while the app is built, for enabled plugins only. Mount pages under
    `/<plugin>/` and API routes under `/api/v1/<plugin>/`. Every handler must declare
    the rules-engine action it needs, `authz=requires(obj, action)`, or be marked
    `authz=PUBLIC` / `authz=LOGGED_IN` (all from `panel.core.authz.guard`); start-up
    fails for a handler that does neither.

    Args:
        register: call once per handler, controller or router.
        settings: the resolved settings, `settings.for_plugin(name)` for your own.
    """


@hookspec
def panel_register_templates(register: Callable[[Path], None]) -> None:
    """Add a folder of Jinja2 templates.

    Called once while the app is built. Put your own templates under `<plugin>/` in
    that folder. A template with the same name as a core one (for example
    `layouts/client.html`) replaces it; the original stays reachable as
    `core:layouts/client.html` so an override can extend it.

    Args:
        register: call with the folder's path.
    """


@hookspec
def panel_register_static(register: Callable[[StaticFiles], None]) -> None:
    """Serve a folder of static files under `/static/<plugin>/`.

    Called once while the app is built. Files are public: never put secrets there.

    Args:
        register: call with a `StaticFiles(plugin, directory)`.
    """


@hookspec
def panel_register_piccolo_apps(register: Callable[[str], None]) -> None:
    """Add a Piccolo app (tables and migrations) to the database.

    Called when the database is configured, before migrations run, at start-up and
    by `panel migrate`. Register the import path of a module that defines
    `APP_CONFIG`, e.g. `"panel_wordpress.piccolo_app"`. Prefix table names with the
    plugin name and declare `migration_dependencies` on `"panel.core.piccolo_app"`.
    A disabled plugin's migrations do not run and its tables are not touched.

    Args:
        register: call with the module path.
    """


@hookspec
def panel_register_cli_commands(register: Callable[[click.Command], None]) -> None:
    """Add sub-commands to the `panel` command line.

    Called when the CLI starts, before arguments are parsed. Name a group after the
    plugin (`panel wordpress ...`) so commands never collide.

    Args:
        register: call with a `click.Command` or `click.Group`.
    """


@hookspec
def panel_on_startup(app: Litestar, settings: Settings) -> Any:
    """Called once the database connection is open and the rules engine loaded, before the app serves.

    Not called by CLI commands that do not start the web app. May return a coroutine,
    which is awaited; keep it short, start-up waits for it.

    Args:
        app: the Litestar application.
        settings: the resolved settings.
    """


@hookspec
def panel_on_shutdown(app: Litestar) -> Any:
    """Called once when the app stops serving, before the database connection closes.

    Stop here what `panel_on_startup` started (background tasks, connections). Not
    called when start-up failed, nor by CLI commands that do not start the web app.
    May return a coroutine, which is awaited. Do not raise: an exception is logged
    and shutdown goes on.

    Args:
        app: the Litestar application.
    """


# ---------------------------------------------------------------------------------
# Catalog
# ---------------------------------------------------------------------------------


@hookspec
def panel_register_product_types(register: Callable[[ProductType], None]) -> None:
    """Add product types that the catalog can sell (see `panel.product_types`).

    Called once while the app is built. Type names are namespaced by plugin
    (`ssl.certificate`) and must be unique; a clash stops start-up.

    Args:
        register: call with a `ProductType` instance.
    """


# ---------------------------------------------------------------------------------
# Orders and billing
# ---------------------------------------------------------------------------------


@hookspec
def panel_register_payment_gateways(register: Callable[[PaymentGateway], None]) -> None:
    """Add payment gateways that invoices can be paid through (see `panel.gateways`).

    Called once while the app is built. Gateway names are unique (prefix yours with
    the plugin's name); a clash stops start-up. Core registers `credit` and
    `bank_transfer`. A gateway is offered on an invoice when its
    `enabled_for(store_id, currency)` says so.

    Args:
        register: call with a `PaymentGateway` instance.
    """


@hookspec
def panel_on_invoice_paid(invoice_id: int, account_id: int, order_id: int | None) -> Any:
    """Called after an invoice became paid in full and the payment was committed.

    Called once per invoice, by the request or job that recorded the last payment;
    not called for a partial payment, for a credit note, or when a payment arrives
    for an invoice that was already paid (a retried webhook). Core uses it to hand
    the items of a paid order to their product types. May return a coroutine, which
    is awaited; an exception is logged and does not undo the payment.

    Args:
        invoice_id: the invoice now paid.
        account_id: the account it was issued to.
        order_id: the order it was raised for, or None (renewals, manual invoices).
    """


# ---------------------------------------------------------------------------------
# Services lifecycle
# ---------------------------------------------------------------------------------


@hookspec
def panel_register_jobs(register: Callable[[JobHandler], None]) -> None:
    """Add kinds of background job that the job queue can run.

    Called once while the app is built and once when `panel worker` starts, for
    enabled plugins only: a job whose plugin is disabled stays queued and fails with
    a clear error when a worker picks it up. Names are namespaced by plugin
    (`wordpress.backup`) and must be unique; a clash stops start-up. A handler may
    run more than once for one job (a retry, or a worker that died mid-job): make it
    idempotent. Enqueue with `panel.core.jobs.services.enqueue(...)`.

    Args:
        register: call with a `JobHandler(name, run)`; `run(ctx)` is a coroutine
            given the payload, the attempt number and `ctx.progress(percent, message)`.
    """


@hookspec
def panel_on_service_event(event: str, service_id: int, account_id: int, product_type: str) -> Any:
    """Called after a service changed through its lifecycle, once the change was committed.

    `event` is one of `provisioned` (the service became active), `suspended`,
    `unsuspended`, `terminated`, `renewed` (a paid renewal moved its due date on),
    `cancelled` (a cancellation request was carried out), `package_changed`,
    `password_changed` and `action` (a client-area action ran). Called by the request
    or job that made the change; a job that runs again does not call it twice for
    one change. May return a coroutine, which is awaited; an exception is logged and
    does not undo the change.

    Args:
        event: what happened, from the list above.
        service_id: the service.
        account_id: the account that owns it.
        product_type: the service's product type name (`core.hosting_plan`).
    """


# ---------------------------------------------------------------------------------
# Client area and admin area
# ---------------------------------------------------------------------------------


@hookspec
def panel_register_nav_items(register: Callable[[NavItem], None], area: str) -> None:
    """Add links to the navigation of the client area or the admin area.

    Called once per area while the app is built (not per request). Each item is shown
    only to users the rules engine allows `item.action` on `item.obj`.

    Args:
        register: call with a `NavItem`.
        area: `"client"` or `"admin"`.
    """


@hookspec
def panel_register_dashboard_widgets(register: Callable[[DashboardWidget], None]) -> None:
    """Add panels to the client-area home page.

    Called once while the app is built. A widget's `load` runs on every view of the
    home page for users allowed to see it: keep it to one or two queries.

    Args:
        register: call with a `DashboardWidget`.
    """


@hookspec
def panel_register_dashboard_stats(register: Callable[[DashboardStat], None]) -> None:
    """Add quick-statistics tiles to the top of the client-area home page.

    Called once per app; the tiles are kept, not asked for again. Each tile is shown
    only to users the rules engine allows `stat.action` on `stat.obj` in the current
    account, and only when its `load` returns a value (None leaves it out). Core
    registers active services, the unpaid total and the credit balance. `load` runs
    on every view of the home page by every user allowed to see the tile, one tile
    after another: keep it to one query, and share it with your widget when both
    read the same rows (keep the result on `request.state` for the request).

    Args:
        register: call with a `DashboardStat(name, label, obj, action, order, load, href)`.
    """


@hookspec
def panel_render_page_slot(slot: str, request: Request[Any, Any, Any], context: dict[str, Any]) -> str | None:
    """Return HTML for a named slot in a page, or None to add nothing.

    Called on every render of a page that has the slot, for each enabled plugin;
    results are joined in plugin order. The HTML is inserted as it is: escape what
    you did not write (render a template rather than building strings). Slots in core
    pages: `client.banner` (above every client page's content), `client.sidebar`,
    `client.footer`, `admin.footer`, `dashboard.top`, and
    `service.actions` on a client's service page, whose context has the `service`
    (fill it with the buttons of your product type, checking `service.product_type`).

    Args:
        slot: the slot's name.
        request: the current request (`request.state.user`, `.account`).
        context: the page's template context; do not change it.
    """


# ---------------------------------------------------------------------------------
# Authorization
# ---------------------------------------------------------------------------------


@hookspec
def panel_register_permissions(register: Callable[[Permission], None]) -> None:
    """Add per-account permissions that owners can grant to members.

    Called once while the app is built. A permission named `wordpress.sites` becomes
    the rules-engine role `perm:wordpress.sites`; say what it allows with
    `panel_register_policies`.

    Args:
        register: call with a `Permission`.
    """


@hookspec
def panel_register_policies(register: Callable[[str], None]) -> None:
    """Add rules-engine policy lines, in the CSV form of `policies/policy.csv`.

    Called once while the rules engine loads, for enabled plugins only: a disabled
    plugin's lines are absent, so nothing it allowed is allowed. Use objects prefixed
    with the plugin name (`wordpress.site:*`). Lines are kept in memory, never stored.

    Args:
        register: call with one line, e.g.
            `"p, perm:wordpress.sites, *, wordpress.site:*, ^(read|list)$, allow"`.
    """


# ---------------------------------------------------------------------------------
# Users and sessions
# ---------------------------------------------------------------------------------


@hookspec
def panel_on_user_logged_in(user_id: int, account_id: int | None, staff: bool) -> Any:
    """Called after a user logged in with the right password, before the response.

    Not called for failed or rate-limited attempts, nor when an API token is used.
    May return a coroutine, which is awaited.

    Args:
        user_id: the user.
        account_id: the account chosen for the session, None if the user must pick.
        staff: whether the user has a platform staff role.
    """
