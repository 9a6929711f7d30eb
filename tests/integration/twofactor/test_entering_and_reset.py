"""Two-factor when entering a requiring account while logged in, and the staff reset (real HTTP, real SMTP)."""

from __future__ import annotations

import json
import re
from typing import Any

import factories as f

from panel.core.audit.tables import AuditEvent
from panel.core.twofactor import services

from .test_twofactor import _code, _enrol, _secret


def _text(message: Any) -> str:
    part = message.get_body(preferencelist=("plain",))
    return str(part.get_content())


async def _mail_to(smtp: Any, email: str) -> Any:
    for _ in range(3):
        found = [m for m in await smtp.wait_for(1) if m["To"] == email]
        if found:
            return found[-1]
    raise AssertionError(f"no email to {email}")


async def _switch(client: Any, account_id: int) -> Any:
    return await f.post_form(client, "/accounts/switch", {"account_id": account_id, "next": "/"})


async def _current_account(client: Any) -> str:
    answer = await client.get("/")
    assert answer.status_code == 200, answer.text
    return answer.text


async def test_invited_and_switching_member_enrols_before_entering(client: Any, authz: Any, smtp: Any) -> None:
    owner = await f.user(authz, "olga@example.com")
    max_id = await f.user(authz, "max@example.com")
    requiring = await f.account(authz, "Olga Hosting", owner)
    await f.account(authz, "Max Own", max_id)
    # the owner invites max, turns two-factor on and requires it
    await f.login_as(client, "olga@example.com")
    invited = await f.post_form(
        client, "/account/users/invite", {"email": "max@example.com", "permissions": "invoices"}
    )
    assert invited.status_code == 303, invited.text
    link = re.search(r"/invitations/[A-Za-z0-9_-]+", _text(await _mail_to(smtp, "max@example.com")))
    assert link
    await _enrol(client)
    assert (await f.post_form(client, f"/accounts/{requiring}/two-factor", {"required": "on"})).status_code == 303

    # max is logged in (no requiring account yet) and accepts: joined, but sent to enrolment
    await f.login_as(client, "max@example.com")
    accepted = await f.post_form(client, link.group(0) + "/accept")
    assert accepted.status_code == 303 and accepted.headers["location"] == "/me/two-factor"
    enrol_page = (await client.get("/me/two-factor")).text
    assert "Required by: Olga Hosting" in enrol_page
    assert await services.is_member(max_id, requiring)
    # nothing of the account is reachable: still working in his own account, the switch leads to enrolment
    assert "Max Own" in await _current_account(client)
    refused = await _switch(client, requiring)
    assert refused.status_code == 303 and refused.headers["location"] == "/me/two-factor"
    home = await _current_account(client)
    assert "Max Own" in home.split("<main")[-1] and "Olga Hosting" not in home.split("<main")[-1]

    # after enrolling, the switch works and the account's pages open
    assert (await f.post_form(client, "/me/two-factor/start")).status_code == 303
    secret = _secret((await client.get("/me/two-factor")).text)
    assert (await f.post_form(client, "/me/two-factor/confirm", {"code": _code(secret)})).status_code == 200
    entered = await _switch(client, requiring)
    assert entered.status_code == 303 and entered.headers["location"] == "/"
    assert "Olga Hosting" in (await _current_account(client)).split("<main")[-1]
    assert (await client.get("/invoices")).status_code == 200


async def test_new_user_registering_into_a_requiring_account_enrols_first(client: Any, authz: Any, smtp: Any) -> None:
    owner = await f.user(authz, "pia@example.com")
    requiring = await f.account(authz, "Pia Hosting", owner)
    await f.login_as(client, "pia@example.com")
    await f.post_form(client, "/account/users/invite", {"email": "neu@example.com", "permissions": "invoices"})
    link = re.search(r"/invitations/[A-Za-z0-9_-]+", _text(await _mail_to(smtp, "neu@example.com")))
    assert link
    await _enrol(client)
    await f.post_form(client, f"/accounts/{requiring}/two-factor", {"required": "on"})

    client.cookies.clear()
    await client.get(link.group(0))
    joined = await f.post_form(client, link.group(0) + "/register", {"name": "Neu", "password": f.PASSWORD})
    assert joined.status_code == 303 and joined.headers["location"] == "/login/two-factor"
    assert "panel_session" not in client.cookies
    secret = _secret((await client.get("/login/two-factor")).text)
    done = await f.post_form(client, "/login/two-factor", {"code": _code(secret)})
    assert done.status_code == 200 and "panel_session" in client.cookies
    assert (await client.get("/invoices")).status_code == 200


async def _events(action: str) -> list[dict[str, Any]]:
    rows = await AuditEvent.select().where(AuditEvent.action == action)
    for row in rows:
        if isinstance(row["details"], str):
            row["details"] = json.loads(row["details"])
    return rows


async def test_admin_resets_a_users_two_factor(client: Any, authz: Any, smtp: Any, staff_login: Any) -> None:
    ann = await f.user(authz, "ann@example.com")
    await f.account(authz, "Ann's", ann)
    await f.login_as(client, "ann@example.com")
    await _enrol(client)
    ann_cookies = dict(client.cookies)

    admin = await staff_login(client, authz, "admin")
    listed = await client.get("/admin/users")
    assert f'href="/admin/users/{ann}/two-factor"' in listed.text
    shown = await client.get(f"/admin/users/{ann}/two-factor")
    assert "is <strong>on</strong>" in shown.text and 'data-testid="reset-twofactor"' in shown.text
    done = await f.post_form(client, f"/admin/users/{ann}/two-factor/reset")
    assert done.status_code == 303
    assert "is <strong>off</strong>" in (await client.get(f"/admin/users/{ann}/two-factor")).text
    [event] = await _events("twofactor.reset")
    assert event["actor_user_id"] == admin and event["target"] == f"user:{ann}"
    assert event["details"]["sessions_ended"] >= 1
    notice = await _mail_to(smtp, "ann@example.com")
    assert notice["Subject"] == "Your two-factor authentication was turned off"
    assert "staff turned off the two-factor" in _text(notice)
    # a second reset has nothing to do
    assert (await f.post_form(client, f"/admin/users/{ann}/two-factor/reset")).status_code == 422

    # ann's session ended; the password alone logs her in now
    client.cookies.clear()
    for key, value in ann_cookies.items():
        client.cookies.set(key, value)
    assert (await client.get("/me", follow_redirects=False)).status_code in (302, 303, 401)
    answer = await f.login(client, "ann@example.com")
    assert answer.status_code == 303 and answer.headers["location"] != "/login/two-factor"
    assert "is <strong>off</strong>" in (await client.get("/me/two-factor")).text


async def test_support_staff_cannot_reset(client: Any, authz: Any, staff_login: Any) -> None:
    ann = await f.user(authz, "ann@example.com")
    await f.login_as(client, "ann@example.com")
    await _enrol(client)
    await staff_login(client, authz, "support")
    shown = await client.get(f"/admin/users/{ann}/two-factor")
    assert shown.status_code == 200 and 'data-testid="reset-twofactor"' not in shown.text
    assert (await f.post_form(client, f"/admin/users/{ann}/two-factor/reset")).status_code == 403
    assert await services.is_enabled(ann) and not await _events("twofactor.reset")


async def test_a_client_cannot_reset(client: Any, authz: Any) -> None:
    ann = await f.user(authz, "ann@example.com")
    bob = await f.user(authz, "bob@example.com")
    await f.account(authz, "Bob's", bob)
    await f.login_as(client, "ann@example.com")
    await _enrol(client)
    await f.login_as(client, "bob@example.com")
    assert (await f.post_form(client, f"/admin/users/{ann}/two-factor/reset")).status_code == 403
    assert (await client.get(f"/admin/users/{ann}/two-factor")).status_code == 403
    assert await services.is_enabled(ann)
