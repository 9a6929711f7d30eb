"""Choosing and switching accounts, and what each membership may see."""

from __future__ import annotations

import factories as f


async def _two_accounts(authz):
    alice = await f.user(authz, "alice@example.com")
    a1 = await f.account(authz, "Alpha Studio", alice)
    a2 = await f.account(authz, "Beta Personal", alice)
    return alice, a1, a2


async def test_user_of_several_accounts_picks_one_after_login(client, authz):
    await _two_accounts(authz)
    answer = await f.login(client, "alice@example.com")
    assert answer.headers["location"] == "/accounts/choose"
    picker = await client.get("/accounts/choose")
    assert "Alpha Studio" in picker.text and "Beta Personal" in picker.text
    home = await client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/accounts/choose"


async def test_switch_is_one_click_and_remembered(client, authz):
    _, a1, a2 = await _two_accounts(authz)
    await f.login(client, "alice@example.com")
    before = client.cookies.get("panel_session")
    switched = await client.post(
        "/accounts/switch", data={"account_id": str(a2), "_csrf_token": f.csrf(client)}, follow_redirects=False
    )
    assert switched.status_code in (302, 303)
    assert client.cookies.get("panel_session") != before  # privilege change rotates the id
    home = await client.get("/")
    assert 'data-testid="current-account">Beta Personal<' in home.text
    # the switcher on every page offers the other account
    assert f'value="{a1}"' in home.text
    # remembered: the picker marks it as last used after a new login
    await f.login(client, "alice@example.com")
    picker = await client.get("/accounts/choose")
    assert "last used" in picker.text.split("Beta Personal")[1].split("</li>")[0]


async def test_cannot_switch_into_someone_elses_account(client, authz):
    await _two_accounts(authz)
    mallory = await f.user(authz, "mallory@example.com")
    other = await f.account(authz, "Mallory Inc", mallory)
    await f.login(client, "alice@example.com")
    answer = await client.post("/accounts/switch", data={"account_id": str(other), "_csrf_token": f.csrf(client)})
    assert answer.status_code == 403
    assert "Mallory Inc" not in answer.text


async def test_suspended_account_cannot_be_entered(client, authz):
    from panel.core.accounts import services

    _, _, a2 = await _two_accounts(authz)
    await services.suspend(authz, a2)
    await f.login(client, "alice@example.com")
    answer = await client.post("/accounts/switch", data={"account_id": str(a2), "_csrf_token": f.csrf(client)})
    assert answer.status_code == 403


async def test_suspension_ends_live_sessions_in_that_account(client, authz):
    from panel.core.accounts import services

    owner = await f.user(authz, "sus@example.com")
    acct = await f.account(authz, "Sus Ltd", owner)
    await f.login(client, "sus@example.com")
    assert (await client.get("/")).status_code == 200
    await services.suspend(authz, acct)
    after = await client.get("/", follow_redirects=False)
    assert after.status_code in (302, 303) and after.headers["location"].startswith("/login")


async def test_member_sees_only_what_permissions_allow(client, authz):
    owner = await f.user(authz, "own@example.com")
    clerk = await f.user(authz, "clerk@example.com")
    await f.account(authz, "Shop", owner, {clerk: ["invoices"]})
    await f.login(client, "clerk@example.com")
    home = await client.get("/")
    assert home.status_code == 200
    assert "invoices" in home.text
    admin = await client.get("/admin")
    assert admin.status_code == 403


async def test_client_cannot_reach_admin_area(client, authz):
    owner = await f.user(authz, "client@example.com")
    await f.account(authz, "Client Co", owner)
    await f.login(client, "client@example.com")
    for path in ("/admin", "/admin/accounts", "/admin/users", "/admin/plugins"):
        assert (await client.get(path)).status_code == 403, path


async def test_htmx_navigation_gets_a_fragment_without_layout(client, authz):
    owner = await f.user(authz, "hx@example.com")
    await f.account(authz, "Hx", owner)
    await f.login(client, "hx@example.com")
    full = await client.get("/")
    frag = await client.get("/", headers={"hx-request": "true", "hx-target": "main"})
    assert "<html" in full.text and "<html" not in frag.text
    assert "Welcome" in frag.text
