"""Staff open the client area as a user, with a banner and a way back; all of it is audited."""

from __future__ import annotations

import factories as f
from litestar import Litestar
from litestar.testing import AsyncTestClient

from panel.core.accounts import services as accounts
from panel.core.audit.tables import AuditEvent
from panel.core.auth.tables import Session, User

Client = AsyncTestClient[Litestar]


async def login_as(client: Client, email: str) -> None:
    client.cookies.clear()
    answer = await f.login(client, email)
    assert answer.status_code in (302, 303), answer.text


async def post(client: Client, path: str, **data: str):
    return await client.post(path, data={**data, "_csrf_token": f.csrf(client)}, follow_redirects=False)


async def events(action: str) -> list[dict]:
    return await AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id)


async def test_support_impersonates_a_client_end_to_end(client, authz):
    support = await f.user(authz, "support@example.com", staff="support")
    owner = await f.user(authz, "client@example.com")
    acct = await f.account(authz, "Client Co", owner)
    await login_as(client, "support@example.com")

    users = await client.get("/admin/users")
    assert f'data-impersonate="{owner}"' in users.text
    assert f'data-impersonate="{support}"' not in users.text  # staff rows have no button
    staff_cookie = client.cookies.get("panel_session")

    started = await post(client, f"/admin/users/{owner}/impersonate")

    assert started.status_code == 303 and started.headers["location"] == "/"
    assert client.cookies.get("panel_session") not in (None, staff_cookie)  # rotated
    home = await client.get("/")
    assert home.status_code == 200
    assert 'data-testid="dashboard-account">Client Co<' in home.text
    banner = home.text.split('data-testid="impersonation-banner"')[1].split("</div>")[0]
    assert "You are acting as" in banner and "client@example.com" in banner
    assert "(impersonation by support@example.com)" in banner
    assert 'action="/impersonation/stop"' in banner and "Back to the admin area" in banner
    assert (await client.get("/admin")).status_code == 403  # the session is the client's now

    renamed = await post(client, "/probe/rename", name="New Name")
    assert renamed.status_code == 303
    impersonating_cookie = client.cookies.get("panel_session")

    stopped = await post(client, "/impersonation/stop")

    assert stopped.status_code == 303 and stopped.headers["location"] == "/admin/users"
    assert client.cookies.get("panel_session") not in (None, impersonating_cookie, staff_cookie)
    back = await client.get("/admin/users")
    assert back.status_code == 200 and "impersonation-banner" not in back.text
    assert "support@example.com" in back.text
    session = await Session.select(Session.user, Session.impersonator_id, Session.account_id).first()
    assert session == {"user": support, "impersonator_id": None, "account_id": None}

    # every step is in the database with who, whom and from where
    start, action, stop = (
        await events("impersonation.start"),
        await events("probe.rename"),
        await events("impersonation.stop"),
    )
    assert [(e["actor_user_id"], e["impersonator_user_id"], e["account_id"], e["target"]) for e in start] == [
        (support, None, acct, f"user:{owner}")
    ]
    assert [(e["actor_user_id"], e["impersonator_user_id"], e["account_id"]) for e in action] == [
        (owner, support, acct)
    ]
    assert [(e["actor_user_id"], e["impersonator_user_id"], e["account_id"], e["target"]) for e in stop] == [
        (support, None, acct, f"user:{owner}")
    ]
    ip = start[0]["ip"]
    assert ip and action[0]["ip"] == ip and stop[0]["ip"] == ip

    # the client sees all three, with the staff member's email and address
    await login_as(client, "client@example.com")
    log = await client.get("/account/audit")
    assert log.status_code == 200
    rows = {e["action"]: _row(log.text, e["id"]) for e in [*start, *action, *stop]}
    assert "support@example.com" in rows["impersonation.start"] and ip in rows["impersonation.start"]
    assert "Support staff" in rows["impersonation.start"]
    assert "client@example.com" in rows["probe.rename"]
    assert "Support staff support@example.com (impersonating)" in rows["probe.rename"]
    assert "support@example.com" in rows["impersonation.stop"] and ip in rows["impersonation.stop"]
    order = [log.text.index(f'data-event-id="{e["id"]}"') for e in (*stop, *action, *start)]
    assert order == sorted(order)  # newest first


def _row(html: str, event_id: int) -> str:
    return html.split(f'data-event-id="{event_id}"')[1].split("</tr>")[0]


async def test_billing_staff_cannot_impersonate(client, authz):
    await f.user(authz, "billing@example.com", staff="billing")
    owner = await f.user(authz, "client@example.com")
    await f.account(authz, "Client Co", owner)
    await login_as(client, "billing@example.com")
    before = client.cookies.get("panel_session")

    answer = await post(client, f"/admin/users/{owner}/impersonate")

    assert answer.status_code == 403
    assert client.cookies.get("panel_session") == before
    assert (await client.get("/admin")).status_code == 200  # still billing staff, in their own session
    assert await events("impersonation.start") == []


async def test_nobody_can_impersonate_an_admin_or_other_staff(client, authz):
    await f.user(authz, "boss@example.com", staff="admin")
    other_admin = await f.user(authz, "boss2@example.com", staff="admin")
    support = await f.user(authz, "support@example.com", staff="support")
    await login_as(client, "boss@example.com")

    for target in (other_admin, support):
        answer = await post(client, f"/admin/users/{target}/impersonate")
        assert answer.status_code == 403
        assert "staff members cannot be impersonated" in answer.text

    await login_as(client, "support@example.com")
    answer = await post(client, f"/admin/users/{other_admin}/impersonate")
    assert answer.status_code == 403
    assert await events("impersonation.start") == []
    assert await Session.count().where(Session.impersonator_id.is_not_null()) == 0


async def test_admin_may_impersonate_a_client(client, authz):
    await f.user(authz, "boss@example.com", staff="admin")
    owner = await f.user(authz, "client@example.com")
    await f.account(authz, "Client Co", owner)
    await login_as(client, "boss@example.com")

    answer = await post(client, f"/admin/users/{owner}/impersonate")

    assert answer.status_code == 303
    assert "impersonation by boss@example.com" in (await client.get("/")).text


async def test_impersonation_deny_list_applies(client, authz):
    await f.user(authz, "support@example.com", staff="support")
    owner = await f.user(authz, "client@example.com")
    await f.account(authz, "Client Co", owner)
    await login_as(client, "client@example.com")
    assert (await post(client, "/probe/payment-method")).status_code == 200  # the owner may

    await login_as(client, "support@example.com")
    await post(client, f"/admin/users/{owner}/impersonate")
    refused = await post(client, "/probe/payment-method")

    assert refused.status_code == 403  # mode:impersonation denies payment_method:*
    assert (await post(client, "/probe/rename", name="ok")).status_code == 303  # other owner rights stay


async def test_a_client_cannot_impersonate(client, authz):
    owner = await f.user(authz, "client@example.com")
    await f.account(authz, "Client Co", owner)
    victim = await f.user(authz, "victim@example.com")
    await f.account(authz, "Victim Ltd", victim)
    await login_as(client, "client@example.com")
    before = client.cookies.get("panel_session")

    answer = await post(client, f"/admin/users/{victim}/impersonate")

    assert answer.status_code == 403
    assert "Victim Ltd" not in answer.text
    assert client.cookies.get("panel_session") == before
    assert await events("impersonation.start") == []


async def test_disabled_user_cannot_be_impersonated(client, authz):
    await f.user(authz, "support@example.com", staff="support")
    gone = await f.user(authz, "gone@example.com")
    await f.account(authz, "Gone Ltd", gone)
    await User.update({User.is_active: False}).where(User.id == gone)
    await login_as(client, "support@example.com")

    answer = await post(client, f"/admin/users/{gone}/impersonate")

    assert answer.status_code == 403
    assert "gone@example.com is disabled: a disabled user cannot be impersonated." in answer.text
    assert (await client.get("/admin")).status_code == 200


async def test_user_of_suspended_accounts_only_cannot_be_impersonated(client, authz):
    await f.user(authz, "support@example.com", staff="support")
    owner = await f.user(authz, "sus@example.com")
    acct = await f.account(authz, "Sus Ltd", owner)
    await accounts.suspend(authz, acct)
    await login_as(client, "support@example.com")

    answer = await post(client, f"/admin/users/{owner}/impersonate")
    frag = await client.post(
        f"/admin/users/{owner}/impersonate", headers={"hx-request": "true", "x-csrftoken": f.csrf(client)}
    )

    assert answer.status_code == 403
    assert "Every account of sus@example.com is suspended or closed" in answer.text
    assert frag.status_code == 403 and "<html" not in frag.text and "suspended or closed" in frag.text
    assert await events("impersonation.start") == []


async def test_user_of_several_accounts_picks_one_and_each_account_logs_it(client, authz):
    await f.user(authz, "support@example.com", staff="support")
    owner = await f.user(authz, "many@example.com")
    a1 = await f.account(authz, "One", owner)
    a2 = await f.account(authz, "Two", owner)
    await login_as(client, "support@example.com")

    answer = await post(client, f"/admin/users/{owner}/impersonate")

    assert answer.headers["location"] == "/accounts/choose"
    assert sorted(e["account_id"] for e in await events("impersonation.start")) == sorted([a1, a2])
    switched = await post(client, "/accounts/switch", account_id=str(a2))
    assert switched.status_code == 303
    assert "impersonation by support@example.com" in (await client.get("/")).text


async def test_last_used_account_is_opened(client, authz):
    await f.user(authz, "support@example.com", staff="support")
    owner = await f.user(authz, "many@example.com")
    await f.account(authz, "One", owner)
    a2 = await f.account(authz, "Two", owner)
    await accounts.remember_choice(owner, a2)
    await login_as(client, "support@example.com")

    answer = await post(client, f"/admin/users/{owner}/impersonate")

    assert answer.headers["location"] == "/"
    assert 'data-testid="dashboard-account">Two<' in (await client.get("/")).text


async def test_htmx_impersonation_redirects_the_whole_page(client, authz):
    await f.user(authz, "support@example.com", staff="support")
    owner = await f.user(authz, "client@example.com")
    await f.account(authz, "Client Co", owner)
    await login_as(client, "support@example.com")

    answer = await client.post(
        f"/admin/users/{owner}/impersonate", headers={"hx-request": "true", "x-csrftoken": f.csrf(client)}
    )

    assert answer.status_code == 204 and answer.headers["hx-redirect"] == "/"
    assert "impersonation-banner" in (await client.get("/")).text


async def test_stop_without_impersonating_changes_nothing(client, authz):
    owner = await f.user(authz, "client@example.com")
    await f.account(authz, "Client Co", owner)
    await login_as(client, "client@example.com")
    before = client.cookies.get("panel_session")

    answer = await post(client, "/impersonation/stop")

    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert client.cookies.get("panel_session") == before
    assert await events("impersonation.stop") == []
    assert "impersonation-banner" not in (await client.get("/")).text


async def test_logout_while_impersonating_is_recorded_with_the_impersonator(client, authz):
    support = await f.user(authz, "support@example.com", staff="support")
    owner = await f.user(authz, "client@example.com")
    acct = await f.account(authz, "Client Co", owner)
    await login_as(client, "support@example.com")
    await post(client, f"/admin/users/{owner}/impersonate")

    await post(client, "/logout")

    [logout] = await events("auth.logout")
    assert (logout["actor_user_id"], logout["impersonator_user_id"], logout["account_id"]) == (owner, support, acct)
    assert await Session.count() == 0


async def test_the_banner_shows_on_the_account_picker_too(client, authz):
    await f.user(authz, "support@example.com", staff="support")
    owner = await f.user(authz, "multi@example.com")
    await f.account(authz, "First Co", owner)
    await f.account(authz, "Second Co", owner)
    await login_as(client, "support@example.com")

    started = await post(client, f"/admin/users/{owner}/impersonate")
    picker = await client.get("/accounts/choose")

    assert started.status_code == 303
    assert picker.status_code == 200 and "First Co" in picker.text and "Second Co" in picker.text
    assert 'data-testid="impersonation-banner"' in picker.text
    assert "(impersonation by support@example.com)" in picker.text
