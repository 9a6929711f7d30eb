"""The profile page: name and language, with field errors, as pages and through the API."""

from __future__ import annotations

import factories as f
from profile_support import api_headers, login_as, post_form

from panel.core.audit.tables import AuditEvent
from panel.core.auth.tables import User


async def _user(authz, email="ada@example.com"):
    user_id = await f.user(authz, email)
    await f.account(authz, "Ada Ltd", user_id)
    return user_id


async def _row(user_id):
    return await User.select(User.name, User.language, User.email).where(User.id == user_id).first()


async def test_profile_page_shows_and_saves_name_and_language(client, authz):
    ada = await _user(authz)
    await login_as(client, "ada@example.com")

    shown = await client.get("/me")
    assert shown.status_code == 200
    assert 'value="Ada"' in shown.text and '<option value="en" selected>' in shown.text
    assert 'data-testid="profile-email">ada@example.com<' in shown.text

    saved = await post_form(client, "/me", name="  Ada Lovelace ", language="de")

    assert saved.status_code == 303 and saved.headers["location"] == "/me?saved=profile"
    assert await _row(ada) == {"name": "Ada Lovelace", "language": "de", "email": "ada@example.com"}
    after = await client.get("/me?saved=profile")
    assert "Your profile was saved." in after.text and '<option value="de" selected>' in after.text
    assert "Ada Lovelace &lt;ada@example.com&gt;" in after.text  # the top bar reads the new name
    [event] = await AuditEvent.select().where(AuditEvent.action == "user.profile_update").output(load_json=True)
    assert event["actor_user_id"] == ada and event["account_id"] is None and event["target"] == f"user:{ada}"
    assert event["details"] == {
        "name": {"before": "Ada", "after": "Ada Lovelace"},
        "language": {"before": "en", "after": "de"},
    }


async def test_bad_name_and_language_are_refused_beside_their_fields(client, authz):
    ada = await _user(authz)
    await login_as(client, "ada@example.com")

    refused = await post_form(client, "/me", name="   ", language="xx")

    assert refused.status_code == 422
    assert 'id="name-error" class="field-error">Enter your name.<' in refused.text
    assert 'id="language-error" class="field-error">Choose one of: English, Deutsch' in refused.text
    assert await _row(ada) == {"name": "Ada", "language": "en", "email": "ada@example.com"}
    too_long = await post_form(client, "/me", name="x" * 201, language="en")
    assert too_long.status_code == 422 and "Use at most 200 characters." in too_long.text
    line_break = await post_form(client, "/me", name="Ada\nLovelace", language="en")
    assert line_break.status_code == 422 and "line breaks" in line_break.text
    assert await AuditEvent.count().where(AuditEvent.action.like("user.%")) == 0


async def test_unchanged_profile_is_not_audited(client, authz):
    await _user(authz)
    await login_as(client, "ada@example.com")
    assert (await post_form(client, "/me", name="Ada", language="en")).status_code == 303
    assert await AuditEvent.count().where(AuditEvent.action.like("user.%")) == 0


async def test_htmx_gets_a_redirect_or_a_fragment_with_the_errors(client, authz):
    await _user(authz)
    await login_as(client, "ada@example.com")
    htmx = {"hx-request": "true", "hx-target": "main"}

    ok = await client.post("/me", data={"name": "Ada L", "language": "fr", "_csrf_token": f.csrf(client)}, headers=htmx)
    assert ok.status_code == 204 and ok.headers["hx-redirect"] == "/me?saved=profile"

    bad = await client.post("/me", data={"name": "", "language": "fr", "_csrf_token": f.csrf(client)}, headers=htmx)
    assert bad.status_code == 422
    assert "<html" not in bad.text and "Enter your name." in bad.text


async def test_pages_need_a_login_and_forms_need_the_csrf_token(client, authz):
    await _user(authz)
    for path in ("/me", "/me/email", "/me/password", "/me/sessions"):
        answer = await client.get(path, follow_redirects=False)
        assert answer.status_code in (302, 303) and answer.headers["location"] == f"/login?next={path}", path
    await login_as(client, "ada@example.com")
    forged = await client.post("/me", data={"name": "Mallory", "language": "en"}, follow_redirects=False)
    assert forged.status_code == 403


async def test_users_without_an_account_have_a_profile_too(client, authz):
    await f.user(authz, "staff@example.com", staff="admin")
    await login_as(client, "staff@example.com")
    assert (await client.get("/me")).status_code == 200
    admin = await client.get("/admin")
    assert 'href="/me"' in admin.text  # in the admin navigation


async def test_the_client_navigation_links_the_profile(client, authz):
    await _user(authz)
    await login_as(client, "ada@example.com")
    assert 'href="/me"' in (await client.get("/")).text


# -- API -----------------------------------------------------------------------------------


async def test_api_patch_me_changes_name_and_language(client, authz):
    ada = await _user(authz)
    await login_as(client, "ada@example.com")

    patched = await client.patch("/api/v1/me", json={"language": "pl"}, headers=api_headers(client))

    assert patched.status_code == 200, patched.text
    assert patched.json() == {
        "id": ada,
        "email": "ada@example.com",
        "name": "Ada",
        "language": "pl",
        "pending_email": "",
    }
    assert (await client.get("/api/v1/me")).json()["email"] == "ada@example.com"  # core's GET still answers
    assert (await client.get("/api/v1/me/profile")).json()["language"] == "pl"


async def test_api_patch_me_refuses_bad_input_with_field_errors(client, authz):
    ada = await _user(authz)
    await login_as(client, "ada@example.com")

    refused = await client.patch("/api/v1/me", json={"name": "", "language": "klingon"}, headers=api_headers(client))

    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"name", "language"}
    assert await _row(ada) == {"name": "Ada", "language": "en", "email": "ada@example.com"}
    no_csrf = await client.patch("/api/v1/me", json={"name": "Eve"})
    assert no_csrf.status_code == 403
    client.cookies.clear()
    assert (await client.patch("/api/v1/me", json={"name": "Eve"})).status_code == 401
