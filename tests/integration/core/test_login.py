"""Logging in and out through the real pages."""

from __future__ import annotations

import factories as f


async def test_login_page_renders_with_csrf_field(client):
    page = await client.get("/login")
    assert page.status_code == 200
    assert 'name="_csrf_token"' in page.text
    assert "csrftoken" in client.cookies


async def test_owner_of_one_account_lands_on_dashboard(client, authz):
    owner = await f.user(authz, "solo@example.com")
    await f.account(authz, "Solo Shop", owner)
    answer = await f.login(client, "solo@example.com")
    assert answer.status_code in (301, 302, 303)
    assert answer.headers["location"] == "/"
    home = await client.get("/")
    assert home.status_code == 200
    assert "Solo Shop" in home.text


async def test_wrong_password_shows_error_beside_field_and_keeps_email(client, authz):
    await f.user(authz, "x@example.com")
    answer = await f.login(client, "x@example.com", "wrong password!")
    assert answer.status_code == 422
    assert 'id="password-error"' in answer.text
    assert 'value="x@example.com"' in answer.text
    assert "panel_session" not in answer.cookies


async def test_unknown_email_gets_the_same_answer_as_wrong_password(client, authz):
    await f.user(authz, "known@example.com")
    known = await f.login(client, "known@example.com", "wrong password!")
    unknown = await f.login(client, "nobody@example.com", "wrong password!")
    assert known.status_code == unknown.status_code == 422
    msg = "That email and password do not match an active user."
    assert msg in known.text and msg in unknown.text


async def test_empty_fields_are_reported_per_field(client):
    token = await f.get_csrf(client)
    answer = await client.post("/login", data={"email": "", "password": "", "_csrf_token": token})
    assert answer.status_code == 422
    assert 'id="email-error"' in answer.text and 'id="password-error"' in answer.text


async def test_login_without_csrf_token_is_refused(client, authz):
    await f.user(authz, "c@example.com")
    await client.get("/login")
    answer = await client.post("/login", data={"email": "c@example.com", "password": f.PASSWORD})
    assert answer.status_code == 403
    assert "panel_session" not in answer.cookies


async def test_session_id_rotates_on_login(client, authz):
    owner = await f.user(authz, "rot@example.com")
    await f.account(authz, "Rot", owner)
    await f.login(client, "rot@example.com")
    first = client.cookies.get("panel_session")
    await f.login(client, "rot@example.com")
    second = client.cookies.get("panel_session")
    assert first and second and first != second
    client.cookies.set("panel_session", first)
    stale = await client.get("/", follow_redirects=False)
    assert stale.status_code in (302, 303)
    assert stale.headers["location"].startswith("/login")


async def test_logout_ends_the_session(client, authz):
    owner = await f.user(authz, "out@example.com")
    await f.account(authz, "Out", owner)
    await f.login(client, "out@example.com")
    token = client.cookies.get("panel_session")
    answer = await client.post("/logout", headers={"x-csrftoken": f.csrf(client)}, follow_redirects=False)
    assert answer.status_code in (302, 303)
    client.cookies.set("panel_session", token)
    again = await client.get("/", follow_redirects=False)
    assert again.headers["location"].startswith("/login")


async def test_anonymous_is_sent_to_login_and_htmx_gets_hx_redirect(client):
    page = await client.get("/", follow_redirects=False)
    assert page.status_code in (302, 303) and page.headers["location"] == "/login?next=/"
    frag = await client.get("/", headers={"hx-request": "true"}, follow_redirects=False)
    assert frag.headers.get("hx-redirect", "").startswith("/login")


async def test_login_is_rate_limited_per_email_with_retry_time(client, authz):
    await f.user(authz, "rl@example.com")
    for _ in range(5):
        assert (await f.login(client, "rl@example.com", "bad password!!")).status_code == 422
    blocked = await f.login(client, "rl@example.com", f.PASSWORD)  # even the right password waits
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "Too many failed sign-in attempts" in blocked.text


async def test_login_is_rate_limited_per_address(client, authz):
    client.app.state.settings.values["login_limit_address"] = 3
    for i in range(3):
        await f.login(client, f"spray{i}@example.com", "bad password!!")
    blocked = await f.login(client, "another@example.com", "bad password!!")
    assert blocked.status_code == 429


async def test_staff_land_in_admin_area(client, authz):
    await f.user(authz, "staff@example.com", staff="support")
    answer = await f.login(client, "staff@example.com")
    assert answer.headers["location"] == "/admin"
    admin = await client.get("/admin")
    assert admin.status_code == 200 and "Admin area" in admin.text


async def test_disabled_user_cannot_log_in(client, authz):
    from panel.core.auth.tables import User

    user_id = await f.user(authz, "gone@example.com")
    await User.update({User.is_active: False}).where(User.id == user_id)
    assert (await f.login(client, "gone@example.com")).status_code == 422
