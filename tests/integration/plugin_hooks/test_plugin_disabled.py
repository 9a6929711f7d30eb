"""A plugin that is installed but not enabled (PANEL_PLUGINS leaves it out) leaves no
trace: no routes, pages, templates, static files, nav items, widget, slot, policy
lines, permission, product type, table, CLI commands or notifications."""

from __future__ import annotations

from typing import Any

import dummy_plugin
from factories import account, user
from litestar import Litestar
from litestar.testing import AsyncTestClient

from panel.core.authz import AuthzRequest
from panel.core.plugins import PanelPlugins
from panel.settings import Settings

Client = AsyncTestClient[Litestar]


async def test_disabled_plugin_is_installed_but_off(disabled_app: Litestar) -> None:
    plugins = disabled_app.state.plugins.installed
    installed = {p.meta.name: p.enabled for p in plugins if not p.meta.builtin}

    assert installed == {"dummy": False}
    assert all(p.enabled for p in plugins if p.meta.builtin)
    assert not disabled_app.state.plugins.is_enabled("dummy")


async def test_disabled_plugin_has_no_routes(disabled_client: Client, login_as: Any) -> None:
    authz = disabled_client.app.state.authz
    owner = await user(authz, "owner@example.com")
    acct = await account(authz, "Acme", owner)
    await login_as(disabled_client, "owner@example.com")

    assert (await disabled_client.get("/dummy/hello")).status_code == 404
    assert (await disabled_client.get("/dummy/admin")).status_code == 404
    assert (await disabled_client.get(f"/api/v1/dummy/accounts/{acct}/notes")).status_code == 404
    assert (await disabled_client.get("/static/dummy/dummy.css")).status_code == 404
    assert "/dummy" not in (await disabled_client.get("/api/v1/schema/openapi.json")).text


async def test_disabled_plugin_adds_nothing_to_pages(disabled_client: Client, login_as: Any) -> None:
    authz = disabled_client.app.state.authz
    owner = await user(authz, "owner@example.com")
    await account(authz, "Acme", owner)
    await user(authz, "admin@example.com", staff="admin")

    login_page = await disabled_client.get("/login")
    await login_as(disabled_client, "owner@example.com")
    home = await disabled_client.get("/")
    await login_as(disabled_client, "admin@example.com")
    admin_home = await disabled_client.get("/admin")
    plugins_page = await disabled_client.get("/admin/plugins")

    assert "dummy-login-marker" not in login_page.text  # core's login template again
    assert 'name="password"' in login_page.text
    assert home.status_code == 200
    assert 'href="/dummy/hello"' not in home.text
    assert 'id="widget-dummy"' not in home.text
    assert "dummy-footer" not in home.text
    assert 'href="/dummy/admin"' not in admin_home.text
    assert "<td>dummy</td><td>0.1.0</td><td>no</td>" in plugins_page.text


async def test_disabled_plugin_has_no_policy_lines(disabled_client: Client) -> None:
    authz = disabled_client.app.state.authz
    owner = await user(authz, "owner@example.com")
    member = await user(authz, "member@example.com")
    acct = await account(authz, "Acme", owner, members={member: ["dummy.things"]})

    decision = authz.explain(AuthzRequest(f"user:{member}", "", f"acct:{acct}", "dummy.thing:1", "read"))

    assert not decision.allowed
    assert decision.rule is None
    assert not any("dummy" in ",".join(line) for line in authz.policy_lines())


async def test_disabled_plugin_registers_nothing(disabled_app: Litestar) -> None:
    state = disabled_app.state

    assert "dummy.thing" not in state.product_types
    assert "dummy.things" not in [p.name for p in state.permissions]
    assert not [w for w in state.widgets if w.name == "dummy"]
    assert not [i for area in ("client", "admin") for i in state.nav[area] if i.href.startswith("/dummy")]
    assert "dummy_plugin.piccolo_app" not in state.plugins.piccolo_apps()
    assert not [line for line in state.plugins.policy_lines() if "dummy" in line]


async def test_disabled_plugin_gets_no_notifications(disabled_client: Client, login_as: Any, events: list[Any]) -> None:
    await user(disabled_client.app.state.authz, "owner@example.com")

    await login_as(disabled_client, "owner@example.com")

    assert events == []  # neither the start-up of disabled_client nor the login


def test_disabled_plugin_has_no_cli_commands(disabled_settings: Settings) -> None:
    plugins = PanelPlugins(disabled_settings, extra=[dummy_plugin], discover=False)

    assert "dummy" not in [c.name for c in plugins.cli_commands()]


def test_disabled_plugin_settings_are_not_validated(settings_with: Any) -> None:
    # A bad value for a plugin that is off must not stop the panel.
    settings = settings_with(PANEL_PLUGINS="core", PANEL_DUMMY_COLOR="purple")

    plugins = PanelPlugins(settings, extra=[dummy_plugin], discover=False)

    assert not plugins.is_enabled("dummy")
    assert settings.for_plugin("dummy") == {}
