"""Who may see and change WordPress sites: one test per deny rule, plus the grants that open them.

These need no WordPress: sites are rows written directly, and every refused request
must stop before the panel calls any site.
"""

from __future__ import annotations

from typing import Any

import factories as f
from panel.core import db

from panel_wordpress import vault
from panel_wordpress.tables import WordpressSite

DEAD = "http://127.0.0.1:9"  # nothing listens: a request that reached a site would show up as an error


async def _site(client: Any, account_id: int, name: str) -> int:
    sealed = vault.seal(client.app.state.settings, "abcd abcd abcd abcd abcd abcd")
    async with db.write_transaction():
        rows = await WordpressSite.insert(
            WordpressSite(
                account=account_id,
                url=f"{DEAD}/{name}",
                api_root=f"{DEAD}/{name}/wp-json",
                name=name,
                wp_user="admin",
                app_password=sealed,
                wp_version="6.1.9",
                plugin_updates=2,
            )
        ).returning(WordpressSite.id)
    return int(rows[0]["id"])


async def _accounts(client: Any) -> dict[str, int]:
    """Account A (owner, a member with each permission set, one with none) and account B with a site."""
    authz = client.app.state.authz
    owner = await f.user(authz, "owner@example.com")
    viewer = await f.user(authz, "viewer@example.com")
    manager = await f.user(authz, "manager@example.com")
    other = await f.user(authz, "other@example.com")
    a = await f.account(
        authz, "A", owner, {viewer: ["wordpress.sites"], manager: ["wordpress.manage"], other: ["invoices"]}
    )
    b_owner = await f.user(authz, "bravo@example.com")
    b = await f.account(authz, "B", b_owner)
    return {"a": a, "b": b, "site_a": await _site(client, a, "alpha"), "site_b": await _site(client, b, "bravo")}


async def test_another_accounts_site_is_not_found_on_pages_and_the_api(client: Any) -> None:
    ids = await _accounts(client)
    await f.login_as(client, "owner@example.com")
    site_b, headers = ids["site_b"], {"x-csrftoken": f.csrf(client)}

    assert (await client.get(f"/wordpress/sites/{site_b}")).status_code == 404
    for action in ("refresh", "disconnect", "ignore", "unignore"):
        answer = await f.post_form(client, f"/wordpress/sites/{site_b}/{action}", {"item": "1", "ignored": "1"})
        assert answer.status_code == 404, action
    api = f"/api/v1/wordpress/accounts/{ids['a']}/sites/{site_b}"
    assert (await client.get(api)).status_code == 404
    assert (await client.post(api + "/refresh", headers=headers)).status_code == 404
    assert (await client.delete(api, headers=headers)).status_code == 404
    # naming B's account in the path is refused before anything is looked up
    assert (await client.get(f"/api/v1/wordpress/accounts/{ids['b']}/sites/{site_b}")).status_code == 403

    listing = await client.get("/wordpress/sites")
    assert "alpha" in listing.text and "bravo" not in listing.text
    assert await WordpressSite.count() == 2  # nothing was disconnected


async def test_a_member_without_the_sites_permission_is_refused(client: Any) -> None:
    ids = await _accounts(client)
    await f.login_as(client, "other@example.com")

    assert (await client.get("/wordpress/sites")).status_code == 403
    assert (await client.get(f"/wordpress/sites/{ids['site_a']}")).status_code == 403
    assert (await client.get(f"/api/v1/wordpress/accounts/{ids['a']}/sites")).status_code == 403
    home = await client.get("/")
    assert home.status_code == 200
    assert "/wordpress/sites" not in home.text  # no navigation link, no tile either


async def test_seeing_is_not_managing(client: Any) -> None:
    ids = await _accounts(client)
    await f.login_as(client, "viewer@example.com")
    site_a, headers = ids["site_a"], {"x-csrftoken": f.csrf(client)}

    listing = await client.get("/wordpress/sites")
    assert listing.status_code == 200 and "alpha" in listing.text
    assert 'data-testid="connect-site"' not in listing.text
    home = await client.get("/")
    assert 'href="/wordpress/sites"' in home.text
    assert 'data-testid="stat-wordpress.updates">2<' in home.text  # the site's two plugin updates
    page = await client.get(f"/wordpress/sites/{site_a}")
    assert page.status_code == 200
    assert 'data-testid="refresh"' not in page.text and 'data-testid="disconnect"' not in page.text

    assert (await client.get("/wordpress/sites/connect")).status_code == 403
    form = {"url": DEAD, "method": "app_password", "user": "admin", "app_password": "x"}
    assert (await f.post_form(client, "/wordpress/sites/connect", form)).status_code == 403
    assert (await f.post_form(client, f"/wordpress/sites/{site_a}/refresh")).status_code == 403
    assert (await f.post_form(client, f"/wordpress/sites/{site_a}/disconnect")).status_code == 403
    api = f"/api/v1/wordpress/accounts/{ids['a']}/sites"
    assert (await client.post(api, json=form, headers=headers)).status_code == 403
    assert (await client.post(f"{api}/{site_a}/refresh", headers=headers)).status_code == 403
    assert (await client.delete(f"{api}/{site_a}", headers=headers)).status_code == 403
    assert await WordpressSite.count() == 2
    assert (await WordpressSite.select(WordpressSite.refresh_job).where(WordpressSite.id == site_a).first()) == {
        "refresh_job": None
    }


async def test_managing_and_support_staff_and_the_owners_permission_list(client: Any) -> None:
    ids = await _accounts(client)
    await f.login_as(client, "manager@example.com")
    assert 'data-testid="connect-site"' in (await client.get("/wordpress/sites")).text
    queued = await f.post_form(client, f"/wordpress/sites/{ids['site_a']}/refresh")
    assert queued.status_code == 303

    await f.login_as(client, "owner@example.com")
    members = await client.get("/account/users")
    assert members.status_code == 200
    edit = await client.get(f"/account/users/{await _user_id('viewer@example.com')}")
    assert edit.status_code == 200
    assert 'value="wordpress.sites"' in edit.text and 'value="wordpress.manage"' in edit.text

    await f.user(client.app.state.authz, "support@example.com", staff="support")
    await f.login_as(client, "support@example.com")
    staff = await client.get(f"/api/v1/wordpress/accounts/{ids['b']}/sites")
    assert staff.status_code == 200 and [s["name"] for s in staff.json()["items"]] == ["bravo"]
    refused = await client.delete(
        f"/api/v1/wordpress/accounts/{ids['b']}/sites/{ids['site_b']}", headers={"x-csrftoken": f.csrf(client)}
    )
    assert refused.status_code == 403


async def _user_id(email: str) -> int:
    from panel.core.auth.tables import User

    row = await User.select(User.id).where(User.email == email).first()
    return int(row["id"])
