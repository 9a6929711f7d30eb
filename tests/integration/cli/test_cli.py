"""The `panel` command, run as a user runs it: a separate process."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
from support import SECRET, _create_pg_database, _worker


@pytest.fixture
def cli_env(tmp_path):
    """Environment for a fresh database of its own (SQLite file or PostgreSQL database)."""
    if os.environ.get("PANEL_TEST_DATABASE") == "postgres":
        url = asyncio.run(_create_pg_database(os.environ["PANEL_TEST_PG_URL"], f"hostpanel_cli_{_worker()}"))
    else:
        url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANEL_")}
    env.update({"PANEL_DATABASE_URL": url, "PANEL_SECRET_KEY": SECRET, "PANEL_DATA_DIR": str(tmp_path / "data")})
    return env


def panel(env, *args, check=True):
    done = subprocess.run(
        [sys.executable, "-m", "panel", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=env.get("PANEL_DATA_DIR", "/tmp").rsplit("/", 1)[0],
    )
    if check and done.returncode != 0:
        raise AssertionError(f"panel {' '.join(args)} failed: {done.stdout}\n{done.stderr}")
    return done


def test_invalid_setting_stops_with_one_line_naming_it(cli_env):
    cli_env["PANEL_PORT"] = "eighty"
    done = panel(cli_env, "plugins", "list", check=False)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "PANEL_PORT" in lines[0]


def test_bad_database_url_is_named(cli_env):
    cli_env["PANEL_DATABASE_URL"] = "mysql://x"
    done = panel(cli_env, "migrate", check=False)
    assert done.returncode == 2 and "PANEL_DATABASE_URL" in done.stderr


def test_unknown_plugin_in_settings_is_named(cli_env):
    cli_env["PANEL_PLUGINS"] = "nosuchplugin"
    done = panel(cli_env, "plugins", "list", check=False)
    assert done.returncode == 2 and "nosuchplugin" in done.stderr


def test_migrate_is_idempotent(cli_env):
    assert "migrations up to date: core" in panel(cli_env, "migrate").stdout
    assert "migrations up to date: core" in panel(cli_env, "migrate").stdout


def test_plugins_list_shows_core(cli_env):
    out = panel(cli_env, "plugins", "list").stdout
    assert "core" in out and "builtin" in out


def test_create_admin_and_explain(cli_env):
    panel(cli_env, "users", "create-admin", "--email", "root@example.com", "--password", "a long password!")
    out = panel(
        cli_env,
        "policy",
        "explain",
        "--user",
        "root@example.com",
        "--account",
        "platform",
        "--action",
        "account:*:list",
    ).stdout
    assert out.splitlines()[0] == "allow"
    assert "staff:admin" in out and "g2" in out


def test_demo_prints_logins_and_explain_answers_for_demo_data(cli_env):
    out = panel(cli_env, "demo").stdout
    assert "admin@example.com" in out and "alice@example.com" in out
    alice_pw = next(line.split()[1] for line in out.splitlines() if line.strip().startswith("alice@example.com"))
    assert alice_pw.startswith("demo-")
    # Alice holds only `invoices` in Bob's Bakery (account 3): billing yes, domains no
    allow = panel(
        cli_env, "policy", "explain", "--user", "alice@example.com", "--account", "3", "--action", "invoice:1:read"
    ).stdout
    assert allow.splitlines()[0] == "allow" and "perm:invoices" in allow
    deny = panel(
        cli_env,
        "policy",
        "explain",
        "--user",
        "alice@example.com",
        "--account",
        "3",
        "--action",
        "domain:example.com:update",
    ).stdout
    assert deny.splitlines()[0] == "deny"
    # demo is idempotent and gives fresh passwords
    again = panel(cli_env, "demo").stdout
    assert alice_pw not in again


def test_explain_rejects_malformed_action(cli_env):
    done = panel(
        cli_env, "policy", "explain", "--user", "a@example.com", "--account", "1", "--action", "read", check=False
    )
    assert done.returncode == 2 and "OBJECT:VERB" in done.stderr
