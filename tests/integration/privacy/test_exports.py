"""Personal-data exports: asked for, built by a job, downloaded by the requester only, expired after 7 days."""

from __future__ import annotations

import asyncio
import io
import json
import re
import shutil
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import factories as f

from panel.core import uploads
from panel.core.audit.tables import AuditEvent
from panel.core.jobs import services as jobs
from panel.core.privacy import services
from panel.core.privacy.tables import PrivacyExport
from panel.core.support import services as support
from panel.core.support.demo import seed


async def _world(authz: Any) -> dict[str, int]:
    """Ada owns Ada Co and is a clerk in Shop; Bob owns Shop; Cy manages Shop's users; Dee is elsewhere."""
    ids = {
        "ada": await f.user(authz, "ada@example.com"),
        "bob": await f.user(authz, "bob@example.com"),
        "cy": await f.user(authz, "cy@example.com"),
        "dee": await f.user(authz, "dee@example.com"),
    }
    ids["ada_co"] = await f.account(authz, "Ada Co", ids["ada"])
    ids["shop"] = await f.account(authz, "Shop", ids["bob"], {ids["ada"]: ["tickets"], ids["cy"]: ["users"]})
    ids["elsewhere"] = await f.account(authz, "Elsewhere", ids["dee"])
    departments = await seed(staff_emails=())
    tech = departments["Technical support"]
    ada_own = await support.open_ticket(ids["ada_co"], ids["ada"], tech, "Ada's own mail", "Private body A1", "low")
    await support.reply(ada_own, author_id=ids["ada"], body="Ada's own follow-up", is_staff=False)
    await support.open_ticket(ids["shop"], ids["ada"], tech, "Shop DNS", "Shop body by Ada", "low")
    await support.open_ticket(ids["shop"], ids["bob"], tech, "Bob's billing", "Bob's secret body", "low")
    return ids


async def _archive(client: Any, export_id: int) -> dict[str, Any]:
    answer = await client.get(f"/exports/{export_id}/download")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/zip")
    assert answer.headers["content-disposition"].startswith("attachment")
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        return {name: json.loads(archive.read(name)) for name in archive.namelist()}


def _export_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="export-(\d+)"', html)]


async def _events(action: str) -> list[dict[str, Any]]:
    return await AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id)


async def test_own_export_from_asking_to_expiry(client: Any, app: Any, authz: Any, smtp: Any) -> None:
    ids = await _world(authz)
    await f.login_as(client, "bob@example.com")
    invited = await f.post_form(client, "/account/users/invite", {"email": "ada@example.com", "permissions": "quotes"})
    assert invited.status_code == 422  # ada is a member already: no invitation row
    await f.post_form(client, "/account/users/invite", {"email": "newbie@example.com", "permissions": "quotes"})
    bob_cookies = dict(client.cookies)

    await f.login_as(client, "ada@example.com")
    await f.post_form(client, "/accounts/switch", {"account_id": ids["ada_co"], "next": "/"})
    sent = await f.post_form(client, "/account/users/invite", {"email": "friend@example.com"})
    assert sent.status_code == 303, sent.text
    empty = await client.get("/me/export")
    assert empty.status_code == 200 and 'data-testid="no-exports"' in empty.text
    assert 'href="/me/export"' in (await client.get("/me")).text  # a tab of the profile

    asked = await f.post_form(client, "/me/export")
    assert asked.status_code == 303 and asked.headers["location"] == "/me/export"
    again = await f.post_form(client, "/me/export")  # one at a time
    assert again.status_code == 303
    page = await client.get("/me/export")
    [export_id] = _export_ids(page.text)
    assert 'data-state="queued"' in page.text
    assert f'hx-get="/exports/{export_id}/status"' in page.text and 'http-equiv="refresh"' in page.text
    assert 'data-testid="download"' not in page.text
    assert (await client.get(f"/exports/{export_id}/download")).status_code == 404  # not ready
    [request_event] = await _events("privacy.export.request")
    assert request_event["actor_user_id"] == ids["ada"] and request_event["target"] == f"userdata:{ids['ada']}"

    assert await f.run_jobs(app) >= 1
    status = await client.get(f"/exports/{export_id}/status", headers={"hx-request": "true"})
    assert 'data-state="ready"' in status.text and "hx-get" not in status.text
    page = await client.get("/me/export")
    assert 'data-testid="download"' in page.text and 'http-equiv="refresh"' not in page.text

    files = await _archive(client, export_id)
    assert sorted(files) == sorted(["manifest.json", *services.collect.FILES])
    assert files["manifest.json"]["scope"] == "everything"
    assert files["profile.json"]["email"] == "ada@example.com"
    assert "password_hash" not in files["profile.json"]
    assert {m["account_name"]: m["permissions"] for m in files["memberships.json"]} == {
        "Ada Co": [],
        "Shop": ["tickets"],
    }
    assert [m["is_owner"] for m in files["memberships.json"]] == [True, False]
    assert files["sessions.json"] and all("token" not in key for s in files["sessions.json"] for key in s)
    assert all("data" not in s for s in files["sessions.json"])
    actions = [e["action"] for e in files["audit.json"]]
    assert "privacy.export.request" in actions and "invitation.create" in actions
    assert {t["subject"] for t in files["tickets.json"]} == {"Ada's own mail", "Shop DNS"}
    bodies = {r["body"] for r in files["ticket_replies.json"]}
    assert {"Private body A1", "Ada's own follow-up", "Shop body by Ada"} <= bodies
    assert "Bob's secret body" not in json.dumps(files)
    assert [i["email"] for i in files["invitations.json"]] == ["friend@example.com"]
    assert "newbie@example.com" not in json.dumps(files)
    [download] = await _events("privacy.export.download")
    assert download["actor_user_id"] == ids["ada"]

    # nobody else sees or downloads it, not even the owner of an account she is in
    client.cookies.clear()
    for key, value in bob_cookies.items():
        client.cookies.set(key, value)
    assert (await client.get(f"/exports/{export_id}/download")).status_code == 404
    assert (await client.get(f"/exports/{export_id}/status")).status_code == 404
    assert (await client.get(f"/api/v1/exports/{export_id}")).status_code == 404
    assert str(export_id) not in "".join(map(str, _export_ids((await client.get("/me/export")).text)))

    # kept for 7 days, then the daily job deletes row and file
    row = await PrivacyExport.select().where(PrivacyExport.id == export_id).first()
    assert timedelta(days=6, hours=23) < row["expires_at"] - datetime.now(UTC) <= timedelta(days=7)
    stored = uploads.path_of(services.AREA, row["file_key"])
    assert stored.is_file()
    await jobs.enqueue(app.state.settings, services.EXPIRE_JOB, {}, key="expire-now-1")
    await f.run_jobs(app)
    assert stored.is_file()  # not yet expired
    await PrivacyExport.update({PrivacyExport.expires_at: datetime.now(UTC) - timedelta(minutes=1)}).where(
        PrivacyExport.id == export_id
    )
    await jobs.enqueue(app.state.settings, services.EXPIRE_JOB, {}, key="expire-now-2")
    await f.run_jobs(app)
    assert not stored.exists() and await PrivacyExport.count() == 0
    await f.login_as(client, "ada@example.com")
    assert (await client.get(f"/exports/{export_id}/download")).status_code == 404
    assert 'data-testid="no-exports"' in (await client.get("/me/export")).text
    # the user was not emailed about her own export
    await asyncio.sleep(0.1)
    assert not [m for m in smtp.messages if "exported" in str(m["Subject"])]


async def test_admin_exports_a_members_data_of_that_account_only(client: Any, app: Any, authz: Any, smtp: Any) -> None:
    ids = await _world(authz)
    ada = ids["ada"]
    await f.login_as(client, "bob@example.com")  # Shop's owner
    member_page = await client.get(f"/account/users/{ada}")
    assert f'href="/account/users/{ada}/export"' in member_page.text
    asked = await f.post_form(client, f"/account/users/{ada}/export")
    assert asked.status_code == 303 and asked.headers["location"] == f"/account/users/{ada}/export"
    page = await client.get(f"/account/users/{ada}/export")
    [export_id] = _export_ids(page.text)
    assert 'data-state="queued"' in page.text
    # ada is told
    for _ in range(250):
        notices = [m for m in smtp.messages if m["To"] == "ada@example.com" and "exported" in m["Subject"]]
        if notices:
            break
        await asyncio.sleep(0.02)
    assert notices and notices[0]["Subject"] == "Your data in Shop was exported"
    assert "bob@example.com" in notices[0].get_body(("plain",)).get_content()
    [event] = await _events("privacy.export.request")
    assert event["account_id"] == ids["shop"] and event["actor_user_id"] == ids["bob"]

    await f.run_jobs(app)
    assert 'data-state="ready"' in (await client.get(f"/account/users/{ada}/export")).text
    files = await _archive(client, export_id)
    assert files["manifest.json"] == {**files["manifest.json"], "scope": "account", "account_id": ids["shop"]}
    assert [m["account_name"] for m in files["memberships.json"]] == ["Shop"]
    assert [t["subject"] for t in files["tickets.json"]] == ["Shop DNS"]
    assert [r["body"] for r in files["ticket_replies.json"]] == ["Shop body by Ada"]
    dumped = json.dumps(files)
    assert "Ada Co" not in dumped and "Private body A1" not in dumped and "Bob's secret body" not in dumped
    assert all(e["account_id"] == ids["shop"] for e in files["audit.json"])
    assert "last_account_id" not in files["profile.json"]

    # ada herself cannot download the admin's archive, nor see it
    await f.login_as(client, "ada@example.com")
    assert (await client.get(f"/exports/{export_id}/download")).status_code == 404
    assert 'data-testid="no-exports"' in (await client.get("/me/export")).text


async def test_perm_all_member_may_export_through_the_api(client: Any, app: Any, authz: Any, smtp: Any) -> None:
    ids = await _world(authz)
    admin = await f.user(authz, "admin@example.com")
    from panel.core.accounts import services as accounts

    await accounts.add_member(authz, ids["shop"], admin, ["all"])
    await f.login_as(client, "admin@example.com")
    headers = {"x-csrftoken": f.csrf(client)}
    answer = await client.post(f"/api/v1/accounts/{ids['shop']}/members/{ids['ada']}/exports", headers=headers)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["state"] == "queued" and body["download_url"] is None and body["account_id"] == ids["shop"]
    await f.run_jobs(app)
    ready = (await client.get(f"/api/v1/exports/{body['id']}")).json()
    assert ready["state"] == "ready" and ready["download_url"] == f"/exports/{body['id']}/download"
    files = await _archive(client, body["id"])
    assert files["profile.json"]["email"] == "ada@example.com"


async def test_export_refused_hidden_and_404(client: Any, authz: Any) -> None:
    ids = await _world(authz)
    ada = ids["ada"]
    await f.login_as(client, "cy@example.com")  # manages users, may not export their data
    member_page = await client.get(f"/account/users/{ada}")
    assert member_page.status_code == 200 and "/export" not in member_page.text.split("<main")[1]
    assert (await client.get(f"/account/users/{ada}/export")).status_code == 403
    assert (await f.post_form(client, f"/account/users/{ada}/export")).status_code == 403
    api = await client.post(
        f"/api/v1/accounts/{ids['shop']}/members/{ada}/exports", headers={"x-csrftoken": f.csrf(client)}
    )
    assert api.status_code == 403
    # another account's user: 404 even for the owner
    await f.login_as(client, "bob@example.com")
    assert (await client.get(f"/account/users/{ids['dee']}/export")).status_code == 404
    assert (await f.post_form(client, f"/account/users/{ids['dee']}/export")).status_code == 404
    assert await PrivacyExport.count() == 0
    assert await _events("privacy.export.request") == []


async def test_a_failing_build_is_retried_then_shown_failed(client: Any, app: Any, authz: Any) -> None:
    await _world(authz)
    await f.login_as(client, "ada@example.com")
    await f.post_form(client, "/me/export")
    [export_id] = _export_ids((await client.get("/me/export")).text)
    # the store cannot write: a file stands where its folder should be
    area = uploads.path_of(services.AREA, "x" * 20).parent
    shutil.rmtree(area, ignore_errors=True)  # archives of earlier tests (their rows are gone)
    area.parent.mkdir(parents=True, exist_ok=True)
    area.write_text("in the way")
    await f.run_jobs(app)
    row = await PrivacyExport.select().where(PrivacyExport.id == export_id).first()
    assert row["state"] == "queued" and "Error" in row["error"] and row["file_key"] == ""
    assert 'data-state="queued"' in (await client.get("/me/export")).text
    # the retry (after the folder is fixed) makes it
    area.unlink()
    await jobs.queue_for(app.state.settings).retry(row["job_id"])
    await f.run_jobs(app)
    assert 'data-state="ready"' in (await client.get("/me/export")).text
    # a new export whose last attempt failed shows failed (no more polling), without the internal error
    await f.post_form(client, "/me/export")
    newest = max(_export_ids((await client.get("/me/export")).text))
    assert newest != export_id
    await services.attempt_failed(newest, "RuntimeError: disk full", final=True)
    page = await client.get("/me/export")
    assert page.text.count('data-state="failed"') == 1 and page.text.count('data-state="ready"') == 1
    assert "disk full" not in page.text and 'hx-trigger="every' not in page.text


async def test_staff_impersonating_the_owner_cannot_export_a_members_data(
    client: Any, authz: Any, staff_login: Any
) -> None:
    ids = await _world(authz)
    await staff_login(client, authz, "support")
    started = await f.post_form(client, f"/admin/users/{ids['bob']}/impersonate")
    assert started.status_code in (302, 303), started.text
    page = await client.get(f"/account/users/{ids['ada']}")
    assert 'data-testid="export-member"' not in page.text
    refused = await f.post_form(client, f"/account/users/{ids['ada']}/export")
    assert refused.status_code == 403
    assert "mode:impersonation, *, userdata:*" in re.search(r'deny-reason">Why: ([^<]*)<', refused.text).group(1)
    assert await PrivacyExport.count() == 0
