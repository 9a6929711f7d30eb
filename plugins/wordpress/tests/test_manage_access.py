"""Who may change sites in bulk and manage their plugins, themes and users: one test per deny rule.

No WordPress needed: sites and runs are rows, and every refused request must stop
before the panel calls a site (the sites' addresses answer nothing).
"""

from __future__ import annotations

from typing import Any

import factories as f
from panel.core import db
from test_access import _accounts

from panel_wordpress.run_tables import WordpressRun, WordpressRunStep
from panel_wordpress.tables import WordpressItem


async def _run_of(account_id: int, site_id: int) -> int:
    async with db.write_transaction():
        rows = await WordpressRun.insert(WordpressRun(account=account_id, op="update", title="Update")).returning(
            WordpressRun.id
        )
        await WordpressRunStep.insert(WordpressRunStep(run=rows[0]["id"], site=site_id, kind="plugin", slug="x/x.php"))
    return int(rows[0]["id"])


async def _item(site_id: int) -> int:
    async with db.write_transaction():
        rows = await WordpressItem.insert(
            WordpressItem(site=site_id, kind="plugin", slug="akismet/akismet.php", version="5.0.2", new_version="5.3.1")
        ).returning(WordpressItem.id)
    return int(rows[0]["id"])


async def test_another_accounts_sites_runs_and_items_are_not_found(client: Any) -> None:
    ids = await _accounts(client)
    site_b, item_b = ids["site_b"], await _item(ids["site_b"])
    run_b = await _run_of(ids["b"], site_b)
    await f.login_as(client, "owner@example.com")
    headers = {"x-csrftoken": f.csrf(client)}

    assert (await f.post_form(client, "/wordpress/updates", {"site": str(site_b)})).status_code == 404
    assert (await f.post_form(client, "/wordpress/updates", {"item": str(item_b)})).status_code == 404
    install = {"kind": "plugin", "slug": "classic-editor", "site": str(site_b)}
    assert (await f.post_form(client, "/wordpress/install", install)).status_code == 404
    user = {"username": "x", "email": "x@example.test", "role": "author", "site": str(site_b)}
    assert (await f.post_form(client, "/wordpress/users", user)).status_code == 404
    assert (await client.get(f"/wordpress/runs/{run_b}")).status_code == 404
    assert (await client.get(f"/wordpress/runs/{run_b}/steps")).status_code == 404
    assert (await client.get(f"/wordpress/sites/{site_b}/manage")).status_code == 404
    for path, form in (
        ("plugins", {"item": str(item_b), "action": "deactivate"}),
        ("themes", {"item": str(item_b)}),
        ("users/1/role", {"role": "editor"}),
        ("users/1/reset", {}),
        ("users/1/delete", {"reassign": "2"}),
    ):
        assert (await f.post_form(client, f"/wordpress/sites/{site_b}/{path}", form)).status_code == 404, path

    api = f"/api/v1/wordpress/accounts/{ids['a']}"
    assert (await client.post(f"{api}/updates", json={"sites": [site_b]}, headers=headers)).status_code == 404
    assert (await client.post(f"{api}/updates", json={"items": [item_b]}, headers=headers)).status_code == 404
    body = {"kind": "plugin", "slug": "classic-editor", "sites": [site_b]}
    assert (await client.post(f"{api}/installs", json=body, headers=headers)).status_code == 404
    assert (await client.get(f"{api}/runs/{run_b}")).status_code == 404
    assert (await client.delete(f"{api}/sites/{site_b}/users/1?reassign=2", headers=headers)).status_code == 404
    assert await WordpressRun.count() == 1  # only B's own


async def test_a_member_who_may_see_but_not_manage_is_refused_every_change(client: Any) -> None:
    ids = await _accounts(client)
    site_a, item_a = ids["site_a"], await _item(ids["site_a"])
    run_a = await _run_of(ids["a"], site_a)
    await f.login_as(client, "viewer@example.com")
    headers = {"x-csrftoken": f.csrf(client)}

    updates = await client.get("/wordpress/updates")
    assert updates.status_code == 200 and "5.0.2 → 5.3.1" in updates.text
    assert 'data-testid="start-updates"' not in updates.text
    assert (await client.get(f"/wordpress/runs/{run_a}")).status_code == 200
    users = await client.get("/wordpress/users")
    assert users.status_code == 200 and 'data-testid="new-user-form"' not in users.text
    manage = await client.get(f"/wordpress/sites/{site_a}/manage")
    assert manage.status_code == 200 and "Deactivate" not in manage.text and "Activate" not in manage.text

    assert (await f.post_form(client, "/wordpress/updates", {"site": str(site_a)})).status_code == 403
    assert (await client.get("/wordpress/install")).status_code == 403
    install = {"kind": "plugin", "slug": "classic-editor", "site": str(site_a)}
    assert (await f.post_form(client, "/wordpress/install", install)).status_code == 403
    user = {"username": "x", "email": "x@example.test", "role": "author", "site": str(site_a)}
    assert (await f.post_form(client, "/wordpress/users", user)).status_code == 403
    for path, form in (
        ("plugins", {"item": str(item_a), "action": "deactivate"}),
        ("themes", {"item": str(item_a)}),
        ("users/1/role", {"role": "editor"}),
        ("users/1/reset", {}),
        ("users/1/delete", {"reassign": "2"}),
    ):
        assert (await f.post_form(client, f"/wordpress/sites/{site_a}/{path}", form)).status_code == 403, path
    api = f"/api/v1/wordpress/accounts/{ids['a']}"
    assert (await client.post(f"{api}/updates", json={"sites": [site_a]}, headers=headers)).status_code == 403
    assert (
        await client.put(f"{api}/sites/{site_a}/users/1/role", json={"role": "editor"}, headers=headers)
    ).status_code == 403
    assert (await client.get(f"{api}/runs/{run_a}")).status_code == 200
    assert await WordpressRun.count() == 1


async def test_a_member_without_the_sites_permission_sees_no_updates_users_or_runs(client: Any) -> None:
    ids = await _accounts(client)
    run_a = await _run_of(ids["a"], ids["site_a"])
    await f.login_as(client, "other@example.com")

    assert (await client.get("/wordpress/updates")).status_code == 403
    assert (await client.get("/wordpress/users")).status_code == 403
    assert (await client.get(f"/wordpress/runs/{run_a}")).status_code == 403
    assert (await client.get(f"/wordpress/sites/{ids['site_a']}/manage")).status_code == 403
    assert (await client.get(f"/api/v1/wordpress/accounts/{ids['a']}/users")).status_code == 403
