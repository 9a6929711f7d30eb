"""Account admins acting on a member's user: make or remove admin, send a password reset, change the image.

Each is a rules-engine action on `user:<id>` (set_role_admin, reset_password,
update_photo): allowed to the owner and to perm:all members, refused (403, nothing
changed, the control hidden) to a member without it, 404 for another account's user.
"""

from __future__ import annotations

import struct
import zlib

import factories as f

from panel.core.accounts import services as accounts
from panel.core.auth.tables import User

from .checks import audited, checkbox
from .inbox import link_path, mail_to


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png(width: int = 2, height: int = 2) -> bytes:
    """A real 2x2 RGB PNG."""
    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    head = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    return head + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b"")


async def _shop(authz):
    """An account with its owner, a perm:all admin, a user manager (perm:users) and a clerk; plus another account."""
    owner = await f.user(authz, "own@example.com")
    admin = await f.user(authz, "admin@example.com")
    hr = await f.user(authz, "hr@example.com")
    clerk = await f.user(authz, "clerk@example.com")
    account = await f.account(authz, "Shop", owner, {admin: ["all"], hr: ["users", "tickets"], clerk: ["tickets"]})
    stranger = await f.user(authz, "stranger@example.com")
    await f.account(authz, "Elsewhere", stranger)
    return account, {"owner": owner, "admin": admin, "hr": hr, "clerk": clerk, "stranger": stranger}


async def _save(client, user_id, permissions):
    return await f.post_form(client, f"/account/users/{user_id}", [("permissions", p) for p in permissions])


async def _image_of(user_id: int) -> str:
    row = await User.select(User.image).where(User.id == user_id).first()
    return row["image"]


def _api(client):
    return {"x-csrftoken": f.csrf(client)}


async def test_owner_and_admin_make_and_remove_admins(client, authz):
    account, ids = await _shop(authz)
    clerk = ids["clerk"]
    await f.login_as(client, "own@example.com")
    form = await client.get(f"/account/users/{clerk}")
    assert "disabled" not in checkbox(form.text, "all") and 'data-testid="locked-all"' not in form.text
    assert (await _save(client, clerk, ["tickets", "all"])).status_code == 303
    assert accounts.permissions_of(authz, clerk, account) == ["all", "tickets"]
    [event] = await audited("member.permissions.update", account)
    assert event["details"]["permissions"] == {"before": ["tickets"], "after": ["all", "tickets"]}

    # a perm:all member takes it away again through the API
    await f.login_as(client, "admin@example.com")
    answer = await client.put(
        f"/api/v1/accounts/{account}/members/{clerk}", json={"permissions": ["tickets"]}, headers=_api(client)
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["permissions"] == ["tickets"]
    assert accounts.permissions_of(authz, clerk, account) == ["tickets"]
    # ... and gives it through the form
    assert (await _save(client, clerk, ["all"])).status_code == 303
    assert accounts.permissions_of(authz, clerk, account) == ["all"]
    # inviting as an admin is making an admin too: allowed here
    invited = await client.post(
        f"/api/v1/accounts/{account}/invitations",
        json={"email": "new-admin@example.com", "permissions": ["all"]},
        headers=_api(client),
    )
    assert invited.status_code == 201, invited.text


async def test_admin_change_refused_by_the_rules_engine_saves_nothing(client, authz, staff_login):
    """Staff acting as the owner may change permissions, but never make or remove an admin (mode:impersonation)."""
    account, ids = await _shop(authz)
    clerk, admin = ids["clerk"], ids["admin"]
    await staff_login(client, authz, "support")
    started = await f.post_form(client, f"/admin/users/{ids['owner']}/impersonate")
    assert started.status_code == 303, started.text

    form = await client.get(f"/account/users/{clerk}")
    box = checkbox(form.text, "all")
    assert "disabled" in box and "checked" not in box
    assert 'data-testid="locked-all"' in form.text
    assert "You can only give or take away permissions you hold yourself" not in form.text
    # other permissions still work
    assert (await _save(client, clerk, ["tickets", "invoices"])).status_code == 303
    assert accounts.permissions_of(authz, clerk, account) == ["invoices", "tickets"]
    # giving Everything: refused beside the box, nothing saved, what was typed kept
    refused = await _save(client, clerk, ["tickets", "all", "quotes"])
    assert refused.status_code == 403
    assert 'id="permissions-all-error"' in refused.text
    assert "checked" in checkbox(refused.text, "quotes") and "checked" not in checkbox(refused.text, "all")
    assert accounts.permissions_of(authz, clerk, account) == ["invoices", "tickets"]
    # the admin's Everything box is kept (hidden field) and cannot be taken away
    admin_form = await client.get(f"/account/users/{admin}")
    assert '<input type="hidden" name="permissions" value="all">' in admin_form.text
    api = await client.put(
        f"/api/v1/accounts/{account}/members/{admin}", json={"permissions": ["tickets"]}, headers=_api(client)
    )
    assert api.status_code == 403
    assert api.json()["errors"] == {"permissions.all": api.json()["detail"]} and "admin" in api.json()["detail"]
    assert accounts.permissions_of(authz, admin, account) == ["all"]
    # nor invited as one
    invite = await f.post_form(client, "/account/users/invite", {"email": "x@example.com", "permissions": "all"})
    assert invite.status_code == 403 and 'id="permissions-all-error"' in invite.text
    assert len(await audited("invitation.create", account)) == 0


async def test_reset_password_sends_the_normal_link_and_is_audited(client, authz, smtp):
    account, ids = await _shop(authz)
    clerk = ids["clerk"]
    await f.login_as(client, "own@example.com")
    page = await client.get(f"/account/users/{clerk}")
    assert 'data-testid="reset-password"' in page.text
    done = await f.post_form(client, f"/account/users/{clerk}/reset-password")
    assert done.status_code == 303 and done.headers["location"] == f"/account/users/{clerk}?done=reset"
    assert "We emailed clerk@example.com a link" in (await client.get(done.headers["location"])).text
    [message] = await mail_to(smtp, "clerk@example.com")
    assert message["Subject"] == "Set a new password"
    path = link_path(message, "password/reset")
    [event] = await audited("member.password_reset", account)
    assert event["actor"] == ids["owner"] and event["target"] == f"user:{clerk}"

    # a perm:all member may too (API); the earlier link stops working, the new one sets the password
    await f.login_as(client, "admin@example.com")
    api = await client.post(f"/api/v1/accounts/{account}/members/{clerk}/reset-password", headers=_api(client))
    assert api.status_code == 202 and api.json()["email"] == "clerk@example.com"
    second = (await mail_to(smtp, "clerk@example.com", 2))[-1]
    assert (await client.get(path)).status_code == 410
    new_path = link_path(second, "password/reset")
    client.cookies.clear()
    await client.get(new_path)
    reset = await f.post_form(
        client, new_path, {"password": "a brand new passphrase", "confirm_password": "a brand new passphrase"}
    )
    assert reset.status_code in (200, 303), reset.text
    assert (await f.login(client, "clerk@example.com", "a brand new passphrase")).status_code == 303


async def test_reset_password_refused_hidden_and_404(client, authz, smtp):
    account, ids = await _shop(authz)
    clerk = ids["clerk"]
    await f.login_as(client, "hr@example.com")  # may edit members, not reset their passwords
    page = await client.get(f"/account/users/{clerk}")
    assert page.status_code == 200 and 'data-testid="reset-password"' not in page.text
    assert (await f.post_form(client, f"/account/users/{clerk}/reset-password")).status_code == 403
    api = await client.post(f"/api/v1/accounts/{account}/members/{clerk}/reset-password", headers=_api(client))
    assert api.status_code == 403
    await f.login_as(client, "own@example.com")
    assert (await f.post_form(client, f"/account/users/{ids['stranger']}/reset-password")).status_code == 404
    assert (await f.post_form(client, f"/account/users/{ids['owner']}/reset-password")).status_code == 400
    assert await audited("member.password_reset") == []
    assert not [m for m in smtp.messages if m["Subject"] == "Set a new password"]


async def test_change_a_members_image(client, authz):
    account, ids = await _shop(authz)
    clerk = ids["clerk"]
    await f.login_as(client, "admin@example.com")  # perm:all
    page = await client.get(f"/account/users/{clerk}")
    assert 'data-testid="member-image"' in page.text
    uploaded = await client.post(
        f"/account/users/{clerk}/image",
        data={"_csrf_token": f.csrf(client)},
        files={"image": ("me.png", png(), "image/png")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303, uploaded.text
    assert (await _image_of(clerk)).endswith(".png")
    assert uploaded.headers["location"] == f"/account/users/{clerk}?done=image"
    shown = await client.get(uploaded.headers["location"])
    assert "The profile image of clerk@example.com was saved" in shown.text
    assert 'data-testid="member-image-current"' in shown.text
    [event] = await audited("user.image_set", account)
    assert event["actor"] == ids["admin"] and event["summary"] == "Set the profile image of clerk@example.com."
    # the same checks as /me/image: a renamed text file is refused beside the field
    bad = await client.post(
        f"/account/users/{clerk}/image",
        data={"_csrf_token": f.csrf(client)},
        files={"image": ("evil.png", b"<script>alert(1)</script>", "image/png")},
        follow_redirects=False,
    )
    assert bad.status_code == 422 and 'id="image-error"' in bad.text and "not a PNG" in bad.text
    assert (await _image_of(clerk)).endswith(".png")
    # the owner removes it through the API
    await f.login_as(client, "own@example.com")
    removed = await client.delete(f"/api/v1/accounts/{account}/members/{clerk}/image", headers=_api(client))
    assert removed.status_code == 204
    assert await _image_of(clerk) == ""
    assert len(await audited("user.image_remove", account)) == 1


async def test_change_image_refused_hidden_and_404(client, authz):
    account, ids = await _shop(authz)
    clerk = ids["clerk"]
    await f.login_as(client, "hr@example.com")
    page = await client.get(f"/account/users/{clerk}")
    assert 'data-testid="member-image"' not in page.text and 'data-testid="member-user"' not in page.text
    refused = await client.post(
        f"/account/users/{clerk}/image",
        data={"_csrf_token": f.csrf(client)},
        files={"image": ("me.png", png(), "image/png")},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    api = await client.delete(f"/api/v1/accounts/{account}/members/{clerk}/image", headers=_api(client))
    assert api.status_code == 403
    assert await _image_of(clerk) == ""
    await f.login_as(client, "own@example.com")
    other = await client.post(
        f"/account/users/{ids['stranger']}/image",
        data={"_csrf_token": f.csrf(client)},
        files={"image": ("me.png", png(), "image/png")},
        follow_redirects=False,
    )
    assert other.status_code == 404
    assert await _image_of(ids["stranger"]) == ""
    assert await audited("user.image_set") == []
