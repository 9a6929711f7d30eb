"""Settings: environment over panel.toml over defaults, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from panel.errors import SettingsError
from panel.settings import Setting, load_settings, require_secret_key, resolve_plugin_settings

NOFILE = Path("/nonexistent/panel.toml")


def test_defaults_use_sqlite_in_data_dir(tmp_path):
    s = load_settings(environ={"PANEL_DATA_DIR": str(tmp_path)}, config=NOFILE)
    assert s.resolved_database_url == f"sqlite:///{tmp_path.resolve() / 'panel.sqlite3'}"
    assert s.port == 8000 and s.plugins == ["all"]


def test_environment_beats_toml(tmp_path):
    toml = tmp_path / "panel.toml"
    toml.write_text('[panel]\nport = 9001\nplugins = "a,b"\n')
    s = load_settings(environ={"PANEL_PORT": "9002"}, config=toml)
    assert s.port == 9002 and s.plugins == ["a", "b"]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PANEL_PORT": "x"}, "PANEL_PORT"),
        ({"PANEL_PORT": "70000"}, "PANEL_PORT"),
        ({"PANEL_DEBUG": "maybe"}, "PANEL_DEBUG"),
        ({"PANEL_DATABASE_URL": "oracle://x"}, "PANEL_DATABASE_URL"),
        ({"PANEL_SMTP_URL": "http://mail"}, "PANEL_SMTP_URL"),
    ],
)
def test_invalid_values_name_the_variable(env, named):
    with pytest.raises(SettingsError, match=named) as info:
        load_settings(environ=env, config=NOFILE)
    assert "\n" not in str(info.value)


def test_toml_errors_name_the_key(tmp_path):
    toml = tmp_path / "panel.toml"
    toml.write_text("[panel]\nport = 0\n")
    with pytest.raises(SettingsError, match=r"panel\.toml panel\.port"):
        load_settings(environ={}, config=toml)


def test_secret_key_missing_short_or_from_file(tmp_path):
    s = load_settings(environ={"PANEL_DATA_DIR": str(tmp_path)}, config=NOFILE)
    with pytest.raises(SettingsError, match="PANEL_SECRET_KEY is not set"):
        require_secret_key(s)
    short = load_settings(environ={"PANEL_SECRET_KEY": "short"}, config=NOFILE)
    with pytest.raises(SettingsError, match="at least 32"):
        require_secret_key(short)
    (tmp_path / "secret.key").write_text("k" * 40)
    assert require_secret_key(s) == "k" * 40


def _blue_or_green(value):
    if value not in {"blue", "green"}:
        raise ValueError("choose blue or green")


def test_plugin_settings_from_env_and_toml(tmp_path):
    toml = tmp_path / "panel.toml"
    toml.write_text('[plugins.shop]\ncolor = "green"\n')
    specs = (Setting("color", "c", default="blue", validate=_blue_or_green),)
    s = load_settings(environ={}, config=toml)
    assert resolve_plugin_settings(s, "shop", specs) == {"color": "green"}
    bad = load_settings(environ={"PANEL_SHOP_COLOR": "red"}, config=toml)
    with pytest.raises(SettingsError, match="PANEL_SHOP_COLOR"):
        resolve_plugin_settings(bad, "shop", specs)


def test_required_plugin_setting(tmp_path):
    s = load_settings(environ={}, config=NOFILE)
    with pytest.raises(SettingsError, match="PANEL_SHOP_API_KEY is not set"):
        resolve_plugin_settings(s, "shop", (Setting("api_key", "the key", required=True),))
