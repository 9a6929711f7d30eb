"""Suspend and reactivate: sessions end, login and tokens are refused, staff keep access."""

from __future__ import annotations

import factories as f

from panel.core.accounts import services as accounts
from panel.core.accounts.tables import Account
from panel.core.auth.services import SUSPENDED_MESSAGE
from panel.core.auth.tables import Session


async def _token(client, email):
    await f.login(client, email)
    made = await client.post("/api/v1/tokens", json={"name": "t"}, headers={"x-csrftoken": f.csrf(client)})
    return {"authorization": f"Bearer {made.json()['token']}"}


async def test_suspend_logs_out_open_browsers_blocks_login_and_tokens_until_reactivated(
    client, authz, staff_login, make_store
):
    owner = await f.user(authz, "sus@example.com")
    clerk = await f.user(authz, "clerk@example.com")
    account_id = await f.account(authz, "Sus Ltd", owner, {clerk: ["invoices"]})
    # the client's open browser (its cookies, kept aside) and script
    token = await _token(client, "sus@example.com")
    assert (await client.get("/")).status_code == 200
    browser = dict(client.cookies)
    assert (await client.get(f"/api/v1/accounts/{account_id}", headers=token)).status_code == 200

    await staff_login(client, authz, "billing")
    staff = dict(client.cookies)
    suspended = await client.post(
        f"/admin/clients/{account_id}/suspend", data={"_csrf_token": f.csrf(client)}, follow_redirects=False
    )
    assert suspended.status_code == 303, suspended.text[-600:]
    status = (await Account.select(Account.status).where(Account.id == account_id).first())["status"]
    assert status == "suspended"
    assert await Session.count().where(Session.user == owner) == 0

    # the open browser is logged out at its next request
    client.cookies.clear()
    client.cookies.update(browser)
    after = await client.get("/", follow_redirects=False)
    assert after.status_code in (302, 303) and after.headers["location"].startswith("/login")
    # the token no longer works on the account
    client.cookies.clear()
    assert (await client.get(f"/api/v1/accounts/{account_id}", headers=token)).status_code == 403
    # nobody of the account can log in; the message says why, beside the form, and no session starts
    for email in ("sus@example.com", "clerk@example.com"):
        client.cookies.clear()
        refused = await f.login(client, email)
        assert refused.status_code == 422
        assert SUSPENDED_MESSAGE in refused.text and 'class="form-error"' in refused.text
        assert "panel_session" not in refused.cookies
    api = await client.post("/api/v1/auth/login", json={"email": "sus@example.com", "password": f.PASSWORD})
    assert api.status_code == 422 and api.json()["errors"] == {"form": SUSPENDED_MESSAGE}
    # a wrong password still gets the usual answer: suspension is told only to the right password
    wrong = await f.login(client, "sus@example.com", "wrong password!")
    assert wrong.status_code == 422 and SUSPENDED_MESSAGE not in wrong.text

    client.cookies.clear()
    client.cookies.update(staff)
    page = await client.get(f"/admin/clients/{account_id}")
    assert 'data-testid="client-status">suspended' in page.text and "/unsuspend" in page.text
    await client.post(f"/admin/clients/{account_id}/unsuspend", data={"_csrf_token": f.csrf(client)})
    assert (await Account.select(Account.status).where(Account.id == account_id).first())["status"] == "active"

    client.cookies.clear()
    assert (await f.login(client, "sus@example.com")).status_code == 303
    assert (await client.get("/")).status_code == 200
    assert (await client.get(f"/api/v1/accounts/{account_id}", headers=token)).status_code == 200


async def test_user_with_another_active_account_still_logs_in(client, authz):
    owner = await f.user(authz, "two@example.com")
    sus = await f.account(authz, "Suspended One", owner)
    await f.account(authz, "Active One", owner)
    await accounts.suspend(authz, sus)
    answer = await f.login(client, "two@example.com")
    assert answer.status_code == 303
    refused = await client.post("/accounts/switch", data={"account_id": str(sus), "_csrf_token": f.csrf(client)})
    assert refused.status_code == 403


async def test_staff_whose_client_accounts_are_suspended_still_log_in(client, authz):
    admin = await f.user(authz, "root@example.com", staff="support")
    own = await f.account(authz, "Root's hosting", admin)
    await accounts.suspend(authz, own)
    answer = await f.login(client, "root@example.com")
    assert answer.status_code == 303


async def test_suspending_ends_accountless_sessions_of_members_left_without_a_usable_account(
    client, authz, staff_login
):
    from panel.core.auth import sessions

    owner = await f.user(authz, "lone@example.com")
    account_id = await f.account(authz, "Lone", owner)
    await sessions.create(owner, None, "127.0.0.1", "test", 1)  # e.g. a session on the account picker
    await staff_login(client, authz, "admin")
    answer = await client.post(f"/api/v1/admin/clients/{account_id}/suspend", headers={"x-csrftoken": f.csrf(client)})
    assert answer.status_code == 200 and answer.json()["sessions_ended"] >= 1
    assert await Session.count().where(Session.user == owner) == 0
    back = await client.post(f"/api/v1/admin/clients/{account_id}/unsuspend", headers={"x-csrftoken": f.csrf(client)})
    assert back.status_code == 200 and back.json()["status"] == "active"
    assert (
        await client.post("/api/v1/admin/clients/999999/suspend", headers={"x-csrftoken": f.csrf(client)})
    ).status_code == 404


async def test_the_audit_log_names_the_staff_member_who_suspended_and_reactivated(client, authz, staff_login):
    from panel.core.audit.tables import AuditEvent

    owner = await f.user(authz, "named@example.com")
    account_id = await f.account(authz, "Named Ltd", owner)
    staff_id = await staff_login(client, authz, "billing")

    for action in ("suspend", "unsuspend"):
        answer = await client.post(
            f"/admin/clients/{account_id}/{action}", data={"_csrf_token": f.csrf(client)}, follow_redirects=False
        )
        assert answer.status_code == 303

    rows = await AuditEvent.select(AuditEvent.action, AuditEvent.actor_user_id, AuditEvent.ip).where(
        AuditEvent.account_id == account_id
    )
    actors = {r["action"]: r["actor_user_id"] for r in rows}
    assert actors["account.suspend"] == staff_id and actors["account.unsuspend"] == staff_id
    assert all(r["ip"] for r in rows if r["action"] in ("account.suspend", "account.unsuspend"))
