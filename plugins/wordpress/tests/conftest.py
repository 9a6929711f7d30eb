"""Fixtures of the wordpress plugin's tests: a migrated database, an app with the plugin, real WordPress sites.

The core suite's helpers (`support`, `factories`) live in the repository's `tests/`
folder; its fixtures do not reach this folder, so the few needed are here, on a
database of their own (`..._wp`) so a worker that runs core tests too never shares one.

`wp_sites` brings real WordPress sites up once per test process with
`scripts/test-wordpress.sh` (each pytest worker gets its own set, ports and
databases), and skips when the Debian packages are missing, unless
PANEL_REQUIRE_SERVICES=1 (CI), where it fails.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests"))  # the core suite's helpers: support, factories

from litestar import Litestar  # noqa: E402
from litestar.testing import AsyncTestClient  # noqa: E402
from panel.settings import Settings  # noqa: E402
from plugin_fixtures import _cheap_password_hashes, _no_env_leak, migrated_database, smtp, smtp_server  # noqa: E402,F401 (fixtures)
from support import empty_tables, free_port, make_settings, need_service, shared_app  # noqa: E402

import panel_wordpress.plugin  # noqa: E402
from panel_wordpress.client import CONNECTOR_FILE  # noqa: E402

SCRIPT = REPO / "scripts" / "test-wordpress.sh"
BASE = Path(os.environ.get("TMPDIR", "/tmp")) / "hostpanel-wp"


@dataclass(frozen=True)
class WpSite:
    """A running test site and its administrator's credentials."""

    url: str
    admin_user: str
    admin_pass: str
    app_password: str  # made by the test set-up (name "test-setup"), for connecting with one
    docroot: Path


@pytest.fixture(scope="session")
def wp_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database for this worker's wordpress tests, migrated once (plugins included, as `panel migrate`)."""
    return migrated_database(tmp_path_factory, "wp")


@pytest.fixture
def settings(wp_database_url: str, tmp_path: Path) -> Settings:
    """Test sites live on loopback: allow it (the production default refuses private addresses)."""
    return make_settings(
        wp_database_url, tmp_path, PANEL_WORDPRESS_ALLOW_PRIVATE_HOSTS="true", PANEL_WORDPRESS_TIMEOUT="15"
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client of an app with the wordpress plugin, on emptied tables."""
    from panel.core import db

    application = shared_app(settings, panel_wordpress.plugin)
    await empty_tables()
    try:
        async with AsyncTestClient(app=application, base_url="http://testserver.local") as c:
            yield c
    finally:
        await db.disconnect()


# -- real WordPress ---------------------------------------------------------------------------


def _lock(path: Path, mode: int) -> IO[str] | None:
    handle = path.open("a")
    try:
        fcntl.flock(handle, mode | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


@dataclass(frozen=True)
class WpEnv:
    """This test process's sites, and the address of the update stand-in (which is not WordPress)."""

    login: WpSite  # without the connector: connecting with a login uploads it
    apppw: WpSite  # with the connector as a must-use plugin
    update_api: str


@pytest.fixture(scope="session")
def wp_sites() -> Iterator[WpEnv]:
    """Two fresh sites for this test process: "login" (no connector) and "apppw" (connector as a mu-plugin).

    Both see the update stand-in, which offers WordPress 6.1.10, Akismet 5.3.1 and
    Twenty Twenty-One 9.0 (`wp/catalogue.json`).
    """
    BASE.mkdir(parents=True, exist_ok=True)
    name = os.environ.get("PYTEST_XDIST_WORKER", "main")
    own = _lock(BASE / f"{name}.lock", fcntl.LOCK_EX)
    if own is None:  # another pytest run uses this worker's set right now
        name = f"{name}-{os.getpid()}"
        own = _lock(BASE / f"{name}.lock", fcntl.LOCK_EX)
    users = BASE / "db.users"
    using_db = _lock(users, fcntl.LOCK_SH)  # while held, nobody stops the shared MariaDB
    ports = [free_port() for _ in range(3)]
    env = {
        **os.environ,
        "WPT_BASE": str(BASE),
        "WPT_SET": name,
        "WPT_SITES": f"login:{ports[0]} apppw:{ports[1]}",
        "WPT_API_PORT": str(ports[2]),
        "WPT_FRESH": "1",
    }
    try:
        up = subprocess.run(["bash", str(SCRIPT), "up"], env=env, capture_output=True, text=True, timeout=300)
        if up.returncode == 3:
            need_service("the Debian packages for WordPress tests (" + up.stderr.strip().splitlines()[-1].strip() + ")")
        assert up.returncode == 0, up.stdout + up.stderr
        sites = {}
        for site in ("login", "apppw"):
            creds = json.loads((BASE / name / "creds" / f"{site}.json").read_text())
            sites[site] = WpSite(
                creds["url"], creds["admin_user"], creds["admin_pass"], creds["app_password"], Path(creds["docroot"])
            )
        shutil.copy(CONNECTOR_FILE, sites["apppw"].docroot / "wp-content" / "mu-plugins")
        yield WpEnv(sites["login"], sites["apppw"], f"http://127.0.0.1:{ports[2]}")
    finally:
        subprocess.run(["bash", str(SCRIPT), "down"], env=env, capture_output=True, timeout=60)
        if using_db is not None:
            using_db.close()
        last = _lock(users, fcntl.LOCK_EX)
        if last is not None:  # no other test process uses the database: stop it
            subprocess.run(["bash", str(SCRIPT), "stop-db"], env=env, capture_output=True, timeout=60)
            last.close()
        if own is not None:
            own.close()


def wp_json(site: WpSite, route: str, method: str = "GET", **kwargs: Any) -> Any:
    """Call a test site's REST API as its administrator (the set-up's application password)."""
    import httpx

    answer = httpx.request(
        method, f"{site.url}/wp-json{route}", auth=(site.admin_user, site.app_password), timeout=30, **kwargs
    )
    answer.raise_for_status()
    return answer.json()


@pytest.fixture(scope="session")
def wp_manage() -> Iterator[Any]:
    """Two more sites, both with the connector, for the tests that change sites (see `wpmanage.py`)."""
    from wpmanage import manage_sites

    with manage_sites() as env:
        yield env
