"""The JSON API: same services and guard as the pages, with session or token."""

from __future__ import annotations

import factories as f


async def _api_login(client, email):
    await client.get("/login")  # CSRF cookie
    headers = {"x-csrftoken": f.csrf(client)}  # needed once a session cookie exists
    return await client.post("/api/v1/auth/login", json={"email": email, "password": f.PASSWORD}, headers=headers)


async def test_api_login_me_and_accounts(client, authz):
    owner = await f.user(authz, "api@example.com")
    acct = await f.account(authz, "Api Co", owner)
    answer = await _api_login(client, "api@example.com")
    assert answer.status_code == 200
    me = (await client.get("/api/v1/me")).json()
    assert me["email"] == "api@example.com"
    assert me["accounts"] == [
        {"id": acct, "name": "Api Co", "status": "active", "is_owner": True, "permissions": ["owner"]}
    ]


async def test_api_bad_login_is_422_with_field_errors(client, authz):
    await f.user(authz, "api2@example.com")
    answer = await _api_login(client, "nobody@example.com")
    assert answer.status_code == 422
    assert "password" in answer.json()["errors"]


async def test_api_unauthenticated_is_401_json(client):
    answer = await client.get("/api/v1/me")
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/json")


async def test_unsafe_api_call_with_session_needs_csrf_header(client, authz):
    await f.user(authz, "tok@example.com")
    await _api_login(client, "tok@example.com")
    refused = await client.post("/api/v1/tokens", json={"name": "ci"})
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    ok = await client.post("/api/v1/tokens", json={"name": "ci"}, headers={"x-csrftoken": f.csrf(client)})
    assert ok.status_code == 201
    assert ok.json()["token"].startswith("hp_")


async def test_bearer_token_reads_account_by_path_and_no_other(client, authz):
    owner = await f.user(authz, "bear@example.com")
    mine = await f.account(authz, "Bear Co", owner)
    stranger = await f.user(authz, "str@example.com")
    theirs = await f.account(authz, "Stranger Co", stranger)
    await _api_login(client, "bear@example.com")
    created = await client.post("/api/v1/tokens", json={"name": "script"}, headers={"x-csrftoken": f.csrf(client)})
    secret = created.json()["token"]
    client.cookies.clear()
    auth = {"authorization": f"Bearer {secret}"}
    assert (await client.get(f"/api/v1/accounts/{mine}", headers=auth)).json()["name"] == "Bear Co"
    leak = await client.get(f"/api/v1/accounts/{theirs}", headers=auth)
    assert leak.status_code == 403 and "Stranger" not in leak.text
    # a token needs no CSRF header (no cookie is involved)
    assert (await client.post("/api/v1/tokens", json={"name": "two"}, headers=auth)).status_code == 201


async def test_revoked_or_unknown_token_is_401(client, authz):
    answer = await client.get("/api/v1/me", headers={"authorization": "Bearer hp_nope"})
    assert answer.status_code == 401
    assert "unknown" in answer.json()["detail"]


async def test_admin_api_is_for_staff_only(client, authz):
    await f.user(authz, "root@example.com", staff="admin")
    owner = await f.user(authz, "cl@example.com")
    await f.account(authz, "Cl", owner)
    await _api_login(client, "cl@example.com")
    assert (await client.get("/api/v1/admin/accounts")).status_code == 403
    await _api_login(client, "root@example.com")
    rows = (await client.get("/api/v1/admin/accounts")).json()
    assert [r["name"] for r in rows] == ["Cl"]
    assert rows[0]["owner_email"] == "cl@example.com" and rows[0]["members"] == 1


async def test_openapi_schema_is_served(client):
    answer = await client.get("/api/v1/schema/openapi.json")
    assert answer.status_code == 200
    paths = answer.json()["paths"]
    assert "/api/v1/me" in paths and "/api/v1/accounts/{account_id}" in paths
