"""Changing one's own email: confirmed by a link sent to the new address, noticed at the old one."""

from __future__ import annotations

import factories as f
from profile_support import api_headers, link_path, login_as, other_browser, post_form, text_of

from panel.core.audit.tables import AuditEvent
from panel.core.auth import services as auth
from panel.core.auth.tables import Session, User
from panel.core.mail.tables import OutgoingEmail

CONFIRM = "/me/email/confirm/"


async def _ada(authz):
    ada = await f.user(authz, "ada@example.com")
    await f.account(authz, "Ada Ltd", ada)
    return ada


async def _email_of(user_id):
    return (await User.select(User.email).where(User.id == user_id).first())["email"]


async def _ask(client, smtp, new="ada@new.example.org"):
    """Ask for the change and return the confirmation link's path (two emails arrive)."""
    asked = await post_form(client, "/me/email", email=new, password=f.PASSWORD)
    assert asked.status_code == 303 and asked.headers["location"] == "/me/email?saved=email_sent", asked.text
    messages = await smtp.wait_for(2)
    [to_new] = [m for m in messages if m["To"] == new.strip().lower()]
    return link_path(to_new, CONFIRM)


async def test_link_to_the_new_address_changes_the_email_and_ends_other_sessions(client, authz, smtp):
    ada = await _ada(authz)
    await login_as(client, "ada@example.com")
    phone = await other_browser(client, "ada@example.com")

    path = await _ask(client, smtp, "Ada@New.Example.org ")

    to_new = next(m for m in smtp.messages if m["To"] == "ada@new.example.org")
    notice = next(m for m in smtp.messages if m["To"] == "ada@example.com")
    assert to_new["Subject"] == "Confirm your new email address"
    assert "within 24 hours" in text_of(to_new)
    assert notice["Subject"] == "Your login email is about to change"
    assert "ada@new.example.org" in text_of(notice) and CONFIRM not in text_of(notice)  # no link for the old address
    pending = await client.get("/me/email?saved=email_sent")
    assert "We sent a confirmation link" in pending.text
    assert 'data-testid="pending-email">' in pending.text and "ada@new.example.org" in pending.text
    assert await _email_of(ada) == "ada@example.com"  # nothing changes before the link is followed

    shown = await client.get(path)
    assert shown.status_code == 200 and 'data-testid="new-email">ada@new.example.org<' in shown.text
    assert shown.headers["referrer-policy"] == "no-referrer"
    assert await _email_of(ada) == "ada@example.com"  # a GET (a link scanner) changes nothing
    before = client.cookies.get("panel_session")

    confirmed = await post_form(client, path)

    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/me/email?saved=email"
    assert await _email_of(ada) == "ada@new.example.org"
    assert client.cookies.get("panel_session") not in (None, before)  # this browser stays, with a new token
    assert "ada@new.example.org" in (await client.get("/me/email")).text
    assert (await phone.get("/me", follow_redirects=False)).status_code in (302, 303)  # the other one is out
    assert await Session.count().where(Session.user == ada) == 1
    [event] = await AuditEvent.select().where(AuditEvent.action == "user.email_change").output(load_json=True)
    assert event["actor_user_id"] == ada and event["target"] == f"user:{ada}"
    assert event["details"]["email"] == {"before": "ada@example.com", "after": "ada@new.example.org"}
    assert await AuditEvent.count().where(AuditEvent.action == "user.email_change_request") == 1
    # used once
    again = await post_form(client, path)
    assert again.status_code == 410 and "already used" in again.text
    # the new address logs in, the old one does not
    assert (await f.login(client, "ada@new.example.org")).status_code == 303
    assert (await f.login(client, "ada@example.com")).status_code == 422


async def test_link_followed_in_another_browser_logs_every_session_out(client, authz, smtp):
    ada = await _ada(authz)
    await login_as(client, "ada@example.com")
    path = await _ask(client, smtp)
    client.cookies.clear()  # a browser where nobody is logged in (the new mailbox's)
    await client.get(path)

    confirmed = await post_form(client, path)

    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/me/email/changed"
    assert "Log in with the new address" in (await client.get("/me/email/changed")).text
    assert await _email_of(ada) == "ada@new.example.org"
    assert await Session.count().where(Session.user == ada) == 0


async def test_an_email_of_another_user_is_refused_beside_the_field(client, authz, smtp):
    ada = await _ada(authz)
    await f.user(authz, "bob@example.com")
    await login_as(client, "ada@example.com")

    refused = await post_form(client, "/me/email", email="BOB@example.com", password=f.PASSWORD)

    assert refused.status_code == 422
    assert 'id="email-error" class="field-error">A user with this email already exists.<' in refused.text
    assert await OutgoingEmail.count() == 0 and smtp.messages == []
    same = await post_form(client, "/me/email", email="ada@example.com", password=f.PASSWORD)
    assert same.status_code == 422 and "already your email address" in same.text
    bad = await post_form(client, "/me/email", email="not-an-address", password=f.PASSWORD)
    assert bad.status_code == 422 and 'id="email-error"' in bad.text
    assert await _email_of(ada) == "ada@example.com"


async def test_wrong_password_is_refused_and_does_not_reveal_taken_addresses(client, authz, smtp):
    await _ada(authz)
    await f.user(authz, "bob@example.com")
    await login_as(client, "ada@example.com")

    refused = await post_form(client, "/me/email", email="bob@example.com", password="wrong password")

    assert refused.status_code == 422
    assert 'id="password-error" class="field-error">That is not your current password.<' in refused.text
    assert "already exists" not in refused.text  # checked only once the password is right
    assert await OutgoingEmail.count() == 0


async def test_an_address_taken_after_the_link_was_sent_is_a_clear_refusal(client, authz, smtp):
    ada = await _ada(authz)
    await login_as(client, "ada@example.com")
    path = await _ask(client, smtp, "shared@example.org")
    await auth.create_user("shared@example.org", f.PASSWORD)

    refused = await post_form(client, path)

    assert refused.status_code == 409
    assert "Another user took shared@example.org" in refused.text and "your email stays ada@example.com" in refused.text
    assert await _email_of(ada) == "ada@example.com"
    assert await AuditEvent.count().where(AuditEvent.action == "user.email_change") == 0


async def test_a_newer_request_replaces_the_older_link(client, authz, smtp):
    await _ada(authz)
    await login_as(client, "ada@example.com")
    first = await _ask(client, smtp, "one@example.org")
    smtp.clear()
    await _ask(client, smtp, "two@example.org")

    old = await client.get(first)

    assert old.status_code == 410 and "Ask for a new one" in old.text
    assert (await client.get("/me/email/confirm/made-up-secret")).status_code == 410


async def test_a_password_change_cancels_a_pending_email_change(client, authz, smtp):
    await _ada(authz)
    await login_as(client, "ada@example.com")
    path = await _ask(client, smtp)
    new = "a brand new passphrase"
    changed = await post_form(
        client, "/me/password", current_password=f.PASSWORD, new_password=new, confirm_password=new
    )
    assert changed.status_code == 303
    assert (await post_form(client, path)).status_code == 410


async def test_staff_acting_as_the_user_cannot_change_the_email(client, authz, smtp):
    ada = await _ada(authz)
    await f.user(authz, "support@example.com", staff="support")
    await login_as(client, "support@example.com")
    assert (await post_form(client, f"/admin/users/{ada}/impersonate")).status_code == 303

    page = await client.get("/me/email")
    assert "cannot change the user's email" in page.text and 'name="password"' not in page.text
    refused = await post_form(client, "/me/email", email="staff-owned@example.org", password=f.PASSWORD)
    assert refused.status_code == 403
    api = await client.post(
        "/api/v1/me/email",
        json={"email": "staff-owned@example.org", "password": f.PASSWORD},
        headers=api_headers(client),
    )
    assert api.status_code == 403
    assert await OutgoingEmail.count() == 0


async def test_api_asks_for_the_change(client, authz, smtp):
    ada = await _ada(authz)
    await login_as(client, "ada@example.com")

    taken = await client.post(
        "/api/v1/me/email", json={"email": "ada@example.com", "password": f.PASSWORD}, headers=api_headers(client)
    )
    assert taken.status_code == 422 and "email" in taken.json()["errors"]

    asked = await client.post(
        "/api/v1/me/email", json={"email": "ada@api.example.org", "password": f.PASSWORD}, headers=api_headers(client)
    )

    assert asked.status_code == 202 and asked.json()["pending_email"] == "ada@api.example.org"
    profile = (await client.get("/api/v1/me/profile")).json()
    assert profile["email"] == "ada@example.com" and profile["pending_email"] == "ada@api.example.org"
    messages = await smtp.wait_for(2)
    assert {m["To"] for m in messages} == {"ada@example.com", "ada@api.example.org"}
    assert await _email_of(ada) == "ada@example.com"


async def test_two_users_confirming_the_same_address_at_once_one_wins(client, authz):
    import asyncio
    from datetime import timedelta

    from panel.core.auth import links
    from panel.core.profile import email_change

    ada = await _ada(authz)
    bob = await f.user(authz, "bob@example.com")
    secrets = []
    for user_id in (ada, bob):
        _, secret = await links.issue("email_change", timedelta(hours=1), user_id=user_id, email="both@example.org")
        secrets.append(secret)
    nobody = {"actor": None, "impersonator": None, "ip": ""}

    results = await asyncio.gather(
        *(email_change.confirm_email_change(s, nobody) for s in secrets), return_exceptions=True
    )

    assert sum(not isinstance(r, Exception) for r in results) == 1
    [refused] = [r for r in results if isinstance(r, Exception)]
    assert isinstance(refused, email_change.EmailTaken)
    assert sorted([await _email_of(ada), await _email_of(bob)]) in (
        ["ada@example.com", "both@example.org"],
        ["bob@example.com", "both@example.org"],
    )


def test_unique_index_errors_of_both_databases_are_recognised():
    import sqlite3

    from panel.core.profile.email_change import _is_unique_violation

    class UniqueViolationError(Exception):  # asyncpg's name for it
        pass

    assert _is_unique_violation(sqlite3.IntegrityError("UNIQUE constraint failed: panel_user.email"))
    assert _is_unique_violation(UniqueViolationError("duplicate key value violates unique constraint"))
    assert not _is_unique_violation(sqlite3.IntegrityError("NOT NULL constraint failed: panel_user.email"))
    assert not _is_unique_violation(ValueError("unique"))
