"""Installing plugins and themes on several real sites (by slug and from a zip), and a site's plugins and themes.

Runs against the sites of `wp_manage` (see `wpmanage.py`); the update stand-in's
directory offers the plugin `hostpanel-hello` 1.2.0.
"""

from __future__ import annotations

import platform
import re
from typing import Any

import factories as f
import pytest
from conftest import WpSite, wp_json
from wpmanage import ManageEnv, owner_with_sites, plugin_zip, theme_files

from panel_wordpress.run_tables import WordpressRun
from panel_wordpress.tables import WordpressItem

HELLO = "hostpanel-hello/hostpanel-hello"


def _plugins(site: WpSite) -> dict[str, str]:
    return {p["plugin"]: p["status"] for p in wp_json(site, "/wp/v2/plugins")}


def _active_theme(site: WpSite) -> str:
    return str(wp_json(site, "/wp/v2/themes", params={"status": "active"})[0]["stylesheet"])


async def test_install_by_slug_and_from_a_zip_on_two_sites_then_manage_one_site(
    client: Any, wp_manage: ManageEnv
) -> None:
    account_id, ids = await owner_with_sites(client, wp_manage)
    one, two = ids["one"], ids["two"]
    form = await client.get("/wordpress/install")
    assert form.status_code == 200 and f'value="{one}"' in form.text

    # a plugin from the wordpress.org directory, by slug, activated, on both sites (the API)
    queued = await client.post(
        f"/api/v1/wordpress/accounts/{account_id}/installs",
        json={"kind": "plugin", "slug": "hostpanel-hello", "sites": [one, two], "activate": True},
        headers={"x-csrftoken": f.csrf(client)},
    )
    assert queued.status_code == 202, queued.text
    assert await f.run_jobs(client.app) == 1
    run = (await client.get(f"/api/v1/wordpress/accounts/{account_id}/runs/{queued.json()['run_id']}")).json()
    assert [(s["state"], s["to_version"]) for s in run["steps"]] == [("done", "1.2.0"), ("done", "1.2.0")]
    assert _plugins(wp_manage.one)[HELLO] == "active" and _plugins(wp_manage.two)[HELLO] == "active"
    assert await WordpressItem.count().where(WordpressItem.slug == HELLO + ".php") == 2  # the sites were read again

    # a theme from an uploaded zip, made the active theme, on both sites (the page)
    package = plugin_zip("hostpanel-plain", theme_files("Hostpanel Plain", "1.0.0"))
    answer = await client.post(
        "/wordpress/install",
        data={"kind": "theme", "site": [str(one), str(two)], "activate": "1", "_csrf_token": f.csrf(client)},
        files={"package": ("hostpanel-plain.zip", package, "application/zip")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert await f.run_jobs(client.app) == 1
    page = await client.get(answer.headers["location"])
    assert "2 done, 0 rolled back, 0 failed" in page.text
    assert _active_theme(wp_manage.one) == "hostpanel-plain" and _active_theme(wp_manage.two) == "hostpanel-plain"
    assert list((client.app.state.settings.data_path / "uploads" / "wordpress").iterdir()) == []  # zip removed

    # a file that is not a zip is refused beside its field, and nothing is queued
    runs_before = await WordpressRun.count()
    refused = await client.post(
        "/wordpress/install",
        data={"kind": "plugin", "site": str(one), "_csrf_token": f.csrf(client)},
        files={"package": ("evil.zip", b"<?php echo 1;", "application/zip")},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert re.search(r'data-testid="error-package">evil.zip: the contents do not match a .zip file', refused.text)
    assert await WordpressRun.count() == runs_before

    # one site: deactivate and delete the plugin, switch the theme back
    hello = (
        await WordpressItem.select(WordpressItem.id)
        .where((WordpressItem.site == two) & (WordpressItem.slug == HELLO + ".php"))
        .first()
    )
    manage = await client.get(f"/wordpress/sites/{two}/manage")
    assert manage.status_code == 200 and HELLO in manage.text
    for action in ("deactivate", "delete"):
        done = await f.post_form(
            client, f"/wordpress/sites/{two}/plugins", {"item": str(hello["id"]), "action": action}
        )
        assert done.status_code == 303, done.text
    assert HELLO not in _plugins(wp_manage.two)
    assert "plugin was deleted" in (await client.get(f"/wordpress/sites/{two}/manage?notice=plugin_deleted")).text
    stock = (
        await WordpressItem.select(WordpressItem.id)
        .where((WordpressItem.site == two) & (WordpressItem.slug == "twentytwentythree"))
        .first()
    )
    switched = await f.post_form(client, f"/wordpress/sites/{two}/themes", {"item": str(stock["id"])})
    assert switched.status_code == 303
    assert _active_theme(wp_manage.two) == "twentytwentythree"
    actives = await WordpressItem.select(WordpressItem.slug).where(
        (WordpressItem.site == two) & (WordpressItem.kind == "theme") & (WordpressItem.active == True)  # noqa: E712
    )
    assert [r["slug"] for r in actives] == ["twentytwentythree"]


pytestmark = pytest.mark.skipif(platform.system() != "Linux", reason="the test sites need Linux")
