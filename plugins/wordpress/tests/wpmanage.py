"""A second set of real WordPress sites for the tests that change sites: updates, installs, users.

They are not the `wp_sites` of the connect tests, so those keep the stock plugins they
check. Both sites run the connector as a must-use plugin; site "one" also runs the
plugin `hostpanel-breaker` 1.0.0 (active). The update stand-in serves the packages built
here (`$WPT_BASE/<set>/packages`), as the catalogue names them:

- akismet 5.3.1: Akismet 5.0.2 with its version raised;
- hostpanel-breaker 2.0.0: calls a function that does not exist, so every request fatals;
- twentytwentyone 9.0: a two-file theme;
- hostpanel-hello 1.2.0: the directory's plugin, installed by slug.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import factories as f
from conftest import BASE, SCRIPT, WpSite, _lock, wp_json
from support import free_port, need_service

from panel_wordpress.client import CONNECTOR_FILE

STOCK = Path("/usr/share/wordpress/wp-content")
BREAKER = "hostpanel-breaker/hostpanel-breaker.php"


@dataclass(frozen=True)
class ManageEnv:
    """This test process's two sites for changes."""

    one: WpSite  # runs hostpanel-breaker 1.0.0, whose 2.0.0 breaks the site
    two: WpSite


def plugin_zip(folder: str, files: dict[str, str]) -> bytes:
    """A plugin or theme zip: `files` (name -> text) under `folder/`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(f"{folder}/{name}", text)
    return buffer.getvalue()


def _breaker(version: str, body: str) -> dict[str, str]:
    header = f"<?php\n/**\n * Plugin Name: Hostpanel Breaker\n * Version: {version}\n */\n"
    return {"hostpanel-breaker.php": header + body}


def theme_files(name: str, version: str) -> dict[str, str]:
    """The smallest theme WordPress accepts: a style.css header and an index.php."""
    return {
        "style.css": f"/*\nTheme Name: {name}\nVersion: {version}\n*/\n",
        "index.php": "<?php get_header(); echo '<p>plain</p>'; get_footer();\n",
    }


def _packages(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    akismet = io.BytesIO()
    with zipfile.ZipFile(akismet, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((STOCK / "plugins" / "akismet").rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                if path.name == "akismet.php":
                    data = data.replace(b"Version: 5.0.2", b"Version: 5.3.1")
                archive.writestr(f"akismet/{path.relative_to(STOCK / 'plugins' / 'akismet')}", data)
    (folder / "akismet.5.3.1.zip").write_bytes(akismet.getvalue())
    broken = "hostpanel_breaker_function_that_does_not_exist();\n"
    (folder / "hostpanel-breaker.2.0.0.zip").write_bytes(plugin_zip("hostpanel-breaker", _breaker("2.0.0", broken)))
    (folder / "twentytwentyone.9.0.zip").write_bytes(
        plugin_zip("twentytwentyone", theme_files("Twenty Twenty-One", "9.0"))
    )
    hello = "<?php\n/**\n * Plugin Name: Hostpanel Hello\n * Version: 1.2.0\n */\n"
    (folder / "hostpanel-hello.1.2.0.zip").write_bytes(plugin_zip("hostpanel-hello", {"hostpanel-hello.php": hello}))


def _reset_content(doc: Path) -> None:
    """What `up` does not reset and these tests change: themes, kept copies, the mail log, core files."""
    content = doc / "wp-content"
    if not content.is_dir():
        return
    shutil.rmtree(content / "themes", ignore_errors=True)
    shutil.copytree(STOCK / "themes", content / "themes", symlinks=False)
    shutil.rmtree(content / "hostpanel-backups", ignore_errors=True)
    (content / "mail.log").unlink(missing_ok=True)
    for name in ("wp-includes/version.php", "wp-blog-header.php", "wp-admin/includes/update-core.php"):
        shutil.copy(STOCK.parent / name, doc / name)  # what the test core packages change (test_updates_core.py)


def mails(site: WpSite) -> list[dict[str, object]]:
    """Emails WordPress sent on a site (the test mu-plugin logs them instead)."""
    log = site.docroot / "wp-content" / "mail.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


async def owner_with_sites(client: Any, env: ManageEnv) -> tuple[int, dict[str, int]]:
    """An owner logged in, with both sites connected by application password (through the API)."""
    authz = client.app.state.authz
    user_id = await f.user(authz, "owner@example.com")
    account_id = await f.account(authz, "Owner Co", user_id)
    await f.login_as(client, "owner@example.com")
    ids = {}
    for name, site in (("one", env.one), ("two", env.two)):
        answer = await client.post(
            f"/api/v1/wordpress/accounts/{account_id}/sites",
            json={"url": site.url, "method": "app_password", "user": "admin", "app_password": site.app_password},
            headers={"x-csrftoken": f.csrf(client)},
        )
        assert answer.status_code == 201, answer.text
        ids[name] = answer.json()["site"]["site"]["id"]
    return account_id, ids


@contextmanager
def manage_sites() -> Iterator[ManageEnv]:
    """Bring up this test process's change set ("<worker>-m"); stop it (and MariaDB when last) afterwards."""
    BASE.mkdir(parents=True, exist_ok=True)
    name = os.environ.get("PYTEST_XDIST_WORKER", "main") + "-m"
    own = _lock(BASE / f"{name}.lock", fcntl.LOCK_EX)
    if own is None:
        name = f"{name}-{os.getpid()}"
        own = _lock(BASE / f"{name}.lock", fcntl.LOCK_EX)
    users = BASE / "db.users"
    using_db = _lock(users, fcntl.LOCK_SH)
    ports = [free_port() for _ in range(3)]
    env = {
        **os.environ,
        "WPT_BASE": str(BASE),
        "WPT_SET": name,
        "WPT_SITES": f"one:{ports[0]} two:{ports[1]}",
        "WPT_API_PORT": str(ports[2]),
        "WPT_FRESH": "1",
    }
    try:
        for site in ("one", "two"):
            _reset_content(BASE / name / "sites" / site)
        up = subprocess.run(["bash", str(SCRIPT), "up"], env=env, capture_output=True, text=True, timeout=300)
        if up.returncode == 3:
            need_service("the Debian packages for WordPress tests (" + up.stderr.strip().splitlines()[-1].strip() + ")")
        assert up.returncode == 0, up.stdout + up.stderr
        sites = {}
        for site in ("one", "two"):
            creds = json.loads((BASE / name / "creds" / f"{site}.json").read_text())
            sites[site] = WpSite(
                creds["url"], creds["admin_user"], creds["admin_pass"], creds["app_password"], Path(creds["docroot"])
            )
            shutil.copy(CONNECTOR_FILE, sites[site].docroot / "wp-content" / "mu-plugins")
        _packages(BASE / name / "packages")
        folder = sites["one"].docroot / "wp-content" / "plugins" / "hostpanel-breaker"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "hostpanel-breaker.php").write_text(_breaker("1.0.0", "")["hostpanel-breaker.php"])
        wp_json(sites["one"], "/wp/v2/plugins/hostpanel-breaker/hostpanel-breaker", "POST", json={"status": "active"})
        yield ManageEnv(sites["one"], sites["two"])
    finally:
        subprocess.run(["bash", str(SCRIPT), "down"], env=env, capture_output=True, timeout=60)
        if using_db is not None:
            using_db.close()
        last = _lock(users, fcntl.LOCK_EX)
        if last is not None:
            subprocess.run(["bash", str(SCRIPT), "stop-db"], env=env, capture_output=True, timeout=60)
            last.close()
        if own is not None:
            own.close()
