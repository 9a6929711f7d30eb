"""Bulk updates of real WordPress sites: a breaking plugin update is rolled back, the rest goes through.

Runs against the sites of `wp_manage` (see `wpmanage.py`): both on WordPress 6.1.9 with
Akismet 5.0.2 and Twenty Twenty-One 1.7; site "one" also runs hostpanel-breaker 1.0.0,
whose offered 2.0.0 fatals on every request.
"""

from __future__ import annotations

import platform
import re
from typing import Any

import factories as f
import httpx
import pytest
from conftest import WpSite, wp_json
from panel.core.audit.tables import AuditEvent
from panel.core.jobs.services import enqueue
from wpmanage import BREAKER, ManageEnv, owner_with_sites

from panel_wordpress.run_jobs import RUN
from panel_wordpress.run_tables import StepState, WordpressRun, WordpressRunStep
from panel_wordpress.tables import WordpressItem, WordpressSite


async def _item_id(site_id: int, slug: str) -> int:
    row = (
        await WordpressItem.select(WordpressItem.id)
        .where((WordpressItem.site == site_id) & (WordpressItem.slug == slug))
        .first()
    )
    return int(row["id"])


def _plugin_versions(site: WpSite) -> dict[str, tuple[str, str]]:
    return {p["plugin"]: (p["version"], p["status"]) for p in wp_json(site, "/wp/v2/plugins")}


def _steps(html: str) -> dict[str, str]:
    """Each step row of a run page: "<site id>:<slug>" -> its state."""
    return dict(re.findall(r'data-step="([^"]+)" data-state="([a-z_]+)"', html))


async def test_a_bulk_update_rolls_back_the_breaking_plugin_and_updates_the_rest(
    client: Any, wp_manage: ManageEnv
) -> None:
    account_id, ids = await owner_with_sites(client, wp_manage)
    one, two = ids["one"], ids["two"]
    # WordPress itself is ignored on both sites, the theme's update on site one
    for site_id, slug in ((one, "wordpress"), (two, "wordpress"), (one, "twentytwentyone")):
        ignored = await f.post_form(
            client, f"/wordpress/sites/{site_id}/ignore", {"item": str(await _item_id(site_id, slug))}
        )
        assert ignored.status_code == 303

    listing = await client.get("/wordpress/updates")
    assert listing.status_code == 200
    assert f'data-testid="item-{one}-{BREAKER}"' in listing.text
    assert f'data-testid="item-{two}-twentytwentyone"' in listing.text
    assert f'data-testid="item-{one}-twentytwentyone"' not in listing.text  # ignored
    assert "6.1.10" not in listing.text

    started = await f.post_form(client, "/wordpress/updates", {"site": [str(one), str(two)]})
    assert started.status_code == 303, started.text
    run_url = started.headers["location"]
    waiting = await client.get(run_url)
    assert waiting.status_code == 200
    assert _steps(waiting.text) == {
        f"{one}:akismet/akismet.php": "pending",
        f"{one}:{BREAKER}": "pending",
        f"{two}:akismet/akismet.php": "pending",
        f"{two}:twentytwentyone": "pending",
    }
    assert 'hx-trigger="every 2s"' in waiting.text and 'http-equiv="refresh"' in waiting.text
    fragment = await client.get(run_url + "/steps")
    assert fragment.text.lstrip().startswith("<section") and "<html" not in fragment.text

    assert await f.run_jobs(client.app) == 1

    page = await client.get(run_url)
    steps = _steps(page.text)
    assert steps == {
        f"{one}:akismet/akismet.php": "done",
        f"{one}:{BREAKER}": "rolled_back",
        f"{two}:akismet/akismet.php": "done",
        f"{two}:twentytwentyone": "done",
    }
    assert "Version 2.0.0 broke the site" in page.text and "version 1.0.0 is back" in page.text
    assert 'hx-trigger="every 2s"' not in page.text
    assert "2 done" not in page.text and "3 done, 1 rolled back, 0 failed" in page.text

    # the site answers again, with the old breaker still active; the other updates are on disk
    async with httpx.AsyncClient(timeout=10) as http:
        assert (await http.get(wp_manage.one.url + "/")).status_code == 200
        assert (await http.get(wp_manage.one.url + "/wp-json/")).status_code == 200
    on_one = _plugin_versions(wp_manage.one)
    assert on_one["hostpanel-breaker/hostpanel-breaker"] == ("1.0.0", "active")
    assert on_one["akismet/akismet"][0] == "5.3.1"
    assert _plugin_versions(wp_manage.two)["akismet/akismet"][0] == "5.3.1"
    themes = {t["stylesheet"]: t["version"] for t in wp_json(wp_manage.one, "/wp/v2/themes")}
    assert themes["twentytwentyone"] == "1.7"  # ignored: not updated
    assert {t["stylesheet"]: t["version"] for t in wp_json(wp_manage.two, "/wp/v2/themes")}["twentytwentyone"] == "9.0"
    assert wp_json(wp_manage.one, "/hostpanel/v1/inventory")["wp_version"] == "6.1.9"  # ignored core
    kept = wp_manage.one.docroot / "wp-content" / "hostpanel-backups" / "plugin" / "hostpanel-breaker"
    assert "Version: 1.0.0" in (kept / "hostpanel-breaker.php").read_text()

    # the counts follow: the breaker's update still waits on one, nothing on two
    counts = {r["id"]: r for r in await WordpressSite.select()}
    assert (counts[one]["plugin_updates"], counts[one]["theme_updates"]) == (1, 0)
    assert (counts[two]["plugin_updates"], counts[two]["theme_updates"], counts[two]["core_update"]) == (0, 0, "")
    actions = {r["action"] for r in await AuditEvent.select(AuditEvent.action)}
    assert {"wordpress.run.update", "wordpress.run.finish"} <= actions

    # a job that runs the run again skips finished steps; a step caught mid-way runs and finds nothing to do
    run = await WordpressRun.select().first()
    before = {r["id"]: r for r in await WordpressRunStep.select()}
    caught = next(r for r in before.values() if r["site"] == two and r["kind"] == "plugin")
    await WordpressRunStep.update({WordpressRunStep.state: StepState.RUNNING}).where(
        WordpressRunStep.id == caught["id"]
    )
    await enqueue(client.app.state.settings, RUN, {"run_id": run["id"]})
    assert await f.run_jobs(client.app) == 1
    after = {r["id"]: r for r in await WordpressRunStep.select()}
    assert after[caught["id"]]["state"] == StepState.DONE
    assert "up to date" in after[caught["id"]]["message"]
    for step_id, row in before.items():
        if step_id != caught["id"]:
            assert after[step_id]["finished_at"] == row["finished_at"] and after[step_id]["message"] == row["message"]

    # through the API: the run as JSON, and nothing left to update on site two
    api = f"/api/v1/wordpress/accounts/{account_id}"
    body = (await client.get(f"{api}/runs/{run['id']}")).json()
    assert sorted(s["state"] for s in body["steps"]) == ["done", "done", "done", "rolled_back"]
    nothing = await client.post(f"{api}/updates", json={"sites": [two]}, headers={"x-csrftoken": f.csrf(client)})
    assert nothing.status_code == 422 and "items" in nothing.json()["errors"]


pytestmark = pytest.mark.skipif(platform.system() != "Linux", reason="the test sites need Linux")
