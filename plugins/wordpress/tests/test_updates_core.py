"""WordPress itself updated with a kept copy and a rollback, the connector upgrading itself, one site per address.

Runs against the sites of `wp_manage` (see `wpmanage.py`), after `test_updates.py`. The
update stand-in offers WordPress 6.1.10; its package is written here: a small core
package whose `update_core()` copies its files over the site as WordPress's own does
(without the database steps), and notes whether the connector had kept the old core.
"""

from __future__ import annotations

import asyncio
import io
import platform
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import factories as f
import httpx
import pytest
from conftest import WpSite, wp_json
from panel.core import db
from wpmanage import ManageEnv, owner_with_sites

from panel_wordpress.client import CONNECTOR_FILE, shipped_connector_version
from panel_wordpress.migrations import wordpress_2026_11_23t01_30_00_000001 as unique_migration
from panel_wordpress.tables import WordpressItem, WordpressSite

STOCK = Path("/usr/share/wordpress")
CORE_FILES = ("wp-includes/version.php", "wp-blog-header.php", "wp-admin/includes/update-core.php")


def core_package(version: str, broken: bool) -> bytes:
    """The stand-in's WordPress `version`; `broken`: its wp-blog-header.php fatals on every page and REST call."""
    version_php = (STOCK / "wp-includes" / "version.php").read_text()
    version_php = re.sub(r"\$wp_version = '[^']+';", f"$wp_version = '{version}';", version_php)
    update_core = (
        "<?php\n// TEST ONLY: the update stand-in's core package.\n"
        "function update_core( $from, $to ) {\n"
        "\tglobal $wp_filesystem;\n"
        "\t$kept = WP_CONTENT_DIR . '/hostpanel-backups/core/wordpress/wp-includes/version.php';\n"
        "\t$saw = is_file( $kept ) ? file_get_contents( $kept ) : 'no copy';\n"
        "\tfile_put_contents( WP_CONTENT_DIR . '/core-update-saw.txt', $saw );\n"
        "\t$result = copy_dir( $from . '/wordpress', $to );\n"
        "\t$wp_filesystem->delete( $from, true );\n"
        f"\treturn is_wp_error( $result ) ? $result : '{version}';\n"
        "}\n"
    )
    files = {"wp-includes/version.php": version_php, "wp-admin/includes/update-core.php": update_core}
    if broken:
        files["wp-blog-header.php"] = "<?php\nhostpanel_core_breaker_function_that_does_not_exist();\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(f"wordpress/{name}", text)
    return buffer.getvalue()


def stock_core(site: WpSite) -> None:
    """Put back the core files the packages change, so later sessions find WordPress 6.1.9."""
    for name in CORE_FILES:
        shutil.copy(STOCK / name, site.docroot / name)
    (site.docroot / "wp-content" / "core-update-saw.txt").unlink(missing_ok=True)


def _steps(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-step="([^"]+)" data-state="([a-z_]+)"', html))


async def _update_core(client: Any, site_id: int) -> str:
    item = await (
        WordpressItem.select(WordpressItem.id)
        .where((WordpressItem.site == site_id) & (WordpressItem.slug == "wordpress"))
        .first()
    )
    started = await f.post_form(client, "/wordpress/updates", {"item": [str(item["id"])]})
    assert started.status_code == 303, started.text
    assert await f.run_jobs(client.app) == 1
    page = await client.get(started.headers["location"])
    assert page.status_code == 200
    return page.text


async def test_a_breaking_core_update_is_rolled_back_and_a_good_one_goes_through_with_a_kept_copy(
    client: Any, wp_manage: ManageEnv
) -> None:
    site = wp_manage.two
    packages = site.docroot.parents[1] / "packages"
    backup = site.docroot / "wp-content" / "hostpanel-backups" / "core" / "wordpress"
    saw = site.docroot / "wp-content" / "core-update-saw.txt"
    try:
        (packages / "wordpress-6.1.10.zip").write_bytes(core_package("6.1.10", broken=True))
        _, ids = await owner_with_sites(client, wp_manage)
        two = ids["two"]
        assert (await WordpressSite.select().where(WordpressSite.id == two).first())["core_update"] == "6.1.10"

        html = await _update_core(client, two)
        assert _steps(html)[f"{two}:wordpress"] == "rolled_back"
        assert "WordPress 6.1.10 broke the site" in html and "WordPress 6.1.9 is back" in html
        async with httpx.AsyncClient(timeout=10) as http:
            assert (await http.get(site.url + "/")).status_code == 200
        assert wp_json(site, "/hostpanel/v1/inventory")["wp_version"] == "6.1.9"
        assert (site.docroot / "wp-blog-header.php").read_bytes() == (STOCK / "wp-blog-header.php").read_bytes()
        assert "$wp_version = '6.1.9';" in saw.read_text()  # the old core was kept before the update
        assert not backup.exists()  # put back, so the copy is gone

        saw.unlink()
        (packages / "wordpress-6.1.10.zip").write_bytes(core_package("6.1.10", broken=False))
        html = await _update_core(client, two)
        assert _steps(html)[f"{two}:wordpress"] == "done"
        assert wp_json(site, "/hostpanel/v1/inventory")["wp_version"] == "6.1.10"
        assert "$wp_version = '6.1.9';" in saw.read_text()
        assert not backup.exists()  # the update went through: the copy is deleted
        row = await WordpressSite.select().where(WordpressSite.id == two).first()
        assert (row["wp_version"], row["core_update"]) == ("6.1.10", "")
    finally:
        stock_core(site)


def _older(text: str, version: str) -> str:
    ship = shipped_connector_version()
    return text.replace(f"Version: {ship}", f"Version: {version}").replace(
        f"'HOSTPANEL_CONNECTOR_VERSION', '{ship}'", f"'HOSTPANEL_CONNECTOR_VERSION', '{version}'"
    )


async def test_a_refresh_upgrades_an_older_connector_in_place(client: Any, wp_manage: ManageEnv) -> None:
    site = wp_manage.one
    installed = site.docroot / "wp-content" / "mu-plugins" / "hostpanel-connector.php"
    shipped = CONNECTOR_FILE.read_text()
    try:
        _, ids = await owner_with_sites(client, wp_manage)
        installed.write_text(_older(shipped, "1.1.5"))
        for _ in range(30):  # php -S caches compiled files (opcache) and looks at them again every 2 s
            if wp_json(site, "/hostpanel/v1/inventory")["connector_version"] == "1.1.5":
                break
            await asyncio.sleep(0.2)
        assert wp_json(site, "/hostpanel/v1/inventory")["connector_version"] == "1.1.5"

        refresh = await f.post_form(client, f"/wordpress/sites/{ids['one']}/refresh", {})
        assert refresh.status_code == 303
        assert await f.run_jobs(client.app) == 1
        page = await client.get(f"/wordpress/sites/{ids['one']}")
        assert f'data-testid="connector">{shipped_connector_version()}<' in page.text
        assert installed.read_text() == shipped
        assert wp_json(site, "/hostpanel/v1/inventory")["connector_version"] == shipped_connector_version()
        assert not [p for p in installed.parent.iterdir() if p.suffix == ".tmp"]  # no temporary file left

        # the route refuses what is not a connector, and a version that is not newer
        auth = (site.admin_user, site.app_password)
        url = f"{site.url}/wp-json/hostpanel/v1/self-update"
        async with httpx.AsyncClient(auth=auth, timeout=30) as http:
            not_connector = await http.post(url, files={"connector": ("x.php", b"<?php echo 1;")})
            same = await http.post(url, files={"connector": ("c.php", _older(shipped, "1.0.0").encode())})
        assert not_connector.status_code == 400
        assert same.status_code == 200 and same.json()["status"] == "current"
        assert installed.read_text() == shipped
    finally:
        installed.write_text(shipped)


async def test_one_site_per_address_even_when_two_connects_race(client: Any, wp_manage: ManageEnv) -> None:
    account_id, ids = await owner_with_sites(client, wp_manage)
    site = wp_manage.one
    body = {"url": site.url + "/", "method": "app_password", "user": "admin", "app_password": site.app_password}
    api = f"/api/v1/wordpress/accounts/{account_id}/sites"
    again = await client.post(api, json=body, headers={"x-csrftoken": f.csrf(client)})
    assert again.status_code == 422
    assert again.json()["errors"]["url"] == "This site is already connected to this account."

    await WordpressSite.delete().where(WordpressSite.id == ids["one"])
    answers = await asyncio.gather(
        *(client.post(api, json=body, headers={"x-csrftoken": f.csrf(client)}) for _ in range(2))
    )
    assert sorted(a.status_code for a in answers) == [201, 422], [a.text for a in answers]
    loser = next(a for a in answers if a.status_code == 422)
    assert loser.json()["errors"]["url"] == "This site is already connected to this account."
    assert await WordpressSite.count().where(WordpressSite.url == site.url) == 1


async def test_the_migration_keeps_the_oldest_of_sites_connected_twice(client: Any, wp_manage: ManageEnv) -> None:
    _, ids = await owner_with_sites(client, wp_manage)
    await db.engine().run_ddl("DROP INDEX wordpress_site_account_url")
    try:
        row = await WordpressSite.select().where(WordpressSite.id == ids["one"]).first()
        copy = {k: v for k, v in row.items() if k != "id"}
        await WordpressSite.insert(WordpressSite(**copy), WordpressSite(**copy))
        assert await WordpressSite.count().where(WordpressSite.url == row["url"]) == 3
    finally:
        manager = await unique_migration.forwards()
        for step in manager.raw:
            await step()
    kept = await WordpressSite.select(WordpressSite.id, WordpressSite.url).order_by(WordpressSite.id)
    assert [r["id"] for r in kept] == sorted(ids.values())  # the oldest of each address stays
    with pytest.raises(Exception, match=r"(?i)unique"):
        await WordpressSite.insert(WordpressSite(**copy))


pytestmark = pytest.mark.skipif(platform.system() != "Linux", reason="the test sites need Linux")
