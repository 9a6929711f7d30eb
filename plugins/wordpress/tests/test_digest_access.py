"""Who may see and change the update digest choice: one test per deny rule, plus form errors.

No WordPress and no mail needed: the page and the API only read and write the choice.
"""

from __future__ import annotations

from typing import Any

import factories as f
from panel.core.contacts.tables import Contact

from panel_wordpress.digest_tables import WordpressDigestPref


async def _accounts(client: Any) -> dict[str, int]:
    """Account A (owner, a member who sees sites, one who manages, one with neither) and account B."""
    authz = client.app.state.authz
    owner = await f.user(authz, "owner@example.com")
    viewer = await f.user(authz, "viewer@example.com")
    manager = await f.user(authz, "manager@example.com")
    other = await f.user(authz, "other@example.com")
    a = await f.account(
        authz, "A", owner, {viewer: ["wordpress.sites"], manager: ["wordpress.manage"], other: ["invoices"]}
    )
    b = await f.account(authz, "B", await f.user(authz, "bravo@example.com"))
    rows = await Contact.insert(
        Contact(account=a, name="Ada Ops", email="ada@a.example"),
        Contact(account=b, name="Bob Ops", email="bob@b.example"),
    ).returning(Contact.id)
    return {"a": a, "b": b, "contact_a": rows[0]["id"], "contact_b": rows[1]["id"]}


async def test_a_member_who_only_sees_sites_cannot_change_the_digest(client: Any) -> None:
    ids = await _accounts(client)
    await f.login_as(client, "viewer@example.com")

    page = await client.get("/wordpress/digest")
    assert page.status_code == 200
    assert 'data-testid="schedule-weekly" checked' in page.text  # the default
    assert 'data-testid="save-digest"' not in page.text and "disabled" in page.text
    assert "ada@a.example" not in page.text  # contacts' addresses need the contacts permission

    refused = await f.post_form(client, "/wordpress/digest", {"schedule": "off"})
    assert refused.status_code == 403
    api = f"/api/v1/wordpress/accounts/{ids['a']}/digest"
    assert (await client.get(api)).status_code == 200
    put = await client.put(api, json={"schedule": "off"}, headers={"x-csrftoken": f.csrf(client)})
    assert put.status_code == 403
    assert await WordpressDigestPref.count() == 0


async def test_a_member_without_the_sites_permission_cannot_see_it(client: Any) -> None:
    ids = await _accounts(client)
    await f.login_as(client, "other@example.com")

    assert (await client.get("/wordpress/digest")).status_code == 403
    assert (await client.get(f"/api/v1/wordpress/accounts/{ids['a']}/digest")).status_code == 403


async def test_another_accounts_contact_is_not_found_and_its_digest_is_refused(client: Any) -> None:
    ids = await _accounts(client)
    await f.login_as(client, "manager@example.com")

    answer = await f.post_form(client, "/wordpress/digest", {"schedule": "daily", "contact": str(ids["contact_b"])})
    assert answer.status_code == 404
    api = f"/api/v1/wordpress/accounts/{ids['a']}/digest"
    headers = {"x-csrftoken": f.csrf(client)}
    put = await client.put(api, json={"schedule": "daily", "contact_ids": [ids["contact_b"]]}, headers=headers)
    assert put.status_code == 404
    assert (await client.get(f"/api/v1/wordpress/accounts/{ids['b']}/digest")).status_code == 403
    assert (
        await client.put(f"/api/v1/wordpress/accounts/{ids['b']}/digest", json={"schedule": "off"}, headers=headers)
    ).status_code == 403
    assert await WordpressDigestPref.count() == 0


async def test_the_manager_saves_recipients_and_a_digest_without_one_is_a_field_error(client: Any) -> None:
    ids = await _accounts(client)
    await f.login_as(client, "manager@example.com")

    wrong = await f.post_form(client, "/wordpress/digest", {"schedule": "daily"})  # no owner, no contact
    assert wrong.status_code == 422
    assert 'data-testid="error-recipients">Choose at least one recipient' in wrong.text
    assert 'data-testid="schedule-daily" checked' in wrong.text  # what was chosen is kept
    assert await WordpressDigestPref.count() == 0

    saved = await f.post_form(client, "/wordpress/digest", {"schedule": "daily", "contact": str(ids["contact_a"])})
    assert saved.status_code == 303
    page = await client.get(saved.headers["location"])
    assert "Your update email settings are saved." in page.text
    assert f'data-testid="contact-{ids["contact_a"]}" checked' in page.text
    assert 'data-testid="to-owner" checked' not in page.text

    api = await client.get(f"/api/v1/wordpress/accounts/{ids['a']}/digest")
    body = api.json()
    assert (body["schedule"], body["to_owner"], body["contact_ids"]) == ("daily", False, [ids["contact_a"]])
    assert body["clients_schedule"] is None and body["is_reseller"] is False
    bad = await client.put(
        f"/api/v1/wordpress/accounts/{ids['a']}/digest",
        json={"schedule": "hourly", "to_owner": True},
        headers={"x-csrftoken": f.csrf(client)},
    )
    assert bad.status_code == 422 and "schedule" in bad.json()["errors"]
