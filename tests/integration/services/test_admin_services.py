"""Staff pages of services: filters, paging, lifecycle through the product type, who may do what."""

from __future__ import annotations

import factories as f

from panel.core.audit.tables import AuditEvent
from panel.core.services import provisioning
from panel.core.services.tables import Service, ServiceStatus

from . import commerce


async def _two_clients(authz, types):
    a_owner = await f.user(authz, "a@example.com")
    b_owner = await f.user(authz, "b@example.com")
    a = await f.account(authz, "Alpha", a_owner)
    b = await f.account(authz, "Beta", b_owner)
    main = await commerce.store("Main", default=True)
    other = await commerce.store("Other")
    thing = await commerce.product("dummy.thing", "Thing")
    plan = await commerce.product("core.hosting_plan", "Hosting")
    order_id, [a_thing] = await commerce.order(a, main, [{"product": thing, "type": "dummy.thing", "label": "a-thing"}])
    await provisioning.provision_order(types, order_id)
    b_plan = await commerce.service(b, other, plan, "core.hosting_plan", label="b-plan")
    return a, b, main, other, a_thing, b_plan


def _ids(html):
    return [int(part.split('"')[0]) for part in html.split('data-service-id="')[1:]]


async def test_filters_by_status_type_store_and_account(client, authz, types, login_as):
    _a, b, main, _other, a_thing, b_plan = await _two_clients(authz, types)
    await f.user(authz, "admin@example.com", staff="admin")
    await login_as(client, "admin@example.com")
    everything = await client.get("/admin/services")
    assert everything.status_code == 200 and _ids(everything.text) == [b_plan, a_thing]
    assert "Alpha" in everything.text and "Main" in everything.text and "Hosting" in everything.text
    assert _ids((await client.get("/admin/services?status=active")).text) == [a_thing]
    assert _ids((await client.get("/admin/services?product_type=core.hosting_plan")).text) == [b_plan]
    assert _ids((await client.get(f"/admin/services?store={main}")).text) == [a_thing]
    assert _ids((await client.get(f"/admin/services?account={b}")).text) == [b_plan]
    assert _ids((await client.get(f"/admin/services?account={b}&status=active")).text) == []


async def test_the_staff_list_pages_by_fifty(client, authz, login_as):
    owner = await f.user(authz, "many@example.com")
    account = await f.account(authz, "Many", owner)
    store = await commerce.store()
    thing = await commerce.product("dummy.thing", "Thing")
    await commerce.order(account, store, [{"product": thing, "type": "dummy.thing"} for _ in range(52)])
    await f.user(authz, "admin@example.com", staff="admin")
    await login_as(client, "admin@example.com")
    first = await client.get("/admin/services")
    assert len(_ids(first.text)) == 50 and "52 services, page 1 of 2" in first.text
    assert len(_ids((await client.get("/admin/services?page_no=2")).text)) == 2


async def test_suspend_unsuspend_terminate_go_through_the_product_type(client, authz, types, flaky, login_as):
    owner = await f.user(authz, "c@example.com")
    account = await f.account(authz, "Gamma", owner)
    store = await commerce.store()
    item = await commerce.product("flaky.thing", "Flaky")
    order_id, [sid] = await commerce.order(account, store, [{"product": item, "type": "flaky.thing", "label": "fl"}])
    await provisioning.provision_order(types, order_id)
    await f.user(authz, "admin@example.com", staff="admin")
    await login_as(client, "admin@example.com")
    token = f.csrf(client)

    flaky.failure = "down"
    refused = await client.post(f"/admin/services/{sid}/suspend", data={"reason": "abuse", "_csrf_token": token})
    assert refused.status_code == 409 and "The flaky server said no." in refused.text
    assert (await Service.select(Service.status).where(Service.id == sid).first())["status"] == ServiceStatus.ACTIVE
    flaky.failure = None

    done = await client.post(
        f"/admin/services/{sid}/suspend", data={"reason": "abuse", "_csrf_token": token}, follow_redirects=False
    )
    assert done.status_code == 303
    row = await Service.select(Service.status, Service.data).where(Service.id == sid).output(load_json=True).first()
    assert row["status"] == ServiceStatus.SUSPENDED and row["data"]["suspended_because"] == "abuse"
    assert (await client.post(f"/admin/services/{sid}/suspend", data={"_csrf_token": token})).status_code == 409
    assert (await client.post(f"/admin/services/{sid}/unsuspend", data={"_csrf_token": token})).status_code in (
        200,
        303,
    )
    assert (await Service.select(Service.status).where(Service.id == sid).first())["status"] == ServiceStatus.ACTIVE
    await client.post(f"/admin/services/{sid}/terminate", data={"_csrf_token": token})
    assert (await Service.select(Service.status).where(Service.id == sid).first())["status"] == ServiceStatus.TERMINATED
    page = await client.get(f"/admin/services/{sid}")
    assert f"/admin/services/{sid}/terminate" not in page.text and f"/admin/services/{sid}/suspend" not in page.text
    actions = [
        r["action"] for r in await AuditEvent.select(AuditEvent.action).where(AuditEvent.target == f"service:{sid}")
    ]
    assert {"service.suspend", "service.unsuspend", "service.terminate"} <= set(actions)


async def test_a_type_that_is_not_enabled_cannot_be_suspended(client, authz, login_as):
    owner = await f.user(authz, "d@example.com")
    account = await f.account(authz, "Delta", owner)
    store = await commerce.store()
    gone = await commerce.product("gone.thing", "Gone")
    sid = await commerce.service(account, store, gone, "gone.thing")
    await Service.update({Service.status: ServiceStatus.ACTIVE}).where(Service.id == sid)
    await f.user(authz, "admin@example.com", staff="admin")
    await login_as(client, "admin@example.com")
    answer = await client.post(f"/admin/services/{sid}/suspend", data={"_csrf_token": f.csrf(client)})
    assert answer.status_code == 409 and "Product type gone.thing is not enabled" in answer.text


async def test_support_reads_and_does_tasks_billing_and_clients_are_kept_out(client, authz, types, login_as):
    _, _, _, _, a_thing, b_plan = await _two_clients(authz, types)
    await provisioning.provision_service(types, b_plan)  # opens the hosting plan's task
    await f.user(authz, "support@example.com", staff="support")
    await login_as(client, "support@example.com")
    assert (await client.get("/admin/services")).status_code == 200
    page = await client.get(f"/admin/services/{a_thing}")
    assert page.status_code == 200
    for action in ("suspend", "terminate", "link"):
        assert f"/admin/services/{a_thing}/{action}" not in page.text
        assert (
            await client.post(f"/admin/services/{a_thing}/{action}", data={"_csrf_token": f.csrf(client)})
        ).status_code == 403
    tasks = await client.get("/admin/tasks")
    assert tasks.status_code == 200 and "b-plan" in tasks.text
    nav = await client.get("/admin")
    assert 'href="/admin/tasks"' in nav.text and 'href="/admin/services"' in nav.text

    await f.user(authz, "billing@example.com", staff="billing")
    await login_as(client, "billing@example.com")
    assert (await client.get("/admin/services")).status_code == 403
    assert (await client.get("/admin/tasks")).status_code == 403
    assert (await client.get(f"/admin/services/{a_thing}")).status_code == 403

    await login_as(client, "a@example.com")
    assert (await client.get("/admin/services")).status_code == 403
    assert (await client.get("/admin/tasks")).status_code == 403


async def test_unknown_service_and_task_are_404(client, authz, login_as):
    await f.user(authz, "admin@example.com", staff="admin")
    await login_as(client, "admin@example.com")
    assert (await client.get("/admin/services/424242")).status_code == 404
    assert (await client.get("/admin/tasks/424242")).status_code == 404
    assert (await client.post("/admin/tasks/424242", data={"_csrf_token": f.csrf(client)})).status_code == 404
