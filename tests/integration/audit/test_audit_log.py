"""The audit log: what is recorded, the admin and per-account pages, filters, paging and the API."""

from __future__ import annotations

from datetime import UTC, datetime

import factories as f
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from panel.core import db
from panel.core.accounts import services as accounts
from panel.core.audit.services import record
from panel.core.audit.tables import AuditEvent

Client = AsyncTestClient[Litestar]


async def login_as(client: Client, email: str, keep_event: bool = False) -> None:
    client.cookies.clear()
    answer = await f.login(client, email)
    assert answer.status_code in (302, 303), answer.text
    if not keep_event:  # most tests look at other events
        await AuditEvent.delete().where(AuditEvent.action == "auth.login")


async def actions(**where: object) -> list[str]:
    query = AuditEvent.select(AuditEvent.action).order_by(AuditEvent.id)
    for column, value in where.items():
        query = query.where(getattr(AuditEvent, column) == value)
    return [r["action"] for r in await query]


def shown(html: str) -> list[str]:
    """The actions listed in a log page, top to bottom."""
    return [part.split('"')[0] for part in html.split('data-action="')[1:]]


async def two_accounts(authz) -> tuple[int, int, int, int]:
    alice = await f.user(authz, "alice@example.com")
    bob = await f.user(authz, "bob@example.com")
    a = await f.account(authz, "Alpha", alice)
    b = await f.account(authz, "Beta", bob)
    return alice, bob, a, b


# -- what is recorded -------------------------------------------------------------------


async def test_suspension_and_unsuspension_are_recorded_with_who_did_it(client, authz):
    staff = await f.user(authz, "billing@example.com", staff="billing")
    owner = await f.user(authz, "o@example.com")
    acct = await f.account(authz, "Acme", owner)
    by = {"actor": staff, "impersonator": None, "ip": "203.0.113.9"}

    await accounts.suspend(authz, acct, by=by)
    await accounts.unsuspend(authz, acct, by=by)

    rows = await AuditEvent.select().where(AuditEvent.account_id == acct).order_by(AuditEvent.id)
    assert [r["action"] for r in rows] == ["account.create", "account.suspend", "account.unsuspend"]
    suspend, unsuspend = rows[-2], rows[-1]
    assert (suspend["actor_user_id"], suspend["ip"], suspend["target"]) == (staff, "203.0.113.9", f"account:{acct}")
    assert unsuspend["actor_user_id"] == staff
    assert rows[0]["actor_user_id"] is None  # created by the factory: the panel itself


async def test_member_added_is_recorded_with_permissions(client, authz):
    owner = await f.user(authz, "o@example.com")
    clerk = await f.user(authz, "clerk@example.com")
    acct = await f.account(authz, "Shop", owner, {clerk: ["invoices", "domains"]})

    [added] = await AuditEvent.select().where(AuditEvent.action == "member.add").output(load_json=True)

    assert (added["account_id"], added["target"]) == (acct, f"user:{clerk}")
    assert added["details"] == {"permissions": {"after": ["domains", "invoices"]}}


async def test_login_and_logout_are_recorded(client, authz):
    owner = await f.user(authz, "solo@example.com")
    acct = await f.account(authz, "Solo", owner)

    await login_as(client, "solo@example.com", keep_event=True)
    await client.post("/logout", headers={"x-csrftoken": f.csrf(client)})

    rows = await AuditEvent.select().where(AuditEvent.action.is_in(["auth.login", "auth.logout"]))
    assert [(r["action"], r["actor_user_id"], r["account_id"]) for r in rows] == [
        ("auth.login", owner, acct),
        ("auth.logout", owner, acct),
    ]
    assert all(r["ip"] for r in rows)


async def test_api_logout_is_recorded(client, authz):
    owner = await f.user(authz, "api@example.com")
    acct = await f.account(authz, "Api", owner)
    r = await client.post("/api/v1/auth/login", json={"email": "api@example.com", "password": f.PASSWORD})
    assert r.status_code == 200

    r = await client.post("/api/v1/auth/logout", headers={"x-csrftoken": await f.get_csrf(client)})

    assert r.status_code == 204
    [row] = await AuditEvent.select().where(AuditEvent.action == "auth.logout")
    assert (row["actor_user_id"], row["account_id"], row["summary"]) == (owner, acct, "Logged out (API).")
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_failed_login_is_not_recorded(client, authz):
    await f.user(authz, "x@example.com")
    await f.login(client, "x@example.com", "wrong password!")
    assert await actions(action="auth.login") == []


async def test_an_event_rolls_back_with_its_transaction(client, authz):
    with pytest.raises(RuntimeError):
        async with db.write_transaction():
            await record("probe.thing", actor=None, account_id=None, summary="never happened")
            raise RuntimeError("boom")
    assert await actions(action="probe.thing") == []


async def test_record_refuses_a_malformed_action(client):
    with pytest.raises(ValueError, match="lower-case"):
        await record("Account Suspend", actor=None, account_id=None, summary="x")


# -- the admin page -----------------------------------------------------------------------


async def test_admin_and_support_see_the_whole_log_billing_and_clients_do_not(client, authz):
    await two_accounts(authz)
    await f.user(authz, "boss@example.com", staff="admin")
    await f.user(authz, "support@example.com", staff="support")
    await f.user(authz, "billing@example.com", staff="billing")

    for email in ("boss@example.com", "support@example.com"):
        await login_as(client, email)
        page = await client.get("/admin/audit")
        assert page.status_code == 200
        assert 'href="/admin/audit"' in page.text  # nav item
        assert "Alpha" in page.text and "Beta" in page.text
    for email in ("billing@example.com", "alice@example.com"):
        await login_as(client, email)
        assert (await client.get("/admin/audit")).status_code == 403
        assert (await client.get("/api/v1/admin/audit")).status_code == 403
    assert 'href="/admin/audit"' not in (await client.get("/")).text


async def _seed(authz) -> dict[str, int]:
    staff = await f.user(authz, "support@example.com", staff="support")
    alice, bob, a, b = await two_accounts(authz)
    await AuditEvent.delete(force=True)
    ids = {
        "a1": await record("account.suspend", actor=staff, account_id=a, summary="s"),
        "a2": await record("account.unsuspend", actor=staff, account_id=a, summary="u"),
        "b1": await record("member.add", actor=bob, account_id=b, target=f"user:{alice}", summary="m"),
        "b2": await record("member_x.add", actor=bob, account_id=b, summary="underscore"),
        "b3": await record("memberax.add", actor=bob, account_id=b, summary="like-wildcard bait"),
        "i1": await record("probe.rename", actor=alice, impersonator=staff, account_id=a, summary="r"),
        "p1": await record("platform.thing", actor=None, account_id=None, summary="p"),
    }
    await AuditEvent.update({AuditEvent.at: datetime(2026, 1, 10, 12, tzinfo=UTC)}).where(
        AuditEvent.id.is_in([ids["a1"], ids["b1"]])
    )
    await AuditEvent.update({AuditEvent.at: datetime(2026, 2, 1, tzinfo=UTC)}).where(AuditEvent.id == ids["a2"])
    return {**ids, "a": a, "b": b, "alice": alice}


async def test_admin_filters_return_the_right_rows(client, authz):
    ids = await _seed(authz)
    await f.user(authz, "boss@example.com", staff="admin")
    await login_as(client, "boss@example.com")

    async def listed(**params: str) -> list[str]:
        page = await client.get("/admin/audit", params=params)
        assert page.status_code == 200, page.text
        return shown(page.text)

    assert await listed() == [
        "platform.thing",
        "probe.rename",
        "memberax.add",
        "member_x.add",
        "member.add",
        "account.unsuspend",
        "account.suspend",
    ]
    assert await listed(account_id=str(ids["a"])) == ["probe.rename", "account.unsuspend", "account.suspend"]
    assert await listed(action="account.") == ["account.unsuspend", "account.suspend"]
    assert await listed(action="member_") == ["member_x.add"]  # '_' is not a wildcard
    assert await listed(action="MEMBER.") == ["member.add"]
    # the actor filter matches the actor or the staff member impersonating them
    assert await listed(actor="SUPPORT@") == ["probe.rename", "account.unsuspend", "account.suspend"]
    assert await listed(actor="bob@example.com", action="member.") == ["member.add"]
    assert await listed(since="2026-01-10", until="2026-01-10") == ["member.add", "account.suspend"]
    assert await listed(since="2026-01-11", until="2026-02-01") == ["account.unsuspend"]
    assert await listed(actor="nobody@example.com") == []
    # user targets and account names are shown by name
    page = (await client.get("/admin/audit", params={"action": "member.add"})).text
    assert "alice@example.com" in page and "Beta" in page


async def test_actor_filter_takes_emails_with_underscores_and_wildcards_literally(client, authz):
    await f.user(authz, "boss@example.com", staff="admin")
    first_last = await f.user(authz, "first_last@example.com")
    await record("probe.one", actor=first_last, account_id=None, summary="x")
    await login_as(client, "boss@example.com")

    assert shown((await client.get("/admin/audit", params={"actor": "first_last@"})).text) == ["probe.one"]
    assert shown((await client.get("/admin/audit", params={"actor": "%"})).text) == ["probe.one"]  # '%' is dropped
    answer = await client.get("/admin/audit", params={"actor": "first\\"})
    assert answer.status_code == 200 and shown(answer.text) == ["probe.one"]


async def test_admin_log_pages_by_keyset(client, authz):
    await f.user(authz, "boss@example.com", staff="admin")
    await login_as(client, "boss@example.com")
    for n in range(60):
        await record("probe.tick", actor=None, account_id=None, summary=f"tick {n}")

    first = await client.get("/admin/audit", params={"action": "probe."})
    assert len(shown(first.text)) == 50
    next_url = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    assert "action=probe." in next_url and "before=" in next_url
    second = await client.get(next_url)
    assert len(shown(second.text)) == 10 and 'rel="next"' not in second.text
    assert "tick 0" in second.text and "tick 59" in first.text and "tick 59" not in second.text


async def test_bad_filters_are_refused_beside_their_fields(client, authz):
    await _seed(authz)
    await f.user(authz, "boss@example.com", staff="admin")
    await login_as(client, "boss@example.com")

    page = await client.get(
        "/admin/audit", params={"account_id": "abc", "since": "yesterday", "action": "x%", "actor": "bob"}
    )

    assert page.status_code == 422
    assert 'id="account_id-error" class="field-error">Enter an account number.<' in page.text
    assert 'id="since-error" class="field-error">Enter a date as YYYY-MM-DD.<' in page.text
    assert 'aria-invalid="true" aria-describedby="action-error"' in page.text
    assert 'value="bob"' in page.text  # what was typed stays in the form
    assert shown(page.text) == []
    backwards = await client.get("/admin/audit", params={"since": "2026-02-01", "until": "2026-01-01"})
    assert backwards.status_code == 422 and "The end date is before the start date." in backwards.text


async def test_htmx_filter_swaps_only_the_results(client, authz):
    await _seed(authz)
    await f.user(authz, "boss@example.com", staff="admin")
    await login_as(client, "boss@example.com")
    full = await client.get("/admin/audit")
    assert 'hx-get="/admin/audit"' in full.text and 'hx-target="#audit-results"' in full.text

    headers = {"hx-request": "true", "hx-target": "audit-results"}
    frag = await client.get("/admin/audit", params={"action": "account."}, headers=headers)
    assert frag.status_code == 200 and "<html" not in frag.text and "<form" not in frag.text
    assert shown(frag.text) == ["account.unsuspend", "account.suspend"]

    bad = await client.get("/admin/audit", params={"account_id": "x"}, headers=headers)
    assert bad.status_code == 422 and "<html" not in bad.text
    assert '<p id="account_id-error" class="field-error" hx-swap-oob="true">Enter an account number.</p>' in bad.text

    nav = await client.get("/admin/audit", headers={"hx-request": "true", "hx-target": "main"})
    assert "<html" not in nav.text and "<form" in nav.text  # side navigation: page without layout


# -- the per-account page --------------------------------------------------------------------


async def test_account_page_shows_only_this_accounts_events(client, authz):
    ids = await _seed(authz)
    await login_as(client, "alice@example.com")

    page = await client.get("/account/audit")

    assert page.status_code == 200
    assert 'href="/account/audit"' in page.text  # the owner sees the nav item
    assert shown(page.text) == ["probe.rename", "account.unsuspend", "account.suspend"]
    assert "Support staff support@example.com (impersonating)" in page.text
    assert "underscore" not in page.text and "like-wildcard bait" not in page.text  # Beta's
    # filters apply inside the account only; another account's id cannot be asked for
    assert shown((await client.get("/account/audit", params={"action": "account.u"})).text) == ["account.unsuspend"]
    sneaky = await client.get("/account/audit", params={"account_id": str(ids["b"])})
    assert "member.add" not in shown(sneaky.text)


async def test_member_without_full_rights_cannot_see_the_log(client, authz):
    owner = await f.user(authz, "own@example.com")
    clerk = await f.user(authz, "clerk@example.com")
    acct = await f.account(authz, "Shop", owner, {clerk: ["invoices", "users"]})
    await login_as(client, "clerk@example.com")

    assert (await client.get("/account/audit")).status_code == 403
    assert (await client.get(f"/api/v1/accounts/{acct}/audit")).status_code == 403
    assert 'href="/account/audit"' not in (await client.get("/")).text


# -- the API ----------------------------------------------------------------------------------


async def test_api_lists_the_platform_log_for_staff(client, authz):
    ids = await _seed(authz)
    await f.user(authz, "boss@example.com", staff="admin")
    await login_as(client, "boss@example.com")

    answer = await client.get("/api/v1/admin/audit", params={"account_id": str(ids["a"]), "limit": "2"})

    assert answer.status_code == 200
    body = answer.json()
    assert [e["action"] for e in body["events"]] == ["probe.rename", "account.unsuspend"]
    assert body["next_before"] == body["events"][-1]["id"]
    rename = body["events"][0]
    assert rename["actor_email"] == "alice@example.com"
    assert rename["impersonator_email"] == "support@example.com" and rename["impersonator_staff"] == "support"
    more = await client.get("/api/v1/admin/audit", params={"account_id": str(ids["a"]), "before": body["next_before"]})
    assert [e["action"] for e in more.json()["events"]] == ["account.suspend"]
    assert more.json()["next_before"] is None
    bad = await client.get("/api/v1/admin/audit", params={"since": "soon"})
    assert bad.status_code == 422 and bad.json()["errors"] == {"since": "Enter a date as YYYY-MM-DD."}


async def test_api_account_log_never_leaks_another_account(client, authz):
    ids = await _seed(authz)
    await login_as(client, "alice@example.com")

    mine = await client.get(f"/api/v1/accounts/{ids['a']}/audit")
    theirs = await client.get(f"/api/v1/accounts/{ids['b']}/audit")
    forged = await client.get(f"/api/v1/accounts/{ids['a']}/audit", params={"account_id": str(ids["b"])})

    assert mine.status_code == 200
    assert [e["action"] for e in mine.json()["events"]] == ["probe.rename", "account.unsuspend", "account.suspend"]
    assert {e["account_id"] for e in mine.json()["events"]} == {ids["a"]}
    assert theirs.status_code == 403 and "events" not in theirs.json()
    assert {e["account_id"] for e in forged.json()["events"]} == {ids["a"]}
