"""Hooks a user notices away from the pages: product types, permissions, policy
lines, start-up and login notifications, CLI commands; and that the dummy plugin
really implements every hook, so the other tests cover the whole plugin API."""

from __future__ import annotations

import re
from typing import Any

import dummy_plugin
import pytest
from click.testing import CliRunner
from factories import PASSWORD, account, csrf, get_csrf, user
from litestar import Litestar
from litestar.testing import AsyncTestClient

from panel import hooks
from panel.cli import cli
from panel.core import db
from panel.core.authz import AuthzRequest
from panel.core.billing import credit
from panel.core.billing.invoicing import LineDraft, issue_invoice
from panel.core.billing.tables import CreditKind
from panel.core.plugins import PanelPlugins
from panel.core.stores.tables import Store
from panel.plugin import PROJECT, hookimpl
from panel.product_types import ServiceContext
from panel.settings import Settings

Client = AsyncTestClient[Litestar]
POLICY_LINE = ("p", "perm:dummy.things", "*", "dummy.thing:*", ".*", "allow")


def spec_names() -> set[str]:
    return {name for name, f in vars(hooks).items() if callable(f) and hasattr(f, f"{PROJECT}_spec")}


def test_dummy_plugin_implements_every_hook() -> None:
    implemented = {name for name, f in vars(dummy_plugin).items() if hasattr(f, f"{PROJECT}_impl")}

    assert implemented == spec_names()


# -- panel_register_product_types ---------------------------------------------------------


async def test_product_type_is_registered_and_provisions(dummy_app: Litestar) -> None:
    product_type = dummy_app.state.product_types["dummy.thing"]

    assert isinstance(product_type, dummy_plugin.DummyThing)
    ctx = ServiceContext(service_id=7, account_id=1, product_config={}, service_data={})
    result = await product_type.provision(ctx)
    assert result.ok and result.data == {"thing_id": "thing-7"}


# -- panel_register_permissions, panel_register_policies ----------------------------------


async def test_permission_is_listed_with_core_ones(dummy_app: Litestar) -> None:
    names = [p.name for p in dummy_app.state.permissions]

    assert "dummy.things" in names
    assert names.index("dummy.things") > names.index("all")  # order=200 sorts after core's


async def test_plugins_policy_line_decides_for_the_permission(dummy_authz: Any) -> None:
    owner = await user(dummy_authz, "owner@example.com")
    member = await user(dummy_authz, "member@example.com")
    acct = await account(dummy_authz, "Acme", owner, members={member: ["dummy.things"]})

    decision = dummy_authz.explain(AuthzRequest(f"user:{member}", "", f"acct:{acct}", "dummy.thing:5", "update"))

    assert decision.allowed
    assert decision.rule == POLICY_LINE
    assert decision.grant == ("g", f"user:{member}", "perm:dummy.things", f"acct:{acct}")


async def test_policy_line_gives_nothing_outside_the_plugins_objects(dummy_authz: Any) -> None:
    owner = await user(dummy_authz, "owner@example.com")
    member = await user(dummy_authz, "member@example.com")
    acct = await account(dummy_authz, "Acme", owner, members={member: ["dummy.things"]})

    decision = dummy_authz.explain(AuthzRequest(f"user:{member}", "", f"acct:{acct}", "invoice:1", "read"))

    assert not decision.allowed


# -- panel_on_startup ------------------------------------------------------------------------


async def test_startup_hook_runs_once_when_the_app_starts(dummy_app: Litestar, events: list[Any]) -> None:
    assert events == []  # building the app is not starting it

    async with AsyncTestClient(app=dummy_app):
        started = [e for kind, e in events if kind == "startup"]

    assert len(started) == 1
    assert started[0]["app"] is dummy_app
    assert started[0]["color"] == "blue"


# -- panel_on_shutdown -----------------------------------------------------------------------


async def test_shutdown_hook_runs_once_when_the_app_stops(dummy_app: Litestar, events: list[Any]) -> None:
    async with AsyncTestClient(app=dummy_app):
        assert [kind for kind, _ in events] == ["startup"]  # running: not stopped yet

    assert [kind for kind, _ in events] == ["startup", "shutdown"]
    assert events[-1][1]["app"] is dummy_app


async def test_shutdown_hook_failure_is_logged_and_shutdown_goes_on(
    dummy_app: Litestar, events: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        @hookimpl
        async def panel_on_shutdown(self, app: Litestar) -> None:
            raise RuntimeError("cannot stop")

    plugins = dummy_app.state.plugins
    plugins.pm.register(Broken(), name="broken")  # called first: registered last
    try:
        async with AsyncTestClient(app=dummy_app):
            pass
    finally:
        plugins.pm.unregister(name="broken")

    assert "shutdown" in [kind for kind, _ in events]  # the dummy plugin was still told
    assert "cannot stop" in caplog.text


# -- panel_on_user_logged_in -------------------------------------------------------------------


async def test_login_hook_fires_on_a_real_login(dummy_client: Client, dummy_authz: Any, events: list[Any]) -> None:
    owner = await user(dummy_authz, "owner@example.com")
    acct = await account(dummy_authz, "Acme", owner)
    token = await get_csrf(dummy_client)

    response = await dummy_client.post(
        "/login",
        data={"email": "owner@example.com", "password": PASSWORD, "_csrf_token": token},
        follow_redirects=False,
    )

    assert response.status_code in {302, 303}
    assert [e for kind, e in events if kind == "login"] == [{"user_id": owner, "account_id": acct, "staff": False}]


async def test_login_hook_reports_staff_and_no_account(
    dummy_client: Client, dummy_authz: Any, events: list[Any]
) -> None:
    admin = await user(dummy_authz, "admin@example.com", staff="admin")

    response = await dummy_client.post("/api/v1/auth/login", json={"email": "admin@example.com", "password": PASSWORD})

    assert response.status_code == 200
    assert [e for kind, e in events if kind == "login"] == [{"user_id": admin, "account_id": None, "staff": True}]


async def test_login_hook_silent_for_wrong_password_and_api_tokens(
    dummy_client: Client, dummy_authz: Any, events: list[Any]
) -> None:
    await user(dummy_authz, "owner@example.com")
    wrong = await dummy_client.post("/api/v1/auth/login", json={"email": "owner@example.com", "password": "nope"})
    assert wrong.status_code == 422
    assert not [e for kind, e in events if kind == "login"]

    csrf = await get_csrf(dummy_client)
    await dummy_client.post("/api/v1/auth/login", json={"email": "owner@example.com", "password": PASSWORD})
    created = await dummy_client.post("/api/v1/tokens", json={"name": "ci"}, headers={"x-csrftoken": csrf})
    assert created.status_code == 201, created.text
    secret = created.json()["token"]
    dummy_client.cookies.clear()
    me = await dummy_client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})

    assert me.status_code == 200
    assert len([e for kind, e in events if kind == "login"]) == 1  # only the password login


# -- panel_register_cli_commands ---------------------------------------------------------------


@pytest.fixture
def cli_with_plugin_commands(settings: Settings) -> Any:
    """`panel.cli.cli` with the enabled plugins' commands added, as `panel.cli.main` does."""
    commands = PanelPlugins(settings, extra=[dummy_plugin], discover=False).cli_commands()
    for command in commands:
        cli.add_command(command)
    try:
        yield cli
    finally:
        for command in commands:
            cli.commands.pop(command.name or "", None)


def test_cli_command_runs(cli_with_plugin_commands: Any) -> None:
    result = CliRunner().invoke(cli_with_plugin_commands, ["dummy", "hello", "--name", "Ada"])

    assert result.exit_code == 0, result.output
    assert result.output == "Hello, Ada, from the dummy plugin.\n"


def test_cli_group_is_listed_in_help(cli_with_plugin_commands: Any) -> None:
    result = CliRunner().invoke(cli_with_plugin_commands, ["--help"])

    assert "dummy" in result.output
    assert "Commands of the dummy plugin." in result.output


def test_cli_commands_are_gone_after_the_fixture() -> None:
    assert "dummy" not in cli.commands


# -- every hook is called by core --------------------------------------------------------------


async def test_core_calls_every_hook(settings_with: Any, make_app: Any, login_as: Any) -> None:
    app = await make_app(settings_with(PANEL_HOOK_TRACE="true", PANEL_CORE_JOBS_WORKER="false"))
    plugins = app.state.plugins
    plugins.cli_commands()  # called by `panel.cli.main`, not by the web app
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        authz = client.app.state.authz
        owner = await user(authz, "owner@example.com")
        acct = await account(authz, "Acme", owner)
        await login_as(client, "owner@example.com")
        assert (await client.get("/")).status_code == 200
        invoice_id = await _small_invoice_with_credit(acct)
        key = re.search(r'name="key" value="([^"]+)"', (await client.get(f"/invoices/{invoice_id}")).text)
        assert key, "the invoice page offers no payment from credit"
        paid = await client.post(
            f"/invoices/{invoice_id}/pay",
            data={"how": "credit", "key": key.group(1), "_csrf_token": csrf(client)},
            follow_redirects=False,
        )
        assert paid.status_code == 303, paid.text
        service_id = await _provisioned_service(client.app, acct)

    called = {name for name, _ in plugins.trace}

    assert called == spec_names()
    assert ("invoice_paid", {"invoice_id": invoice_id, "account_id": acct, "order_id": None}) in dummy_plugin.EVENTS
    provisioned = {"event": "provisioned", "service_id": service_id, "account_id": acct, "type": "dummy.thing"}
    assert ("service_event", provisioned) in dummy_plugin.EVENTS


async def _provisioned_service(app: Any, account_id: int) -> int:
    """A paid order's `dummy.thing`, provisioned by its job (which fires `panel_on_service_event`)."""
    from services import commerce  # tests/integration/services (its folder is on the path)

    from panel.core.jobs.services import queue_for
    from panel.core.jobs.worker import Worker
    from panel.core.services.provisioning import enqueue_order

    store = await Store.select(Store.id).first()
    product = await commerce.product("dummy.thing", "Thing")
    order_id, [service_id] = await commerce.order(
        account_id, store["id"], [{"product": product, "type": "dummy.thing"}]
    )
    await enqueue_order(app.state.settings, order_id)
    await Worker(queue_for(app.state.settings), app.state.plugins.job_handlers()).run_until_idle()
    return service_id


async def _small_invoice_with_credit(account_id: int) -> int:
    """A 5.00 USD invoice of the account, and 5.00 USD of credit to pay it with."""
    store = await Store.insert(Store(name="Main", slug="main", is_default=True)).returning(Store.id)
    async with db.write_transaction():
        invoice_id = await issue_invoice(
            store_id=store[0]["id"],
            account_id=account_id,
            currency="USD",
            lines=[LineDraft("A small thing", 500)],
            billing={"name": "Acme"},
        )
        await credit.add(account_id, "USD", 500, CreditKind.ADJUSTMENT, "to pay the test invoice", None)
    return invoice_id
