"""The client area's services: list, detail, actions, API, dashboard widget; allow and deny."""

from __future__ import annotations

import factories as f

from panel.core.audit.tables import AuditEvent
from panel.core.services import provisioning
from panel.core.services.tables import Service

from . import commerce


async def _setup(authz, types):
    owner = await f.user(authz, "owner@example.com")
    viewer = await f.user(authz, "viewer@example.com")
    manager = await f.user(authz, "manager@example.com")
    biller = await f.user(authz, "biller@example.com")
    account = await f.account(
        authz,
        "Client Co",
        owner,
        {viewer: ["services"], manager: ["services", "manage_services"], biller: ["invoices"]},
    )
    store = await commerce.store(default=True)
    flaky = await commerce.product("flaky.thing", "Flaky server")
    plan = await commerce.product("core.hosting_plan", "Basic hosting")
    order_id, [active, pending] = await commerce.order(
        account,
        store,
        [
            {"product": flaky, "type": "flaky.thing", "label": "box1.example", "amount": 1250, "cycle": "quarterly"},
            {
                "product": plan,
                "type": "core.hosting_plan",
                "label": "site.example",
                "fields": {"domain": "site.example"},
            },
        ],
    )
    await provisioning.provision_order(types, order_id)
    return account, store, active, pending


async def test_owner_sees_the_list_and_a_service_with_its_actions(client, authz, types, login_as):
    _account, _, active, pending = await _setup(authz, types)
    await login_as(client, "owner@example.com")
    page = await client.get("/services")
    assert page.status_code == 200
    row = page.text.split(f'data-service-id="{active}"')[1].split("</tr>")[0]
    assert "box1.example" in row and "Flaky server" in row and "$12.50 quarterly" in row and "Active" in row
    assert (await Service.select(Service.next_due_date).where(Service.id == active).first())[
        "next_due_date"
    ].isoformat() in row
    assert "Pending" in page.text.split(f'data-service-id="{pending}"')[1].split("</tr>")[0]

    detail = await client.get(f"/services/{active}")
    assert detail.status_code == 200
    assert f'action="/services/{active}/actions/reboot"' in detail.text
    assert 'data-testid="client-area-link"' in detail.text
    ran = await client.post(f"/services/{active}/actions/reboot", data={"_csrf_token": f.csrf(client)})
    assert ran.status_code == 200 and "reboot done" in ran.text
    data = (await Service.select(Service.data).where(Service.id == active).output(load_json=True).first())["data"]
    assert data["last_action"] == "reboot"
    assert await AuditEvent.count().where(AuditEvent.action == "service.action") == 1
    unknown = await client.post(f"/services/{active}/actions/explode", data={"_csrf_token": f.csrf(client)})
    assert unknown.status_code == 404
    # a pending service offers no actions
    assert "/actions/" not in (await client.get(f"/services/{pending}")).text
    assert (
        await client.post(f"/services/{pending}/actions/reboot", data={"_csrf_token": f.csrf(client)})
    ).status_code == 404


async def test_a_refused_action_shows_the_types_message(client, authz, types, flaky, login_as):
    _, _, active, _ = await _setup(authz, types)
    await login_as(client, "manager@example.com")
    flaky.failure = "busy"
    refused = await client.post(f"/services/{active}/actions/reboot", data={"_csrf_token": f.csrf(client)})
    assert refused.status_code == 409 and "Reboot refused: the server is busy." in refused.text


async def test_services_permission_reads_but_cannot_act(client, authz, types, login_as):
    _, _, active, _ = await _setup(authz, types)
    await login_as(client, "viewer@example.com")
    assert (await client.get("/services")).status_code == 200
    detail = await client.get(f"/services/{active}")
    assert detail.status_code == 200 and "/actions/" not in detail.text
    assert (
        await client.post(f"/services/{active}/actions/reboot", data={"_csrf_token": f.csrf(client)})
    ).status_code == 403
    assert '<a href="/services"' in (await client.get("/")).text  # the nav item


async def test_without_services_permission_pages_api_widget_and_nav_are_closed(client, authz, types, login_as):
    account, _, active, _ = await _setup(authz, types)
    await login_as(client, "biller@example.com")
    assert (await client.get("/services")).status_code == 403
    assert (await client.get(f"/services/{active}")).status_code == 403
    assert (await client.get(f"/api/v1/accounts/{account}/services")).status_code == 403
    assert (await client.get(f"/api/v1/accounts/{account}/services/{active}")).status_code == 403
    home = await client.get("/")
    assert home.status_code == 200
    assert 'id="widget-services"' not in home.text and '<a href="/services"' not in home.text


async def test_a_manager_may_run_an_action_needing_its_own_rules_engine_action(client, authz, types, login_as):
    _, _, active, _ = await _setup(authz, types)
    await login_as(client, "manager@example.com")
    detail = await client.get(f"/services/{active}")
    assert f'action="/services/{active}/actions/wipe"' in detail.text and 'hx-confirm="Sure?"' in detail.text
    assert (
        await client.post(f"/services/{active}/actions/wipe", data={"_csrf_token": f.csrf(client)})
    ).status_code == 200


async def test_dashboard_widget_counts_active_services(client, authz, types, login_as):
    await _setup(authz, types)
    await login_as(client, "owner@example.com")
    home = await client.get("/")
    assert 'id="widget-services"' in home.text
    assert '<strong data-testid="active-services">1</strong> active service.' in home.text


async def test_another_accounts_service_is_404_through_my_account_and_403_through_theirs(
    client, authz, types, login_as
):
    _, store, active, _ = await _setup(authz, types)
    stranger = await f.user(authz, "stranger@example.com")
    theirs = await f.account(authz, "Stranger Co", stranger)
    mine = await commerce.service(theirs, store, await commerce.product("dummy.thing", "Thing"), "dummy.thing")
    await login_as(client, "stranger@example.com")
    page = await client.get(f"/services/{active}")
    assert page.status_code == 404 and "box1.example" not in page.text
    assert (
        await client.post(f"/services/{active}/actions/reboot", data={"_csrf_token": f.csrf(client)})
    ).status_code == 404
    assert (await client.get(f"/api/v1/accounts/{theirs}/services/{active}")).status_code == 404
    owner_account = (await Service.select(Service.account).where(Service.id == active).first())["account"]
    assert (await client.get(f"/api/v1/accounts/{owner_account}/services/{active}")).status_code == 403
    assert (await client.get(f"/api/v1/accounts/{owner_account}/services")).status_code == 403
    listed = await client.get("/services")
    assert f'data-service-id="{mine}"' in listed.text and "box1.example" not in listed.text


async def _token(client, email):
    await f.login(client, email)
    made = await client.post("/api/v1/tokens", json={"name": "t"}, headers={"x-csrftoken": f.csrf(client)})
    client.cookies.clear()
    return {"authorization": f"Bearer {made.json()['token']}"}


async def test_api_lists_and_shows_services_with_a_token(client, authz, types):
    account, _, active, pending = await _setup(authz, types)
    auth = await _token(client, "manager@example.com")
    listed = await client.get(f"/api/v1/accounts/{account}/services", headers=auth)
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 2 and [s["id"] for s in body["items"]] == [pending, active]
    item = body["items"][1]
    assert item["price"] == "$12.50 quarterly" and item["recurring_amount"] == 1250 and item["status"] == "active"
    page = await client.get(f"/api/v1/accounts/{account}/services?limit=1&offset=1", headers=auth)
    assert [s["id"] for s in page.json()["items"]] == [active]
    one = await client.get(f"/api/v1/accounts/{account}/services/{active}", headers=auth)
    assert one.status_code == 200
    data = one.json()
    assert data["client_area_link_visible"] is True and data["client_area_url"] == "/"
    assert [a["name"] for a in data["actions"]] == ["reboot", "wipe"]
    ran = await client.post(f"/api/v1/accounts/{account}/services/{active}/actions/reboot", headers=auth)
    assert ran.status_code == 200 and ran.json() == {"message": "reboot done"}
    viewer = await _token(client, "viewer@example.com")
    assert (
        await client.post(f"/api/v1/accounts/{account}/services/{active}/actions/reboot", headers=viewer)
    ).status_code == 403
    assert (await client.get(f"/api/v1/accounts/{account}/services/{active}", headers=viewer)).json()["actions"] == []


async def test_the_list_pages_by_fifty(client, authz, types, login_as):
    owner = await f.user(authz, "many@example.com")
    account = await f.account(authz, "Many Co", owner)
    store = await commerce.store()
    thing = await commerce.product("dummy.thing", "Thing")
    await commerce.order(
        account, store, [{"product": thing, "type": "dummy.thing", "label": f"t{i}"} for i in range(51)]
    )
    await login_as(client, "many@example.com")
    first = await client.get("/services")
    assert first.text.count("data-service-id=") == 50 and "Page 1 of 2" in first.text
    second = await client.get("/services?page_no=2")
    assert second.text.count("data-service-id=") == 1 and ">t0<" in second.text
