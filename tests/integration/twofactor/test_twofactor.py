"""Two-factor authentication through real HTTP: enrolment, the login step, recovery codes, the account rule."""

from __future__ import annotations

import re
from typing import Any

import factories as f

from panel.core.twofactor import services

PROOF_ERROR = "Enter your password or a current code."


def _secret(html: str) -> str:
    match = re.search(r'data-testid="secret">([A-Z2-7]+)<', html)
    assert match, html
    return match.group(1)


def _codes(html: str) -> list[str]:
    block = html.split('data-testid="recovery-codes"')[1].split("</ul>")[0]
    return re.findall(r"<code>([a-z0-9-]+)</code>", block)


def _code(secret: str, offset: int = 0) -> str:
    return services.code_at(secret, services.current_step() + offset)


async def _login_step(client: Any, email: str) -> Any:
    client.cookies.clear()
    answer = await f.login(client, email)
    assert answer.status_code == 303, answer.text
    return answer


async def _enrol(client: Any) -> tuple[str, list[str]]:
    assert (await f.post_form(client, "/me/two-factor/start")).status_code == 303
    secret = _secret((await client.get("/me/two-factor")).text)
    done = await f.post_form(client, "/me/two-factor/confirm", {"code": _code(secret)})
    assert done.status_code == 200, done.text
    return secret, _codes(done.text)


async def test_enrol_login_codes_recovery_and_turn_off(client: Any, authz: Any) -> None:
    owner = await f.user(authz, "ann@example.com")
    await f.account(authz, "Ann's", owner)
    await f.login_as(client, "ann@example.com")
    secret, codes = await _enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    page = (await client.get("/me/two-factor")).text
    assert "is <strong>on</strong>" in page and secret not in page  # the secret is never shown again

    # log out: the password alone no longer logs in
    await f.post_form(client, "/logout")
    answer = await _login_step(client, "ann@example.com")
    assert answer.headers["location"] == "/login/two-factor"
    assert "panel_session" not in client.cookies
    assert (await client.get("/me", follow_redirects=False)).status_code in (302, 303, 401)
    wrong = await f.post_form(
        client, "/login/two-factor", {"code": "000000" if _code(secret) != "000000" else "111111"}
    )
    assert wrong.status_code == 422 and services.WRONG_CODE in wrong.text
    # the code used at enrolment (same step) cannot be used again; the next step's code works once
    reused = await f.post_form(client, "/login/two-factor", {"code": _code(secret)})
    assert reused.status_code == 422
    fresh = _code(secret, 1)
    ok = await f.post_form(client, "/login/two-factor", {"code": fresh})
    assert ok.status_code == 303 and "panel_session" in client.cookies
    assert (await client.get("/me")).status_code == 200

    # a used code is refused at the next login
    await _login_step(client, "ann@example.com")
    assert (await f.post_form(client, "/login/two-factor", {"code": fresh})).status_code == 422
    # a recovery code works once
    assert (await f.post_form(client, "/login/two-factor", {"code": codes[0].upper()})).status_code == 303
    await _login_step(client, "ann@example.com")
    assert (await f.post_form(client, "/login/two-factor", {"code": codes[0]})).status_code == 422
    assert (await f.post_form(client, "/login/two-factor", {"code": codes[1]})).status_code == 303
    assert "Recovery codes left: 8" in (await client.get("/me/two-factor")).text

    # new recovery codes replace the old ones
    regenerated = await f.post_form(client, "/me/two-factor/recovery", {"proof": f.PASSWORD})
    new_codes = _codes(regenerated.text)
    assert len(new_codes) == 10 and codes[2] not in new_codes

    # turning off needs the password or a code
    refused = await f.post_form(client, "/me/two-factor/disable", {"proof": "not my password"})
    assert refused.status_code == 422 and PROOF_ERROR in refused.text
    assert (await f.post_form(client, "/me/two-factor/disable", {"proof": f.PASSWORD})).status_code == 303
    assert "is <strong>off</strong>" in (await client.get("/me/two-factor")).text
    answer = await _login_step(client, "ann@example.com")
    assert answer.headers["location"] != "/login/two-factor" and "panel_session" in client.cookies


async def test_wrong_codes_count_against_the_login_limit(client: Any, authz: Any, settings: Any) -> None:
    await f.user(authz, "bob@example.com")
    await f.login_as(client, "bob@example.com")
    secret, _ = await _enrol(client)
    await _login_step(client, "bob@example.com")
    bad = "000000" if _code(secret) != "000000" else "111111"
    for _ in range(settings.login_limit_account):
        assert (await f.post_form(client, "/login/two-factor", {"code": bad})).status_code == 422
    limited = await f.post_form(client, "/login/two-factor", {"code": _code(secret, 1)})
    assert limited.status_code == 429 and "Retry-After" in limited.headers


async def test_account_requirement_forces_enrolment(client: Any, authz: Any) -> None:
    owner = await f.user(authz, "olga@example.com")
    member = await f.user(authz, "max@example.com")
    account_id = await f.account(authz, "Olga's", owner, {member: ["invoices"]})
    await f.login_as(client, "max@example.com")
    member_cookies = dict(client.cookies)

    await f.login_as(client, "olga@example.com")
    refused = await f.post_form(client, f"/accounts/{account_id}/two-factor", {"required": "on"})
    assert refused.status_code == 422  # the owner must use two-factor first
    await _enrol(client)
    assert (await f.post_form(client, f"/accounts/{account_id}/two-factor", {"required": "on"})).status_code == 303
    assert "Members must use" in (await client.get(f"/accounts/{account_id}/two-factor")).text

    # the member's open session ended; the next login leads to enrolment, not into the account
    client.cookies.clear()
    for key, value in member_cookies.items():
        client.cookies.set(key, value)
    assert (await client.get("/invoices", follow_redirects=False)).status_code in (302, 303, 401)
    answer = await _login_step(client, "max@example.com")
    assert answer.headers["location"] == "/login/two-factor" and "panel_session" not in client.cookies
    enrol = await client.get("/login/two-factor")
    assert "Olga&#39;s requires two-factor" in enrol.text or "Olga's requires two-factor" in enrol.text
    secret = _secret(enrol.text)
    assert (await f.post_form(client, "/login/two-factor", {"code": "12345"})).status_code == 422
    done = await f.post_form(client, "/login/two-factor", {"code": _code(secret)})
    assert done.status_code == 200 and len(_codes(done.text)) == 10 and "panel_session" in client.cookies
    assert (await client.get("/invoices")).status_code == 200
    # while the account requires it, the member cannot turn it off
    kept = await f.post_form(client, "/me/two-factor/disable", {"proof": f.PASSWORD})
    assert kept.status_code == 422 and "requires two-factor" in kept.text


async def test_member_cannot_change_the_requirement(client: Any, authz: Any) -> None:
    owner = await f.user(authz, "pia@example.com")
    member = await f.user(authz, "sam@example.com")
    account_id = await f.account(authz, "Pia's", owner, {member: ["all"]})
    await f.login_as(client, "sam@example.com")
    await _enrol(client)
    answer = await f.post_form(client, f"/accounts/{account_id}/two-factor", {"required": "on"})
    assert answer.status_code == 403
    assert not await services.is_required(account_id)
    assert "<form" not in (await client.get(f"/accounts/{account_id}/two-factor")).text.split("<h1>")[1]


async def test_another_accounts_requirement_is_not_found(client: Any, authz: Any) -> None:
    owner = await f.user(authz, "quin@example.com")
    other = await f.user(authz, "rita@example.com")
    await f.account(authz, "Quin's", owner)
    theirs = await f.account(authz, "Rita's", other)
    await f.login_as(client, "quin@example.com")
    await _enrol(client)
    assert (await client.get(f"/accounts/{theirs}/two-factor")).status_code == 404
    assert (await f.post_form(client, f"/accounts/{theirs}/two-factor", {"required": "on"})).status_code == 404
    assert not await services.is_required(theirs)


async def test_api_calls_naming_a_requiring_account_need_two_factor(client: Any, authz: Any) -> None:
    owner = await f.user(authz, "olga@example.com")
    member = await f.user(authz, "max@example.com")
    account_id = await f.account(authz, "Olga's", owner, {member: ["invoices"]})
    other = await f.account(authz, "Max's own", member)
    await f.login_as(client, "max@example.com")
    made = await client.post("/api/v1/tokens", json={"name": "script"}, headers={"x-csrftoken": f.csrf(client)})
    assert made.status_code == 201, made.text
    bearer = {"authorization": f"Bearer {made.json()['token']}"}
    client.cookies.clear()
    assert (await client.get(f"/api/v1/accounts/{account_id}/invoices", headers=bearer)).status_code == 200

    await f.login_as(client, "olga@example.com")
    await _enrol(client)
    assert (await f.post_form(client, f"/accounts/{account_id}/two-factor", {"required": "on"})).status_code == 303
    client.cookies.clear()
    refused = await client.get(f"/api/v1/accounts/{account_id}/invoices", headers=bearer)
    assert refused.status_code == 403 and "requires two-factor" in refused.json()["detail"]
    assert (await client.get(f"/api/v1/accounts/{other}/invoices", headers=bearer)).status_code == 200

    answer = await _login_step(client, "max@example.com")  # enrols at his next login
    assert answer.headers["location"] == "/login/two-factor"
    secret = _secret((await client.get("/login/two-factor")).text)
    assert (await f.post_form(client, "/login/two-factor", {"code": _code(secret)})).status_code == 200
    client.cookies.clear()
    assert (await client.get(f"/api/v1/accounts/{account_id}/invoices", headers=bearer)).status_code == 200
