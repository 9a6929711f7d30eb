"""Connecting real WordPress sites, reading their inventory, refreshing, ignoring updates, disconnecting.

Runs against the sites of the `wp_sites` fixture: WordPress 6.1 from Debian, with
Akismet 5.0.2 and the Twenty Twenty-One (1.7) and Twenty Twenty-Three (1.0) themes; the
update stand-in offers WordPress 6.1.10, Akismet 5.3.1 and Twenty Twenty-One 9.0.
"""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
from typing import Any

import factories as f
import pytest
from conftest import WpEnv, wp_json
from panel.core import db
from support import free_port

from panel_wordpress import vault
from panel_wordpress.client import shipped_connector_version
from panel_wordpress.jobs import REFRESH_ALL
from panel_wordpress.tables import SiteStatus, WordpressIgnored, WordpressItem, WordpressSite, WordpressUser

PHP_VERSION = subprocess.run(["php", "-r", "echo PHP_VERSION;"], capture_output=True, text=True).stdout


async def _owner(client: Any, email: str = "owner@example.com") -> int:
    authz = client.app.state.authz
    user_id = await f.user(authz, email)
    account_id = await f.account(authz, "Owner Co", user_id)
    await f.login_as(client, email)
    return account_id


def _cells(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}".*?</table>', html, re.S)
    assert match, f"no {testid} table"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


async def test_connect_with_a_login_installs_the_connector_and_shows_the_real_inventory(
    client: Any, wp_sites: WpEnv
) -> None:
    site = wp_sites.login
    account_id = await _owner(client)
    form = await client.get("/wordpress/sites/connect")
    assert form.status_code == 200

    answer = await f.post_form(
        client,
        "/wordpress/sites/connect",
        {"url": site.url, "method": "login", "user": "admin", "password": site.admin_pass},
    )

    assert answer.status_code == 303, answer.text
    page = await client.get(answer.headers["location"])
    assert page.status_code == 200
    html = page.text
    assert "connected and its inventory was read" in html
    assert re.search(r'data-testid="wp-version">6\.1\.9<', html)
    assert f'data-testid="php-version">{PHP_VERSION}<' in html
    assert f'data-testid="connector">{shipped_connector_version()}<' in html  # uploaded through wp-admin and activated
    plugins = _cells(html, "plugins")
    assert "Akismet Anti-Spam akismet/akismet.php 5.0.2 5.3.1 available inactive" in plugins
    connector = f"hostpanel connector hostpanel-connector/hostpanel-connector.php {shipped_connector_version()} active"
    assert connector in plugins
    themes = _cells(html, "themes")
    assert "Twenty Twenty-One twentytwentyone 1.7 9.0 available inactive" in themes
    assert "Twenty Twenty-Three twentytwentythree 1.0 active" in themes
    users = _cells(html, "users")
    assert "admin admin admin@login.test administrator" in users
    assert "editor1" in users and "editor" in users
    updates = _cells(html, "updates")
    assert "core WordPress 6.1.9 6.1.10" in updates
    assert "plugin Akismet Anti-Spam 5.0.2 5.3.1" in updates
    assert "theme Twenty Twenty-One 1.7 9.0" in updates
    assert 'data-testid="pending-count">3<' in html
    assert "Your site can perform loopback requests" in html  # a real site health test

    # the login password is nowhere; the application password is sealed, and WordPress has it
    row = await WordpressSite.select().where(WordpressSite.account == account_id).first()
    assert site.admin_pass not in repr(row)
    plain = vault.unseal(client.app.state.settings, row["app_password"])
    assert plain not in row["app_password"] and len(plain.replace(" ", "")) == 24
    names = [p["name"] for p in wp_json(site, "/wp/v2/users/me/application-passwords")]
    assert "hostpanel" in names

    # the account's list shows it with its pending updates
    listing = await client.get("/wordpress/sites")
    assert f'data-testid="pending-{row["id"]}"' in listing.text
    assert re.search(rf'data-testid="pending-{row["id"]}"[^>]*>3<', listing.text)

    # disconnecting deletes the panel's application password on the site and every row
    gone = await f.post_form(client, f"/wordpress/sites/{row['id']}/disconnect")
    assert gone.status_code == 303
    assert gone.headers["location"] == "/wordpress/sites?notice=disconnected"
    names = [p["name"] for p in wp_json(site, "/wp/v2/users/me/application-passwords")]
    assert "hostpanel" not in names
    assert await WordpressSite.count() == 0
    assert await WordpressItem.count() == 0
    assert await WordpressUser.count() == 0


async def test_connect_with_an_application_password_through_the_api_then_refresh_and_ignore(
    client: Any, wp_sites: WpEnv
) -> None:
    site = wp_sites.apppw
    account_id = await _owner(client)
    headers = {"x-csrftoken": f.csrf(client)}

    answer = await client.post(
        f"/api/v1/wordpress/accounts/{account_id}/sites",
        json={"url": site.url + "/", "method": "app_password", "user": "admin", "app_password": site.app_password},
        headers=headers,
    )

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["refreshed"] and body["connector"]
    assert "app_password" not in answer.text.replace('"method"', "")
    view = body["site"]
    site_id = view["site"]["id"]
    assert view["site"]["url"] == site.url  # the trailing slash is dropped
    assert view["site"]["wp_version"] == "6.1.9" and view["site"]["php_version"] == PHP_VERSION
    assert (view["site"]["core_update"], view["site"]["plugin_updates"], view["site"]["theme_updates"]) == (
        "6.1.10",
        1,
        1,
    )
    assert {(i["kind"], i["slug"], i["new_version"]) for i in view["items"] if i["new_version"]} == {
        ("core", "wordpress", "6.1.10"),
        ("plugin", "akismet/akismet.php", "5.3.1"),
        ("theme", "twentytwentyone", "9.0"),
    }
    assert {u["username"] for u in view["users"]} == {"admin", "editor1"}

    listed = await client.get(f"/api/v1/wordpress/accounts/{account_id}/sites")
    assert listed.status_code == 200
    assert [s["id"] for s in listed.json()["items"]] == [site_id]
    assert listed.json()["total"] == 1

    # ignoring the theme's update takes it out of the counts, and back
    theme = await WordpressItem.select().where(WordpressItem.slug == "twentytwentyone").first()
    ignored = await f.post_form(client, f"/wordpress/sites/{site_id}/ignore", {"item": str(theme["id"])})
    assert ignored.status_code == 303
    listing = await client.get("/wordpress/sites")
    assert re.search(rf'data-testid="pending-{site_id}"[^>]*>2<', listing.text)
    page = await client.get(f"/wordpress/sites/{site_id}")
    assert 'data-testid="pending-count">2<' in page.text and "twentytwentyone 9.0" in page.text
    mark = await WordpressIgnored.select().first()
    await f.post_form(client, f"/wordpress/sites/{site_id}/unignore", {"ignored": str(mark["id"])})
    assert (await WordpressSite.select(WordpressSite.theme_updates).first())["theme_updates"] == 1

    # a new plugin appears on the site; "Refresh now" queues a job that reads it
    plugins = site.docroot / "wp-content" / "plugins"
    shutil.copytree(plugins / "akismet", plugins / "copy")
    try:
        queued = await f.post_form(client, f"/wordpress/sites/{site_id}/refresh")
        assert queued.status_code == 303
        waiting = await client.get(f"/wordpress/sites/{site_id}")
        assert 'data-testid="refresh-progress"' in waiting.text
        assert await f.run_jobs(client.app) >= 1
        page = await client.get(f"/wordpress/sites/{site_id}")
        assert "copy/akismet.php" in _cells(page.text, "plugins")
        assert 'data-testid="refresh-progress"' not in page.text
    finally:
        shutil.rmtree(plugins / "copy")

    # a user-given application password stays on the site when disconnecting
    gone = await client.delete(f"/api/v1/wordpress/accounts/{account_id}/sites/{site_id}", headers=headers)
    assert gone.status_code == 200 and gone.json() == {"app_password": "own"}
    assert "test-setup" in [p["name"] for p in wp_json(site, "/wp/v2/users/me/application-passwords")]


async def test_wrong_credentials_unreachable_and_not_wordpress_are_field_errors_and_store_nothing(
    client: Any, wp_sites: WpEnv
) -> None:
    site = wp_sites.apppw
    account_id = await _owner(client)

    async def connect(**values: str) -> Any:
        answer = await f.post_form(client, "/wordpress/sites/connect", {"user": "admin", **values})
        assert answer.status_code == 422, answer.text
        return answer.text

    html = await connect(url=site.url, method="login", password="not-the-password")
    assert 'data-testid="error-password">WordPress refused this user name and password.<' in html
    assert f'value="{site.url}"' in html and "not-the-password" not in html  # what was typed, never a password

    html = await connect(url=site.url, method="app_password", app_password="abcd efgh ijkl mnop qrst uvwx")
    assert 'data-testid="error-app_password">WordPress refused this user name and application password.<' in html

    dead = f"http://127.0.0.1:{free_port()}"
    html = await connect(url=dead, method="app_password", app_password=site.app_password)
    assert re.search(r'data-testid="error-url">The site did not answer \(connection refused', html)

    api = await client.post(
        f"/api/v1/wordpress/accounts/{account_id}/sites",
        json={"url": "http://127.0.0.1:9/nothing", "method": "login", "user": "admin", "password": "x"},
        headers={"x-csrftoken": f.csrf(client)},
    )
    assert api.status_code == 422 and "url" in api.json()["errors"]

    assert await WordpressSite.count() == 0
    names = [p["name"] for p in wp_json(site, "/wp/v2/users/me/application-passwords")]
    assert names == ["test-setup"]  # the failed login left no application password behind


async def test_an_address_that_is_not_wordpress_is_a_field_error(client: Any, wp_sites: WpEnv) -> None:
    await _owner(client)

    answer = await f.post_form(
        client,
        "/wordpress/sites/connect",
        {"url": wp_sites.update_api, "method": "app_password", "user": "admin", "app_password": "x y"},
    )

    assert answer.status_code == 422
    assert 'data-testid="error-url">This address answers, but not as a WordPress site' in answer.text
    assert await WordpressSite.count() == 0


async def test_the_scheduled_refresh_refreshes_every_site_and_one_failure_stops_no_other(
    client: Any, wp_sites: WpEnv
) -> None:
    site = wp_sites.apppw
    account_id = await _owner(client)
    answer = await client.post(
        f"/api/v1/wordpress/accounts/{account_id}/sites",
        json={"url": site.url, "method": "app_password", "user": "admin", "app_password": site.app_password},
        headers={"x-csrftoken": f.csrf(client)},
    )
    assert answer.status_code == 201
    good = answer.json()["site"]["site"]["id"]
    sealed = vault.seal(client.app.state.settings, "abcd abcd abcd abcd abcd abcd")
    async with db.write_transaction():
        rows = await WordpressSite.insert(
            WordpressSite(
                account=account_id,
                url="http://127.0.0.1:9",
                api_root="http://127.0.0.1:9/wp-json",
                wp_user="admin",
                app_password=sealed,
            )
        ).returning(WordpressSite.id)
    bad = rows[0]["id"]
    await WordpressSite.update({WordpressSite.refreshed_at: None}).where(WordpressSite.id == good)

    from panel.core.jobs.services import enqueue

    await enqueue(client.app.state.settings, REFRESH_ALL, {"period": "2026-01-01T00:00"})
    assert await f.run_jobs(client.app) == 3  # the task, then one refresh per site

    states = {r["id"]: r for r in await WordpressSite.select()}
    assert states[good]["status"] == SiteStatus.OK and states[good]["refreshed_at"] is not None
    assert states[bad]["status"] == SiteStatus.ERROR
    assert "did not answer" in states[bad]["last_error"]
    page = await client.get(f"/wordpress/sites/{bad}")
    assert 'data-testid="site-error">The last refresh failed: The site did not answer' in page.text


pytestmark = pytest.mark.skipif(platform.system() != "Linux", reason="the test sites need Linux")
