"""How plugins are found and checked at start-up: settings validated with a clear
error, misspelled hooks refused, entry-point discovery of an installed distribution."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import dummy_plugin
import pluggy
import pytest
from click.testing import CliRunner
from factories import account, user
from litestar.testing import AsyncTestClient

from panel.app import create_app
from panel.cli import cli, main
from panel.core.plugins import PanelPlugins
from panel.errors import PluginError, SettingsError
from panel.plugin import PluginMeta, hookimpl
from panel.settings import Settings

# -- plugin settings ----------------------------------------------------------------------


def test_invalid_plugin_setting_stops_app_creation(settings_with: Any) -> None:
    settings = settings_with(PANEL_DUMMY_COLOR="purple")

    with pytest.raises(SettingsError, match="PANEL_DUMMY_COLOR") as caught:
        create_app(settings, extra_plugins=[dummy_plugin], discover=False)

    assert "blue, green" in str(caught.value)


async def test_plugin_setting_from_environment_reaches_pages(settings_with: Any, make_app: Any, login_as: Any) -> None:
    app = await make_app(settings_with(PANEL_DUMMY_COLOR="green"))

    assert app.state.settings.for_plugin("dummy") == {"color": "green"}
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        authz = client.app.state.authz
        await account(authz, "Acme", await user(authz, "owner@example.com"))
        await login_as(client, "owner@example.com")
        home = await client.get("/")
        hello = await client.get("/dummy/hello")

    assert "Dummy plugin footer (green)" in home.text
    assert 'data-testid="dummy-color">green<' in hello.text


# -- hook implementations are checked ------------------------------------------------------


class Misspelled:
    """A plugin whose author typed `rouets`."""

    PLUGIN_META = PluginMeta(name="misspelled", version="0.1.0", summary="has a typo")

    @hookimpl
    def panel_register_rouets(self, register: Any) -> None:
        raise AssertionError("never called")


def test_misspelled_hook_fails_at_startup(settings: Settings) -> None:
    with pytest.raises(pluggy.PluginValidationError, match="panel_register_rouets"):
        create_app(settings, extra_plugins=[Misspelled()], discover=False)


class WrongArgument:
    """A plugin whose hook asks for an argument the spec does not give."""

    PLUGIN_META = PluginMeta(name="wrongarg", version="0.1.0", summary="asks for too much")

    @hookimpl
    def panel_register_static(self, register: Any, area: str) -> None:
        raise AssertionError("never called")


def test_hook_asking_for_unknown_argument_fails_at_startup(settings: Settings) -> None:
    with pytest.raises(pluggy.PluginValidationError, match="area"):
        PanelPlugins(settings, extra=[WrongArgument()], discover=False)


def test_plugin_without_meta_is_refused(settings: Settings) -> None:
    class NoMeta:
        pass

    with pytest.raises(PluginError, match="PLUGIN_META"):
        PanelPlugins(settings, extra=[NoMeta()], discover=False)


def test_same_plugin_twice_is_refused(settings: Settings) -> None:
    with pytest.raises(PluginError, match="dummy: installed twice"):
        PanelPlugins(settings, extra=[dummy_plugin, dummy_plugin], discover=False)


def test_enabling_a_plugin_that_is_not_installed_is_refused(settings_with: Any) -> None:
    with pytest.raises(PluginError, match="PANEL_PLUGINS names dummy"):
        PanelPlugins(settings_with(PANEL_PLUGINS="dummy"), discover=False)


# -- entry-point discovery -------------------------------------------------------------------


@pytest.fixture
def installed_dummy(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Install the dummy plugin as a distribution would: a dist-info with an entry point.

    The environment is set as `panel` would read it, so `load_settings()` and the CLI
    see the test database.
    """
    site = tmp_path / "site"
    dist = site / "hostpanel_dummy-0.1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hostpanel-dummy\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text("[hostpanel.plugins]\ndummy = dummy_plugin\n")
    monkeypatch.syspath_prepend(str(site))
    config = tmp_path / "panel.toml"
    config.write_text("")
    env = {
        "PANEL_CONFIG": str(config),
        "PANEL_DATABASE_URL": settings.database_url,
        "PANEL_SECRET_KEY": settings.secret_key,
        "PANEL_DATA_DIR": str(tmp_path / "data"),
        "PANEL_PLUGINS": "dummy",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return site


def test_entry_point_discovery_finds_installed_plugin(installed_dummy: Path) -> None:
    from panel.settings import load_settings

    plugins = PanelPlugins(load_settings())

    found = {p.meta.name: p for p in plugins.installed}
    assert found["dummy"].enabled
    assert found["dummy"].source == "dummy_plugin (hostpanel-dummy)"
    assert plugins.is_enabled("dummy")
    assert "dummy_plugin.piccolo_app" in plugins.piccolo_apps()


def test_panel_plugins_list_shows_installed_plugin(installed_dummy: Path) -> None:
    result = CliRunner().invoke(cli, ["plugins", "list"])

    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if line.startswith("dummy "))
    assert row.split()[:3] == ["dummy", "0.1.0", "yes"]
    assert "hostpanel-dummy" in row


def test_panel_plugins_list_shows_installed_but_disabled_plugin(
    installed_dummy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PANEL_PLUGINS", "core")

    result = CliRunner().invoke(cli, ["plugins", "list"])

    row = next(line for line in result.output.splitlines() if line.startswith("dummy "))
    assert row.split()[:3] == ["dummy", "0.1.0", "no"]


def _run_panel(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """Run `panel ARGS` through the real entry point; `main` adds plugin commands to `cli`."""
    before = set(cli.commands)
    monkeypatch.setattr(sys, "argv", ["panel", *args])
    try:
        with pytest.raises(SystemExit) as exited:
            main()
    finally:
        for name in set(cli.commands) - before:
            cli.commands.pop(name)
    return int(exited.value.code or 0)


def test_panel_runs_command_of_discovered_plugin(
    installed_dummy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _run_panel(monkeypatch, "dummy", "hello", "--name", "Grace")

    assert code == 0
    assert capsys.readouterr().out == "Hello, Grace, from the dummy plugin.\n"
    assert "dummy" not in cli.commands


def test_panel_has_no_command_of_disabled_plugin(
    installed_dummy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PANEL_PLUGINS", "core")

    code = _run_panel(monkeypatch, "dummy", "hello")

    assert code == 2
    assert "No such command 'dummy'" in capsys.readouterr().err


def test_panel_names_bad_plugin_setting(
    installed_dummy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PANEL_DUMMY_COLOR", "purple")

    with pytest.raises(SystemExit) as exited:
        monkeypatch.setattr(sys, "argv", ["panel", "plugins", "list"])
        main()

    assert exited.value.code == 2
    assert capsys.readouterr().err.startswith("panel: PANEL_DUMMY_COLOR is invalid")
