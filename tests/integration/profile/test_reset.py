"""Password reset by an emailed single-use link; the answer never says whether an email exists."""

from __future__ import annotations

from datetime import timedelta

import factories as f
from profile_support import api_headers, link_path, login_as, other_browser, post_form, text_of

from panel.core.audit.tables import AuditEvent
from panel.core.auth import links
from panel.core.auth.tables import ActionToken, Session
from panel.core.mail.tables import OutgoingEmail

NEW = "a brand new passphrase"
RESET = "/password/reset/"


async def _ada(authz):
    ada = await f.user(authz, "ada@example.com")
    await f.account(authz, "Ada Ltd", ada)
    return ada


async def _forgot(client, email):
    await client.get("/password/forgot")
    return await post_form(client, "/password/forgot", email=email)


async def test_the_answer_is_the_same_for_a_known_and_an_unknown_email(client, authz, smtp):
    await _ada(authz)

    known = await _forgot(client, "ADA@example.com")
    known_page = await client.get(known.headers["location"])
    unknown = await _forgot(client, "nobody@example.com")
    unknown_page = await client.get(unknown.headers["location"])

    assert known.status_code == unknown.status_code == 303
    assert known.headers["location"] == unknown.headers["location"] == "/password/forgot?sent=1"
    assert known_page.status_code == unknown_page.status_code == 200
    assert "If that email belongs to a user, we sent a link" in known_page.text
    strip = lambda html: html.replace(f.csrf(client), "")  # noqa: E731
    assert strip(known_page.text) == strip(unknown_page.text)
    # one email, to the user; nothing for the unknown address
    [message] = await smtp.wait_for(1)
    assert message["To"] == "ada@example.com" and message["Subject"] == "Set a new password"
    assert "within one hour" in text_of(message)
    assert await OutgoingEmail.count() == 1
    assert await OutgoingEmail.count().where(OutgoingEmail.recipients.like("%nobody%")) == 0


async def test_the_api_answer_is_the_same_too(client, authz, smtp):
    await _ada(authz)

    known = await client.post("/api/v1/password/forgot", json={"email": "ada@example.com"})
    unknown = await client.post("/api/v1/password/forgot", json={"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    await smtp.wait_for(1)
    assert [m["To"] for m in smtp.messages] == ["ada@example.com"]
    bad = await client.post("/api/v1/password/forgot", json={"email": "not an address"})
    assert bad.status_code == 422 and "email" in bad.json()["errors"]


async def test_reset_sets_the_password_ends_every_session_and_logs_nobody_in(client, authz, smtp):
    ada = await _ada(authz)
    laptop = await other_browser(client, "ada@example.com")
    await _forgot(client, "ada@example.com")
    [message] = await smtp.wait_for(1)
    path = link_path(message, RESET)
    smtp.clear()

    form = await client.get(path)
    assert form.status_code == 200 and "ada@example.com" in form.text and 'name="password"' in form.text
    assert form.headers["referrer-policy"] == "no-referrer"

    weak = await post_form(client, path, password="short", confirm_password="short")
    assert weak.status_code == 422 and 'id="password-error" class="field-error">Use at least 10' in weak.text
    differ = await post_form(client, path, password=NEW, confirm_password="something else entirely")
    assert differ.status_code == 422 and 'id="confirm_password-error"' in differ.text

    done = await post_form(client, path, password=NEW, confirm_password=NEW)  # the link survived the errors

    assert done.status_code == 303 and done.headers["location"] == "/password/changed"
    assert "Log in with the new password" in (await client.get("/password/changed")).text
    assert await Session.count().where(Session.user == ada) == 0
    assert (await laptop.get("/me", follow_redirects=False)).status_code in (302, 303)
    assert (await client.get("/me", follow_redirects=False)).status_code in (302, 303)  # not logged in
    assert (await f.login(client, "ada@example.com", f.PASSWORD)).status_code == 422
    assert (await f.login(client, "ada@example.com", NEW)).status_code == 303
    [notice] = await smtp.wait_for(1)
    assert notice["Subject"] == "Your password was changed" and "reset through an emailed link" in text_of(notice)
    [event] = await AuditEvent.select().where(AuditEvent.action == "user.password_reset").output(load_json=True)
    assert (
        event["actor_user_id"] == ada and event["target"] == f"user:{ada}" and event["details"] == {"sessions_ended": 1}
    )
    assert await AuditEvent.count().where(AuditEvent.action == "user.password_reset_request") == 1
    # single use
    used = await post_form(client, path, password=NEW + "2", confirm_password=NEW + "2")
    assert used.status_code == 410 and "This link was already used. Ask for a new one." in used.text
    assert (await client.get(path)).status_code == 410


async def test_expired_and_unknown_links_are_gone(client, authz):
    ada = await _ada(authz)
    _, expired = await links.issue("password_reset", timedelta(seconds=-1), user_id=ada, email="ada@example.com")

    page = await client.get(RESET + expired)
    await client.get("/password/forgot")
    posted = await post_form(client, RESET + expired, password=NEW, confirm_password=NEW)
    unknown = await client.get(RESET + "not-a-real-secret")
    api = await client.post("/api/v1/password/reset", json={"token": expired, "password": NEW})

    assert page.status_code == posted.status_code == unknown.status_code == api.status_code == 410
    assert "This link has expired. Ask for a new one." in page.text and 'href="/password/forgot"' in page.text
    assert "not valid" in unknown.text
    assert "expired" in api.json()["detail"]
    assert (await f.login(client, "ada@example.com", f.PASSWORD)).status_code == 303


async def test_a_new_request_cancels_the_older_link(client, authz, smtp):
    await _ada(authz)
    await _forgot(client, "ada@example.com")
    [first] = await smtp.wait_for(1)
    await _forgot(client, "ada@example.com")
    second = (await smtp.wait_for(2))[1]

    old = await client.get(link_path(first, RESET))
    new = await client.get(link_path(second, RESET))

    assert old.status_code == 410 and new.status_code == 200


async def test_requests_are_limited_per_email_whether_or_not_it_exists(client, authz, smtp):
    await _ada(authz)
    for email in ("ada@example.com", "nobody@example.com"):
        for _ in range(3):  # PANEL_CORE_PROFILE_RESET_LIMIT_EMAIL
            assert (await _forgot(client, email)).status_code == 303
        limited = await _forgot(client, email)
        assert limited.status_code == 429, email
        assert "Too many password reset requests" in limited.text and int(limited.headers["retry-after"]) > 0
    await smtp.wait_for(3)
    assert await OutgoingEmail.count() == 3


async def test_requests_are_limited_per_client_address(client):
    for n in range(10):  # PANEL_CORE_PROFILE_RESET_LIMIT_ADDRESS
        assert (await _forgot(client, f"user{n}@example.com")).status_code == 303
    limited = await client.post("/api/v1/password/forgot", json={"email": "another@example.com"})
    assert limited.status_code == 429 and "retry-after" in limited.headers


async def test_api_reset_sets_the_password(client, authz, smtp):
    await _ada(authz)
    await client.post("/api/v1/password/forgot", json={"email": "ada@example.com"})
    [message] = await smtp.wait_for(1)
    secret = link_path(message, RESET).removeprefix(RESET)

    weak = await client.post("/api/v1/password/reset", json={"token": secret, "password": "short"})
    done = await client.post("/api/v1/password/reset", json={"token": secret, "password": NEW})
    again = await client.post("/api/v1/password/reset", json={"token": secret, "password": NEW})

    assert weak.status_code == 422 and "password" in weak.json()["errors"]
    assert done.status_code == 204 and again.status_code == 410
    assert (await f.login(client, "ada@example.com", NEW)).status_code == 303


async def test_a_reset_cancels_a_pending_email_change(client, authz, smtp):
    await _ada(authz)
    await login_as(client, "ada@example.com")
    asked = await post_form(client, "/me/email", email="thief@example.org", password=f.PASSWORD)
    assert asked.status_code == 303
    await smtp.wait_for(2)
    secret = await _open_token("email_change")
    _, reset_secret = await links.issue(
        "password_reset", timedelta(hours=1), user_id=await _id(), email="ada@example.com"
    )

    answer = await client.post(
        "/api/v1/password/reset", json={"token": reset_secret, "password": NEW}, headers=api_headers(client)
    )
    assert answer.status_code == 204

    assert secret is not None
    assert await _open_token("email_change") is None


async def test_a_disabled_user_gets_no_link(client, authz, smtp):
    from panel.core.auth.tables import User

    ada = await _ada(authz)
    await User.update({User.is_active: False}).where(User.id == ada)

    answer = await _forgot(client, "ada@example.com")

    assert answer.status_code == 303
    assert await OutgoingEmail.count() == 0


async def test_the_login_page_links_to_the_reset(client):
    page = await client.get("/login")
    assert 'href="/password/forgot"' in page.text and "Forgot your password?" in page.text


async def _open_token(purpose):
    row = (
        await ActionToken.select(ActionToken.id)
        .where((ActionToken.purpose == purpose) & ActionToken.used_at.is_null())
        .first()
    )
    return row["id"] if row else None


async def _id():
    from panel.core.auth.services import user_id_by_email

    return await user_id_by_email("ada@example.com")


def test_a_plugin_that_replaces_the_login_page_keeps_the_link():
    from pathlib import Path

    import dummy_plugin

    from panel.core.web.templating import build_environment

    environment = build_environment([Path(dummy_plugin.__file__).parent / "templates"])
    html = environment.get_template("auth/login.html").render(
        csrf_input="", csrf_token=lambda: "", errors={}, email="", next=""
    )
    assert 'data-testid="dummy-login-marker"' in html and 'href="/password/forgot"' in html
