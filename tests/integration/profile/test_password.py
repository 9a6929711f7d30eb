"""Changing one's own password: the old one is required, other sessions end, a notice is sent."""

from __future__ import annotations

import factories as f
from profile_support import api_headers, login_as, other_browser, post_form, text_of

from panel.core.audit.tables import AuditEvent
from panel.core.auth import tokens
from panel.core.auth.tables import Session

NEW = "a brand new passphrase"


async def _ada(authz):
    ada = await f.user(authz, "ada@example.com")
    await f.account(authz, "Ada Ltd", ada)
    return ada


async def test_change_ends_other_sessions_keeps_this_one_and_sends_a_notice(client, authz, smtp):
    ada = await _ada(authz)
    await login_as(client, "ada@example.com")
    phone = await other_browser(client, "ada@example.com")
    assert (await phone.get("/me")).status_code == 200
    old_cookie = client.cookies.get("panel_session")

    changed = await post_form(
        client, "/me/password", current_password=f.PASSWORD, new_password=NEW, confirm_password=NEW
    )

    assert changed.status_code == 303 and changed.headers["location"] == "/me/password?saved=password"
    new_cookie = client.cookies.get("panel_session")
    assert new_cookie and new_cookie != old_cookie  # this session rotated
    page = await client.get("/me/password?saved=password")
    assert page.status_code == 200 and "Your password was changed." in page.text
    # the other browser is logged out at its next request
    assert (await phone.get("/me", follow_redirects=False)).headers["location"] == "/login?next=/me"
    # the old token of this browser no longer works either
    client.cookies.set("panel_session", old_cookie)
    assert (await client.get("/me", follow_redirects=False)).status_code in (302, 303)
    assert await Session.count().where(Session.user == ada) == 1
    # the new password logs in, the old one does not
    assert (await f.login(client, "ada@example.com", NEW)).status_code == 303
    assert (await f.login(client, "ada@example.com", f.PASSWORD)).status_code == 422
    [event] = await AuditEvent.select().where(AuditEvent.action == "user.password_change").output(load_json=True)
    assert (event["actor_user_id"], event["account_id"], event["target"]) == (ada, None, f"user:{ada}")
    assert event["details"] == {"sessions_ended": 1}
    [notice] = await smtp.wait_for(1)
    assert notice["To"] == "ada@example.com" and notice["Subject"] == "Your password was changed"
    assert "was changed" in text_of(notice) and "Your other sessions were logged out." in text_of(notice)


async def test_wrong_current_password_is_a_field_error_and_changes_nothing(client, authz, smtp):
    await _ada(authz)
    await login_as(client, "ada@example.com")

    refused = await post_form(
        client, "/me/password", current_password="not my password", new_password=NEW, confirm_password=NEW
    )

    assert refused.status_code == 422
    assert 'id="current_password-error" class="field-error">That is not your current password.<' in refused.text
    assert (await f.login(client, "ada@example.com", f.PASSWORD)).status_code == 303
    assert await AuditEvent.count().where(AuditEvent.action == "user.password_change") == 0
    assert smtp.messages == []


async def test_wrong_current_passwords_count_toward_the_login_limit(client, authz):
    await _ada(authz)
    await login_as(client, "ada@example.com")
    for _ in range(5):  # PANEL_LOGIN_LIMIT_ACCOUNT
        wrong = await post_form(client, "/me/password", current_password="nope nope nope", new_password=NEW)
        assert wrong.status_code == 422

    limited = await post_form(client, "/me/password", current_password=f.PASSWORD, new_password=NEW)

    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert "Too many wrong passwords" in limited.text
    # the same budget as the login form: the right password is refused there too
    client.cookies.clear()
    assert (await f.login(client, "ada@example.com")).status_code == 429


async def test_weak_or_mismatched_or_unchanged_new_password_is_refused(client, authz):
    await _ada(authz)
    await login_as(client, "ada@example.com")

    weak = await post_form(client, "/me/password", current_password=f.PASSWORD, new_password="short")
    assert weak.status_code == 422
    assert 'id="new_password-error" class="field-error">Use at least 10 characters.<' in weak.text

    differ = await post_form(
        client, "/me/password", current_password=f.PASSWORD, new_password=NEW, confirm_password=NEW + "!"
    )
    assert differ.status_code == 422 and 'id="confirm_password-error"' in differ.text

    same = await post_form(
        client, "/me/password", current_password=f.PASSWORD, new_password=f.PASSWORD, confirm_password=f.PASSWORD
    )
    assert same.status_code == 422 and "different from your current one" in same.text
    assert (await f.login(client, "ada@example.com", f.PASSWORD)).status_code == 303


async def test_staff_acting_as_the_user_cannot_change_the_password(client, authz):
    ada = await _ada(authz)
    await f.user(authz, "support@example.com", staff="support")
    await login_as(client, "support@example.com")
    started = await post_form(client, f"/admin/users/{ada}/impersonate")
    assert started.status_code == 303

    page = await client.get("/me/password")
    assert page.status_code == 200 and "cannot change the user's password" in page.text
    assert 'name="current_password"' not in page.text
    refused = await post_form(client, "/me/password", current_password=f.PASSWORD, new_password=NEW)
    assert refused.status_code == 403
    api = await client.post(
        "/api/v1/me/password", json={"current_password": f.PASSWORD, "new_password": NEW}, headers=api_headers(client)
    )
    assert api.status_code == 403
    assert (await f.login(client, "ada@example.com", f.PASSWORD)).status_code == 303


# -- API -----------------------------------------------------------------------------------


async def test_api_change_with_a_session_rotates_its_cookie(client, authz, smtp):
    await _ada(authz)
    await login_as(client, "ada@example.com")
    before = client.cookies.get("panel_session")

    wrong = await client.post(
        "/api/v1/me/password",
        json={"current_password": "wrong wrong", "new_password": NEW},
        headers=api_headers(client),
    )
    assert wrong.status_code == 422 and set(wrong.json()["errors"]) == {"current_password"}

    changed = await client.post(
        "/api/v1/me/password", json={"current_password": f.PASSWORD, "new_password": NEW}, headers=api_headers(client)
    )

    assert changed.status_code == 204
    assert client.cookies.get("panel_session") not in (None, before)
    assert (await client.get("/api/v1/me")).status_code == 200
    await smtp.wait_for(1)


async def test_api_change_with_a_token_ends_every_session(client, authz, smtp):
    ada = await _ada(authz)
    await login_as(client, "ada@example.com")
    _, secret = await tokens.create_token(ada, "ci")
    bearer = {"authorization": f"Bearer {secret}"}

    changed = await client.post(
        "/api/v1/me/password", json={"current_password": f.PASSWORD, "new_password": NEW}, headers=bearer
    )

    assert changed.status_code == 204
    assert await Session.count().where(Session.user == ada) == 0
    assert (await client.get("/api/v1/me/profile", headers=bearer)).status_code == 200  # tokens stay valid
    await smtp.wait_for(1)
