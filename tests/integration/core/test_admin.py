"""The admin area for platform staff."""

from __future__ import annotations

import factories as f


async def test_admin_lists_accounts_and_users(client, authz):
    await f.user(authz, "boss@example.com", staff="admin")
    owner = await f.user(authz, "o@example.com")
    await f.account(authz, "Zeta Ltd", owner)
    await f.login(client, "boss@example.com")
    accounts = await client.get("/admin/accounts")
    assert "Zeta Ltd" in accounts.text and "o@example.com" in accounts.text
    users = await client.get("/admin/users")
    assert "boss@example.com" in users.text and "admin" in users.text
    plugins = await client.get("/admin/plugins")
    assert "core" in plugins.text


async def test_billing_staff_cannot_see_plugins_page(client, authz):
    await f.user(authz, "bill@example.com", staff="billing")
    await f.login(client, "bill@example.com")
    assert (await client.get("/admin")).status_code == 200
    assert (await client.get("/admin/plugins")).status_code == 403
    nav = (await client.get("/admin")).text
    assert 'href="/admin/plugins"' not in nav


async def test_error_pages_are_friendly(client):
    missing = await client.get("/no/such/page")
    assert missing.status_code == 404
    assert "There is nothing at this address." in missing.text and "<html" in missing.text
    frag = await client.get("/no/such/page", headers={"hx-request": "true"})
    assert frag.status_code == 404 and "<html" not in frag.text
