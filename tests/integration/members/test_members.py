"""The members page: permissions per membership, who may change them, removing and leaving."""

from __future__ import annotations

import factories as f

from panel.core.accounts import services as accounts
from panel.core.accounts.tables import Membership
from panel.core.auth.tables import Session

from .checks import audited, checkbox


async def _shop(authz, members=None):
    owner = await f.user(authz, "own@example.com")
    ids = {}
    for email in members or {}:
        ids[email] = await f.user(authz, email)
    account = await f.account(authz, "Shop", owner, {ids[e]: p for e, p in (members or {}).items()})
    return owner, account, ids


async def _save(client, user_id, permissions, headers=None):
    return await client.post(
        f"/account/users/{user_id}",
        data={"permissions": list(permissions), "_csrf_token": f.csrf(client)},
        headers=headers or {},
        follow_redirects=False,
    )


async def test_owner_sees_members_with_permissions_owner_row_fixed(client, authz):
    owner, account, ids = await _shop(authz, {"clerk@example.com": ["invoices", "tickets"], "dev@example.com": []})
    await f.login(client, "own@example.com")
    page = await client.get("/account/users")
    assert page.status_code == 200
    rows = page.text.split('data-testid="members"')[1].split("</table>")[0]
    assert "<strong>Owner:</strong> everything" in rows
    assert "Invoices, Tickets" in rows and "only the home page" in rows
    assert f'href="/account/users/{ids["clerk@example.com"]}"' in rows
    assert f'href="/account/users/{owner}"' not in rows  # the owner row has no edit link
    owner_page = await client.get(f"/account/users/{owner}")
    assert 'data-testid="owner-fixed"' in owner_page.text and "<form" not in owner_page.text.split("<main")[1]
    # the nav shows Users to the owner
    assert 'href="/account/users"' in page.text
    api = (await client.get(f"/api/v1/accounts/{account}/members")).json()
    assert [(m["email"], m["is_owner"], m["permissions"]) for m in api] == [
        ("own@example.com", True, []),
        ("clerk@example.com", False, ["invoices", "tickets"]),
        ("dev@example.com", False, []),
    ]


async def test_owner_changes_permissions_audited(client, authz):
    _, account, ids = await _shop(authz, {"clerk@example.com": ["invoices"]})
    clerk = ids["clerk@example.com"]
    await f.login(client, "own@example.com")
    form = await client.get(f"/account/users/{clerk}")
    assert "checked" in checkbox(form.text, "invoices") and "checked" not in checkbox(form.text, "domains")
    saved = await _save(client, clerk, ["domains", "manage_domains"])
    assert saved.status_code == 303 and saved.headers["location"] == "/account/users"
    assert accounts.permissions_of(authz, clerk, account) == ["domains", "manage_domains"]
    [event] = await audited("member.permissions.update", account)
    assert event["target"] == f"user:{clerk}"
    assert event["details"]["permissions"] == {"before": ["invoices"], "after": ["domains", "manage_domains"]}


async def test_unknown_permission_is_a_field_error_and_nothing_changes(client, authz):
    _, account, ids = await _shop(authz, {"clerk@example.com": ["invoices"]})
    clerk = ids["clerk@example.com"]
    await f.login(client, "own@example.com")
    answer = await _save(client, clerk, ["invoices", "superpowers"])
    assert answer.status_code == 422 and 'id="permissions-error"' in answer.text and "superpowers" in answer.text
    assert accounts.permissions_of(authz, clerk, account) == ["invoices"]
    htmx = await _save(client, clerk, ["bogus"], headers={"hx-request": "true", "hx-target": "main"})
    assert htmx.status_code == 422 and "<html" not in htmx.text


async def test_user_manager_changes_only_permissions_they_hold(client, authz):
    _, account, ids = await _shop(
        authz, {"hr@example.com": ["users", "tickets"], "clerk@example.com": ["invoices"], "dev@example.com": []}
    )
    _hr, clerk, dev = ids["hr@example.com"], ids["clerk@example.com"], ids["dev@example.com"]
    await f.login(client, "hr@example.com")
    # giving what they hold works
    assert (await _save(client, dev, ["tickets"])).status_code == 303
    assert accounts.permissions_of(authz, dev, account) == ["tickets"]
    # giving what they do not hold is refused
    refused = await _save(client, dev, ["tickets", "invoices"])
    assert refused.status_code == 403 and "Invoices" in refused.text
    assert accounts.permissions_of(authz, dev, account) == ["tickets"]
    # taking away what they do not hold is refused too
    assert (await _save(client, clerk, [])).status_code == 403
    assert accounts.permissions_of(authz, clerk, account) == ["invoices"]
    # the form keeps what they cannot change: a disabled box and a hidden field
    form = await client.get(f"/account/users/{clerk}")
    assert "disabled" in checkbox(form.text, "invoices")
    assert '<input type="hidden" name="permissions" value="invoices">' in form.text
    assert (await _save(client, clerk, ["invoices", "tickets"])).status_code == 303
    assert accounts.permissions_of(authz, clerk, account) == ["invoices", "tickets"]


async def test_nobody_changes_the_owners_or_their_own_permissions(client, authz):
    owner, account, ids = await _shop(authz, {"hr@example.com": ["users", "all"]})
    hr = ids["hr@example.com"]
    await f.login(client, "hr@example.com")
    owners = await _save(client, owner, ["invoices"])
    assert owners.status_code == 403 and "owner" in owners.text
    own = await _save(client, hr, ["users"])
    assert own.status_code == 403 and "your own" in own.text
    assert accounts.permissions_of(authz, owner, account) == ["owner"]
    assert accounts.permissions_of(authz, hr, account) == ["all", "users"]
    api = await client.put(
        f"/api/v1/accounts/{account}/members/{owner}",
        json={"permissions": ["invoices"]},
        headers={"x-csrftoken": f.csrf(client)},
    )
    assert api.status_code == 403


async def test_user_manager_cannot_remove_members(client, authz):
    _, account, ids = await _shop(authz, {"hr@example.com": ["users"], "clerk@example.com": ["invoices"]})
    clerk = ids["clerk@example.com"]
    await f.login(client, "hr@example.com")
    page = await client.get("/account/users")
    assert f"/account/users/{clerk}/remove" not in page.text
    refused = await client.post(f"/account/users/{clerk}/remove", data={"_csrf_token": f.csrf(client)})
    assert refused.status_code == 403
    api = await client.delete(f"/api/v1/accounts/{account}/members/{clerk}", headers={"x-csrftoken": f.csrf(client)})
    assert api.status_code == 403
    assert await Membership.exists().where((Membership.user == clerk) & (Membership.account == account))


async def test_removed_member_loses_access_at_the_next_request(client, authz):
    _, account, ids = await _shop(authz, {"clerk@example.com": ["invoices"]})
    clerk = ids["clerk@example.com"]
    await f.login(client, "clerk@example.com")
    assert (await client.get("/")).status_code == 200
    clerks_session = client.cookies.get("panel_session")
    client.cookies.clear()  # the owner works in another browser
    await f.login(client, "own@example.com")
    page = await client.get("/account/users")
    assert f"/account/users/{clerk}/remove" in page.text
    removed = await client.post(
        f"/account/users/{clerk}/remove", data={"_csrf_token": f.csrf(client)}, follow_redirects=False
    )
    assert removed.status_code == 303
    client.cookies.clear()
    client.cookies.set("panel_session", clerks_session)
    after = await client.get("/", follow_redirects=False)
    assert after.status_code in (302, 303) and after.headers["location"].startswith("/login")
    assert accounts.permissions_of(authz, clerk, account) == []
    assert authz.grants_for(f"user:{clerk}", f"acct:{account}") == []
    assert not await Membership.exists().where((Membership.user == clerk) & (Membership.account == account))
    assert not await Session.exists().where((Session.user == clerk) & (Session.account_id == account))
    assert [e["target"] for e in await audited("member.remove", account)] == [f"user:{clerk}"]


async def test_owner_cannot_be_removed_and_cannot_leave(client, authz):
    owner, account, _ids = await _shop(authz, {"boss@example.com": ["all"]})
    await f.login(client, "boss@example.com")
    refused = await client.post(f"/account/users/{owner}/remove", data={"_csrf_token": f.csrf(client)})
    assert refused.status_code == 403 and "Transfer ownership" in refused.text
    await f.login(client, "own@example.com")
    left = await client.post("/account/leave", data={"_csrf_token": f.csrf(client)})
    assert left.status_code == 403
    assert accounts.permissions_of(authz, owner, account) == ["owner"]


async def test_member_leaves_and_stays_logged_in_without_the_account(client, authz):
    _, account, ids = await _shop(authz, {"clerk@example.com": ["invoices"]})
    clerk = ids["clerk@example.com"]
    await f.login(client, "clerk@example.com")
    home = await client.get("/")
    assert 'data-testid="leave"' in home.text
    left = await client.post("/account/leave", data={"_csrf_token": f.csrf(client)}, follow_redirects=False)
    assert left.status_code == 303 and left.headers["location"] == "/accounts/choose"
    picker = await client.get("/accounts/choose")
    assert picker.status_code == 200 and "Shop" not in picker.text
    assert (await client.get(f"/api/v1/accounts/{account}")).status_code == 403
    assert [e["actor"] for e in await audited("member.leave", account)] == [clerk]


async def test_invoices_only_member_sees_only_billing(client, authz):
    _, account, _ = await _shop(authz, {"clerk@example.com": ["invoices"]})
    await f.login(client, "clerk@example.com")
    home = await client.get("/")
    assert home.status_code == 200
    nav = home.text.split('aria-label="Client area"')[1].split("</nav>")[0]
    assert 'href="/account/users"' not in nav
    assert 'href="/emails"' not in nav and 'href="/account/audit"' not in nav
    assert "You may use: Invoices." in home.text
    for path in ("/account/users", "/account/users/invite"):
        assert (await client.get(path)).status_code == 403, path
    for path in (f"/api/v1/accounts/{account}/members", f"/api/v1/accounts/{account}/invitations"):
        assert (await client.get(path)).status_code == 403, path


async def test_another_accounts_member_is_not_found(client, authz):
    _, _, ids = await _shop(authz, {"clerk@example.com": ["invoices"]})
    clerk = ids["clerk@example.com"]
    stranger = await f.user(authz, "stranger@example.com")
    theirs = await f.account(authz, "Elsewhere", stranger)
    await f.login(client, "stranger@example.com")
    page = await client.get(f"/account/users/{clerk}")
    assert page.status_code == 404 and "clerk@example.com" not in page.text
    assert (await _save(client, clerk, ["all"])).status_code == 404
    assert (
        await client.post(f"/account/users/{clerk}/remove", data={"_csrf_token": f.csrf(client)})
    ).status_code == 404
    api = await client.get(f"/api/v1/accounts/{theirs}/members/{clerk}")
    assert api.status_code == 404
    assert "clerk@example.com" not in (await client.get(f"/api/v1/accounts/{theirs}/members")).text


async def test_api_members_update_remove_and_leave(client, authz):
    _, account, ids = await _shop(authz, {"clerk@example.com": ["invoices"], "dev@example.com": ["domains"]})
    clerk, dev = ids["clerk@example.com"], ids["dev@example.com"]
    await f.login(client, "own@example.com")
    headers = {"x-csrftoken": f.csrf(client)}
    updated = await client.put(
        f"/api/v1/accounts/{account}/members/{clerk}", json={"permissions": ["quotes", "invoices"]}, headers=headers
    )
    assert updated.status_code == 200 and updated.json()["permissions"] == ["invoices", "quotes"]
    bad = await client.put(
        f"/api/v1/accounts/{account}/members/{clerk}", json={"permissions": ["nope"]}, headers=headers
    )
    assert bad.status_code == 422 and "permissions" in bad.json()["errors"]
    removed = await client.delete(f"/api/v1/accounts/{account}/members/{clerk}", headers=headers)
    assert removed.status_code == 204
    await f.login(client, "dev@example.com")
    left = await client.delete(f"/api/v1/accounts/{account}/members/me", headers={"x-csrftoken": f.csrf(client)})
    assert left.status_code == 204
    assert accounts.permissions_of(authz, dev, account) == []
