"""Seeing and ending one's own sessions; nobody else's."""

from __future__ import annotations

import factories as f
from profile_support import api_headers, login_as, other_browser, post_form

from panel.core.audit.tables import AuditEvent
from panel.core.auth.tables import Session
from panel.core.profile.sessions import short_agent

CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


async def _ada(authz, email="ada@example.com"):
    user_id = await f.user(authz, email)
    await f.account(authz, f"{email} Ltd", user_id)
    return user_id


async def _session_ids(user_id):
    return sorted(r["id"] for r in await Session.select(Session.id).where(Session.user == user_id))


async def test_list_marks_this_session_and_shortens_the_browser(client, authz):
    await _ada(authz)
    await login_as(client, "ada@example.com")
    laptop = await other_browser(client, "ada@example.com", agent=CHROME_MAC)
    mine = await Session.select(Session.id).where(Session.user_agent != CHROME_MAC).first()

    page = await client.get("/me/sessions")

    assert page.status_code == 200
    rows = page.text.split('data-session-id="')[1:]
    assert len(rows) == 2
    assert rows[0].startswith(f'{mine["id"]}"') and "this session" in rows[0]  # listed first
    assert "Chrome on macOS" in rows[1] and "this session" not in rows[1]
    assert f'title="{CHROME_MAC}"' in rows[1]  # the whole header on hover
    assert "End every other session" in page.text
    assert (await laptop.get("/me/sessions")).text.count("this session") == 1


async def test_ending_one_session_logs_that_browser_out_at_its_next_request(client, authz):
    ada = await _ada(authz)
    await login_as(client, "ada@example.com")
    laptop = await other_browser(client, "ada@example.com", agent=CHROME_MAC)
    other = await Session.select(Session.id).where(Session.user_agent == CHROME_MAC).first()

    ended = await post_form(client, f"/me/sessions/{other['id']}/end")

    assert ended.status_code == 303 and ended.headers["location"] == "/me/sessions?saved=ended"
    assert (await laptop.get("/me", follow_redirects=False)).status_code in (302, 303)
    assert (await client.get("/me")).status_code == 200
    assert len(await _session_ids(ada)) == 1
    [event] = await AuditEvent.select().where(AuditEvent.action == "user.session_end")
    assert event["actor_user_id"] == ada and event["target"] == f"user:{ada}"


async def test_another_users_session_cannot_be_ended(client, authz):
    await _ada(authz)
    bob = await _ada(authz, "bob@example.com")
    bobs_browser = await other_browser(client, "bob@example.com")
    [bobs_session] = await _session_ids(bob)
    await login_as(client, "ada@example.com")

    page = await post_form(client, f"/me/sessions/{bobs_session}/end")
    api = await client.delete(f"/api/v1/me/sessions/{bobs_session}", headers=api_headers(client))

    assert page.status_code == 404 and api.status_code == 404
    assert await _session_ids(bob) == [bobs_session]
    assert (await bobs_browser.get("/me")).status_code == 200
    assert f'data-session-id="{bobs_session}"' not in (await client.get("/me/sessions")).text
    assert all(s["id"] != bobs_session for s in (await client.get("/api/v1/me/sessions")).json())
    assert await AuditEvent.count().where(AuditEvent.action.like("user.session%")) == 0


async def test_end_every_other_session(client, authz):
    ada = await _ada(authz)
    await login_as(client, "ada@example.com")
    laptop = await other_browser(client, "ada@example.com")
    phone = await other_browser(client, "ada@example.com")

    ended = await post_form(client, "/me/sessions/end-others")

    assert ended.status_code == 303
    assert "Every other session was ended." in (await client.get(ended.headers["location"])).text
    for browser in (laptop, phone):
        assert (await browser.get("/me", follow_redirects=False)).status_code in (302, 303)
    assert len(await _session_ids(ada)) == 1
    [event] = await AuditEvent.select().where(AuditEvent.action == "user.sessions_end").output(load_json=True)
    assert event["details"] == {"sessions_ended": 2}


async def test_ending_this_session_is_logging_out(client, authz):
    ada = await _ada(authz)
    await login_as(client, "ada@example.com")
    [mine] = await _session_ids(ada)

    ended = await post_form(client, f"/me/sessions/{mine}/end")

    assert ended.status_code == 303 and ended.headers["location"] == "/login"
    assert await _session_ids(ada) == []


async def test_a_staff_impersonation_session_is_not_listed_and_cannot_be_ended_alone(client, authz):
    ada = await _ada(authz)
    await f.user(authz, "support@example.com", staff="support")
    await login_as(client, "ada@example.com")
    support = await other_browser(client, "support@example.com")
    assert (await post_form(support, f"/admin/users/{ada}/impersonate")).status_code == 303
    acting = await Session.select(Session.id).where(Session.impersonator_id.is_not_null()).first()

    listed = await client.get("/api/v1/me/sessions")
    refused = await post_form(client, f"/me/sessions/{acting['id']}/end")

    assert [s["current"] for s in listed.json()] == [True]
    assert refused.status_code == 404
    assert (await support.get("/")).status_code == 200


async def test_api_lists_and_ends_sessions(client, authz):
    ada = await _ada(authz)
    await login_as(client, "ada@example.com")
    await other_browser(client, "ada@example.com", agent=CHROME_MAC)
    await other_browser(client, "ada@example.com", agent="curl/8.5.0")

    listed = await client.get("/api/v1/me/sessions")

    assert listed.status_code == 200
    rows = listed.json()
    assert [r["current"] for r in rows] == [True, False, False]
    assert {r["browser"] for r in rows[1:]} == {"Chrome on macOS", "curl"}
    assert set(rows[0]) == {"id", "created_at", "last_seen_at", "ip", "user_agent", "browser", "current"}
    gone = await client.delete(f"/api/v1/me/sessions/{rows[1]['id']}", headers=api_headers(client))
    assert gone.status_code == 204
    again = await client.delete(f"/api/v1/me/sessions/{rows[1]['id']}", headers=api_headers(client))
    assert again.status_code == 404
    others = await client.post("/api/v1/me/sessions/end-others", headers=api_headers(client))
    assert others.status_code == 200 and others.json() == {"ended": 1}
    assert await _session_ids(ada) == [rows[0]["id"]]


def test_short_agent_names_common_browsers():
    assert short_agent(CHROME_MAC) == "Chrome on macOS"
    assert short_agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0") == (
        "Firefox on Windows"
    )
    assert (
        short_agent(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/18.1 Mobile/15E148 Safari/604.1"
        )
        == "Safari on iOS"
    )
    assert short_agent(CHROME_MAC.replace("Safari/537.36", "Safari/537.36 Edg/131.0.0.0")) == "Edge on macOS"
    assert short_agent("") == "Unknown browser"
    assert short_agent("python-httpx/0.28.1") == "python-httpx/0.28.1"
    assert short_agent("x" * 100).endswith("…") and len(short_agent("x" * 100)) == 60
