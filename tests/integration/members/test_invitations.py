"""Invitations: invite by email, the emailed single-use link, accept (new or existing user), decline."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import factories as f

from panel.core.accounts import services as accounts
from panel.core.accounts.tables import Membership
from panel.core.auth.tables import ActionToken, User
from panel.core.members.tables import Invitation

from .checks import audited, checkbox
from .inbox import html_of, link_path, mail_to, text_of


async def _owner_with_account(client, authz, email="owner@example.com", name="Acme Hosting"):
    owner = await f.user(authz, email)
    account = await f.account(authz, name, owner)
    await f.login(client, email)
    return owner, account


async def _invite(client, email, permissions=(), headers=None):
    data = {"email": email, "permissions": list(permissions), "_csrf_token": f.csrf(client)}
    return await client.post("/account/users/invite", data=data, headers=headers or {}, follow_redirects=False)


async def _invitation(email):
    return await Invitation.select().where(Invitation.email == email).first()


def _perms(row):
    value = row["permissions"]
    return sorted(json.loads(value) if isinstance(value, str) else value)


async def test_owner_invites_and_the_email_carries_a_link(client, authz, smtp):
    await _owner_with_account(client, authz)
    form = await client.get("/account/users/invite")
    assert form.status_code == 200
    assert 'value="invoices"' in form.text and 'value="users"' in form.text
    answer = await _invite(client, "New.Person@Example.com", ["invoices", "tickets"])
    assert answer.status_code == 303 and answer.headers["location"] == "/account/users"
    row = await _invitation("new.person@example.com")
    assert row["status"] == "pending" and _perms(row) == ["invoices", "tickets"]
    [message] = await mail_to(smtp, "new.person@example.com")
    assert message["Subject"] == "Owner (owner@example.com) invites you to Acme Hosting"
    text = text_of(message)
    assert "Acme Hosting" in text and "Invoices, Tickets" in text and "7 days" in text
    path = link_path(message)
    assert path in html_of(message)
    listed = await client.get("/account/users")
    assert "new.person@example.com" in listed.text and "Pending invitations" in listed.text
    assert len(await audited("invitation.create")) == 1


async def test_new_user_accepts_and_lands_in_the_account_with_only_what_was_granted(client, authz, smtp):
    _, account = await _owner_with_account(client, authz)
    await _invite(client, "fresh@example.com", ["invoices"])
    path = link_path((await mail_to(smtp, "fresh@example.com"))[0])
    client.cookies.clear()
    page = await client.get(path)
    assert page.status_code == 200
    assert "Acme Hosting" in page.text and "Invoices" in page.text
    assert "Create your user" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    done = await client.post(
        path + "/register",
        data={"name": "Fresh Person", "password": f.PASSWORD, "_csrf_token": f.form_token(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/"
    home = await client.get("/")
    assert 'data-testid="current-account">Acme Hosting<' in home.text
    user = await User.select(User.id, User.name).where(User.email == "fresh@example.com").first()
    assert user["name"] == "Fresh Person"
    assert accounts.permissions_of(authz, user["id"], account) == ["invoices"]
    row = await _invitation("fresh@example.com")
    assert row["status"] == "accepted" and row["accepted_by"] == user["id"]
    assert (await client.get("/account/users")).status_code == 403  # invoices only
    # the link works once
    again = await client.get(path)
    assert again.status_code == 410 and "already accepted" in again.text


async def test_weak_password_on_the_invitation_page_is_a_field_error_and_nothing_changes(client, authz, smtp):
    await _owner_with_account(client, authz)
    await _invite(client, "weak@example.com")
    path = link_path((await mail_to(smtp, "weak@example.com"))[0])
    client.cookies.clear()
    page = await client.get(path)
    answer = await client.post(
        path + "/register", data={"name": "", "password": "abc", "_csrf_token": f.form_token(page.text)}
    )
    assert answer.status_code == 422
    assert 'id="password-error"' in answer.text and 'id="name-error"' in answer.text
    assert not await User.exists().where(User.email == "weak@example.com")
    assert (await _invitation("weak@example.com"))["status"] == "pending"
    assert (await client.get(path)).status_code == 200  # the link still works


async def test_existing_user_accepts_no_duplicate_user_and_session_switches(client, authz, smtp):
    _, account = await _owner_with_account(client, authz)
    bob = await f.user(authz, "bob@example.com")
    await f.account(authz, "Bob's Bakery", bob)
    await _invite(client, "BOB@example.com", ["domains"])
    path = link_path((await mail_to(smtp, "bob@example.com"))[0])
    await f.login(client, "bob@example.com")
    page = await client.get(path)
    assert "Accept and join" in page.text and "Create your user" not in page.text
    accepted = await client.post(path + "/accept", data={"_csrf_token": f.csrf(client)}, follow_redirects=False)
    assert accepted.status_code == 303
    home = await client.get("/")
    assert 'data-testid="current-account">Acme Hosting<' in home.text
    assert await User.count().where(User.email == "bob@example.com") == 1
    assert accounts.permissions_of(authz, bob, account) == ["domains"]
    assert [e["actor"] for e in await audited("invitation.accept", account)] == [bob]


async def test_anonymous_existing_user_is_offered_to_log_in_and_comes_back(client, authz, smtp):
    await _owner_with_account(client, authz)
    await f.user(authz, "known@example.com")
    await _invite(client, "known@example.com")
    path = link_path((await mail_to(smtp, "known@example.com"))[0])
    client.cookies.clear()
    page = await client.get(path)
    assert "Log in to accept" in page.text and "Create your user" not in page.text
    logged = await client.post(
        "/login",
        data={
            "email": "known@example.com",
            "password": f.PASSWORD,
            "next": path,
            "_csrf_token": f.form_token(page.text),
        },
        follow_redirects=False,
    )
    assert logged.headers["location"] == path


async def test_wrong_user_logged_in_is_told_and_cannot_accept(client, authz, smtp):
    _, account = await _owner_with_account(client, authz)
    mallory = await f.user(authz, "mallory@example.com")
    await _invite(client, "target@example.com", ["invoices"])
    path = link_path((await mail_to(smtp, "target@example.com"))[0])
    await f.login(client, "mallory@example.com")
    page = await client.get(path)
    assert 'data-testid="wrong-user"' in page.text and "mallory@example.com" in page.text
    refused = await client.post(path + "/accept", data={"_csrf_token": f.csrf(client)})
    assert refused.status_code == 403 and "target@example.com" in refused.text
    assert not await Membership.exists().where((Membership.user == mallory) & (Membership.account == account))
    assert (await _invitation("target@example.com"))["status"] == "pending"
    # "log out and continue" comes back to the invitation, anonymous
    out = await client.post(path + "/logout", data={"_csrf_token": f.csrf(client)}, follow_redirects=False)
    assert out.headers["location"] == path
    assert "Create your user" in (await client.get(path)).text


async def test_cannot_accept_twice(client, authz, smtp):
    await _owner_with_account(client, authz)
    invitee = await f.user(authz, "twice@example.com")
    await _invite(client, "twice@example.com")
    path = link_path((await mail_to(smtp, "twice@example.com"))[0])
    await f.login(client, "twice@example.com")
    first = await client.post(path + "/accept", data={"_csrf_token": f.csrf(client)}, follow_redirects=False)
    assert first.status_code == 303
    second = await client.post(path + "/accept", data={"_csrf_token": f.csrf(client)})
    assert second.status_code == 410
    assert await Membership.count().where(Membership.user == invitee) == 1


async def test_bad_email_and_existing_member_are_field_errors(client, authz, smtp):
    _owner, account = await _owner_with_account(client, authz)
    member = await f.user(authz, "member@example.com")
    await accounts.add_member(authz, account, member, [])
    bad = await _invite(client, "not-an-email")
    assert bad.status_code == 422 and 'id="email-error"' in bad.text
    already = await _invite(client, "Member@Example.com")
    assert already.status_code == 422 and "already a member" in already.text
    unknown = await _invite(client, "x@example.com", ["root"])
    assert unknown.status_code == 422 and "Unknown permission" in unknown.text
    assert await Invitation.count() == 0
    assert smtp.messages == []


async def test_already_invited_offers_resend_and_resend_replaces_the_link(client, authz, smtp):
    await _owner_with_account(client, authz)
    await _invite(client, "again@example.com")
    [first] = await mail_to(smtp, "again@example.com")
    old_path = link_path(first)
    twice = await _invite(client, "again@example.com")
    assert twice.status_code == 422 and "already invited" in twice.text and 'data-testid="resend"' in twice.text
    row = await _invitation("again@example.com")
    resent = await client.post(
        f"/account/users/invitations/{row['id']}/resend", data={"_csrf_token": f.csrf(client)}, follow_redirects=False
    )
    assert resent.status_code == 303
    messages = await mail_to(smtp, "again@example.com", 2)
    new_path = link_path(messages[1])
    assert new_path != old_path
    client.cookies.clear()
    old = await client.get(old_path)
    assert old.status_code == 410 and "newer invitation email" in old.text
    assert (await client.get(new_path)).status_code == 200
    assert await Invitation.count() == 1


async def test_cancelled_link_is_gone_and_changes_nothing(client, authz, smtp):
    await _owner_with_account(client, authz)
    await _invite(client, "cancel@example.com", ["invoices"])
    path = link_path((await mail_to(smtp, "cancel@example.com"))[0])
    row = await _invitation("cancel@example.com")
    cancelled = await client.post(
        f"/account/users/invitations/{row['id']}/cancel", data={"_csrf_token": f.csrf(client)}, follow_redirects=False
    )
    assert cancelled.status_code == 303
    assert "cancel@example.com" not in (await client.get("/account/users")).text
    client.cookies.clear()
    page = await client.get(path)
    assert page.status_code == 410 and "cancelled" in page.text
    token = f.form_token((await client.get("/login")).text)
    answer = await client.post(path + "/register", data={"name": "X", "password": f.PASSWORD, "_csrf_token": token})
    assert answer.status_code == 410
    assert not await User.exists().where(User.email == "cancel@example.com")


async def test_expired_link_is_gone(client, authz, smtp):
    await _owner_with_account(client, authz)
    await _invite(client, "late@example.com")
    path = link_path((await mail_to(smtp, "late@example.com"))[0])
    row = await _invitation("late@example.com")
    await ActionToken.update({ActionToken.expires_at: datetime.now(UTC) - timedelta(seconds=1)}).where(
        ActionToken.id == row["token_id"]
    )
    client.cookies.clear()
    page = await client.get(path)
    assert page.status_code == 410 and "expired" in page.text
    listed = await Invitation.select(Invitation.status).where(Invitation.id == row["id"]).first()
    assert listed["status"] == "pending"


async def test_decline_closes_the_invitation(client, authz, smtp):
    _, account = await _owner_with_account(client, authz)
    await _invite(client, "no@example.com")
    path = link_path((await mail_to(smtp, "no@example.com"))[0])
    client.cookies.clear()
    page = await client.get(path)
    answer = await client.post(path + "/decline", data={"_csrf_token": f.form_token(page.text)})
    assert answer.status_code == 200 and "declined" in answer.text
    assert (await _invitation("no@example.com"))["status"] == "declined"
    again = await client.get(path)
    assert again.status_code == 410 and "declined" in again.text
    assert len(await audited("invitation.decline", account)) == 1


async def test_member_without_users_cannot_invite_page_or_api(client, authz, smtp):
    owner = await f.user(authz, "own@example.com")
    clerk = await f.user(authz, "clerk@example.com")
    account = await f.account(authz, "Shop", owner, {clerk: ["invoices"]})
    await f.login(client, "clerk@example.com")
    assert (await client.get("/account/users/invite")).status_code == 403
    assert (await _invite(client, "x@example.com")).status_code == 403
    api = await client.post(
        f"/api/v1/accounts/{account}/invitations",
        json={"email": "x@example.com"},
        headers={"x-csrftoken": f.csrf(client)},
    )
    assert api.status_code == 403
    assert await Invitation.count() == 0


async def test_user_manager_invites_only_with_permissions_they_hold(client, authz, smtp):
    owner = await f.user(authz, "own@example.com")
    manager = await f.user(authz, "hr@example.com")
    account = await f.account(authz, "Shop", owner, {manager: ["users", "tickets"]})
    await f.login(client, "hr@example.com")
    form = await client.get("/account/users/invite")
    assert "disabled" in checkbox(form.text, "invoices") and "disabled" not in checkbox(form.text, "tickets")
    refused = await _invite(client, "x@example.com", ["invoices"])
    assert refused.status_code == 403 and "Invoices" in refused.text
    ok = await _invite(client, "y@example.com", ["tickets"])
    assert ok.status_code == 303
    row = await _invitation("y@example.com")
    assert row["invited_by"] == manager and row["account"] == account
    assert await Invitation.count() == 1


async def test_htmx_invite_redirects_and_shows_errors_in_place(client, authz, smtp):
    await _owner_with_account(client, authz)
    hx = {"hx-request": "true", "hx-target": "main"}
    bad = await _invite(client, "nope", headers=hx)
    assert bad.status_code == 422 and "<html" not in bad.text and 'id="email-error"' in bad.text
    good = await _invite(client, "hx@example.com", headers=hx)
    assert good.status_code == 204 and good.headers["hx-redirect"] == "/account/users"


async def test_another_accounts_invitation_cannot_be_touched(client, authz, smtp):
    await _owner_with_account(client, authz)
    await _invite(client, "theirs@example.com")
    row = await _invitation("theirs@example.com")
    other = await f.user(authz, "other@example.com")
    await f.account(authz, "Other", other)
    await f.login(client, "other@example.com")
    for action in ("resend", "cancel"):
        answer = await client.post(
            f"/account/users/invitations/{row['id']}/{action}", data={"_csrf_token": f.csrf(client)}
        )
        assert answer.status_code == 404, action
    api = await client.delete(
        f"/api/v1/accounts/{row['account']}/invitations/{row['id']}", headers={"x-csrftoken": f.csrf(client)}
    )
    assert api.status_code == 403
    assert (await _invitation("theirs@example.com"))["status"] == "pending"


async def test_api_invite_list_resend_cancel_and_accept(client, authz, smtp):
    _owner, account = await _owner_with_account(client, authz)
    headers = {"x-csrftoken": f.csrf(client)}
    created = await client.post(
        f"/api/v1/accounts/{account}/invitations",
        json={"email": "api@example.com", "permissions": ["emails"]},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["email"] == "api@example.com" and body["permissions"] == ["emails"] and "token" not in body
    dupe = await client.post(
        f"/api/v1/accounts/{account}/invitations", json={"email": "api@example.com"}, headers=headers
    )
    assert dupe.status_code == 422 and "email" in dupe.json()["errors"]
    listed = (await client.get(f"/api/v1/accounts/{account}/invitations")).json()
    assert [i["email"] for i in listed] == ["api@example.com"]
    resent = await client.post(f"/api/v1/accounts/{account}/invitations/{body['id']}/resend", headers=headers)
    assert resent.status_code == 204
    messages = await mail_to(smtp, "api@example.com", 2)
    secret = link_path(messages[1]).rsplit("/", 1)[1]
    invitee = await f.user(authz, "api@example.com")
    client.cookies.clear()
    await client.get("/login")
    await client.post(
        "/api/v1/auth/login",
        json={"email": "api@example.com", "password": f.PASSWORD},
        headers={"x-csrftoken": f.csrf(client)},
    )
    accepted = await client.post(
        "/api/v1/invitations/accept", json={"token": secret}, headers={"x-csrftoken": f.csrf(client)}
    )
    assert accepted.status_code == 200 and accepted.json() == {"account_id": account}
    assert accounts.permissions_of(authz, invitee, account) == ["emails"]
    again = await client.post(
        "/api/v1/invitations/accept", json={"token": secret}, headers={"x-csrftoken": f.csrf(client)}
    )
    assert again.status_code == 410
