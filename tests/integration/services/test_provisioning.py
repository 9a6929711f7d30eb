"""Provisioning paid orders: the hosting plan waits for staff, automatic types activate, failures are kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import factories as f

from panel.core.audit.tables import AuditEvent
from panel.core.services import provisioning
from panel.core.services.lifecycle import add_months
from panel.core.services.tables import Service, ServiceStatus, StaffTask, TaskStatus

from . import commerce


async def _client(authz, email="owner@example.com"):
    owner = await f.user(authz, email)
    account = await f.account(authz, "Client Co", owner)
    store = await commerce.store(default=True)
    return account, store


async def _service(service_id):
    return await Service.select().where(Service.id == service_id).output(load_json=True).first()


async def _events(action):
    return await AuditEvent.count().where(AuditEvent.action == action)


def _today():
    return datetime.now(UTC).date()


async def test_hosting_plan_waits_for_one_staff_task_and_completing_it_activates(client, authz, types, login_as):
    account, store = await _client(authz)
    plan = await commerce.product("core.hosting_plan", "Basic hosting", disk_gb=20, server_group="eu")
    order_id, [sid] = await commerce.order(
        account,
        store,
        [{"product": plan, "type": "core.hosting_plan", "label": "site.example", "fields": {"domain": "site.example"}}],
    )
    [outcome] = await provisioning.provision_order(types, order_id)
    assert outcome.outcome == "waiting"
    row = await _service(sid)
    assert row["status"] == ServiceStatus.PENDING and row["activated_at"] is None
    tasks = await StaffTask.select().where(StaffTask.service == sid)
    assert len(tasks) == 1 and tasks[0]["status"] == TaskStatus.OPEN
    assert tasks[0]["title"].startswith("Set up the hosting account by hand for site.example")
    assert "20 GB disk" in tasks[0]["title"] and "group eu" in tasks[0]["title"]
    assert await _events("service.provision_waiting") == 1

    again = await provisioning.provision_order(types, order_id)
    assert [o.outcome for o in again] == ["skipped"]
    assert await StaffTask.count().where(StaffTask.service == sid) == 1
    assert await _events("service.provision_waiting") == 1

    await f.user(authz, "admin@example.com", staff="admin")
    await login_as(client, "admin@example.com")
    listed = await client.get("/admin/tasks")
    assert listed.status_code == 200 and f'data-task-id="{tasks[0]["id"]}"' in listed.text
    form = await client.get(f"/admin/tasks/{tasks[0]['id']}")
    assert form.status_code == 200 and "Complete the task" in form.text
    bad = await client.post(
        f"/admin/tasks/{tasks[0]['id']}",
        data={"username": "site", "client_area_url": "javascript:alert(1)", "_csrf_token": f.csrf(client)},
    )
    assert bad.status_code == 422 and 'id="task-client_area_url-error"' in bad.text
    assert (await _service(sid))["status"] == ServiceStatus.PENDING
    done = await client.post(
        f"/admin/tasks/{tasks[0]['id']}",
        data={
            "username": "siteex",
            "server": "web7.eu",
            "client_area_url": "https://web7.eu:2083",
            "note": "made by hand",
            "_csrf_token": f.csrf(client),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"/admin/services/{sid}?done=task"
    row = await _service(sid)
    assert row["status"] == ServiceStatus.ACTIVE and row["activated_at"] is not None
    assert row["data"] == {"username": "siteex", "server": "web7.eu", "client_area_url": "https://web7.eu:2083"}
    assert row["next_due_date"] == add_months(_today(), 1)
    task = await StaffTask.select().where(StaffTask.id == tasks[0]["id"]).first()
    assert task["status"] == TaskStatus.DONE and task["note"] == "made by hand" and task["done_by"] is not None
    assert "Nothing to do." in (await client.get("/admin/tasks")).text
    twice = await client.post(f"/admin/tasks/{tasks[0]['id']}", data={"_csrf_token": f.csrf(client)})
    assert twice.status_code == 409
    # provisioning again changes nothing for an active service
    assert await provisioning.provision_order(types, order_id) == []
    assert await _events("service.activate") == 1


async def test_automatic_type_activates_merges_data_and_sets_the_next_due_date(client, authz, types):
    account, store = await _client(authz)
    thing = await commerce.product("dummy.thing", "Thing", size="big")
    order_id, [yearly, once, addon] = await commerce.order(
        account,
        store,
        [
            {"product": thing, "type": "dummy.thing", "cycle": "annual", "label": "Yearly thing"},
            {"product": thing, "type": "dummy.thing", "cycle": "onetime", "label": "Once"},
            {"product": thing, "type": "dummy.thing", "cycle": "free", "label": "Addon", "parent": 0},
        ],
    )
    await Service.update({Service.data: {"kept": "yes"}}).where(Service.id == yearly)
    outcomes = await provisioning.provision_order(types, order_id)
    assert [(o.service_id, o.outcome) for o in outcomes] == [(yearly, "active"), (once, "active"), (addon, "active")]
    row = await _service(yearly)
    assert row["status"] == ServiceStatus.ACTIVE
    assert row["data"] == {"kept": "yes", "thing_id": f"thing-{yearly}"}
    assert row["next_due_date"] == add_months(_today(), 12)
    assert (await _service(once))["next_due_date"] is None
    assert (await _service(addon))["next_due_date"] is None
    assert await StaffTask.count() == 0
    assert await _events("service.activate") == 3

    first = {sid: (await _service(sid))["activated_at"] for sid in (yearly, once, addon)}
    events = await AuditEvent.count()
    assert await provisioning.provision_order(types, order_id) == []  # nothing pending any more
    assert {sid: (await _service(sid))["activated_at"] for sid in (yearly, once, addon)} == first
    assert await AuditEvent.count() == events


async def test_failure_is_recorded_kept_on_rerun_and_retry_activates(client, authz, types, flaky, login_as):
    account, store = await _client(authz)
    item = await commerce.product("flaky.thing", "Flaky")
    order_id, [sid] = await commerce.order(account, store, [{"product": item, "type": "flaky.thing", "label": "F1"}])
    flaky.failure = "The server farm is on fire."
    [outcome] = await provisioning.provision_order(types, order_id)
    assert outcome.outcome == "failed" and outcome.message == "The server farm is on fire."
    row = await _service(sid)
    assert row["status"] == ServiceStatus.PENDING and row["provision_error"] == "The server farm is on fire."
    assert await _events("service.provision_failed") == 1

    # a second run does not call the type again: the failure waits for staff
    assert [o.outcome for o in await provisioning.provision_order(types, order_id)] == ["skipped"]
    assert flaky.calls == 1 and await _events("service.provision_failed") == 1

    await f.user(authz, "support@example.com", staff="support")
    await login_as(client, "support@example.com")
    page = await client.get(f"/admin/services/{sid}")
    assert page.status_code == 200 and "The server farm is on fire." in page.text
    assert f'action="/admin/services/{sid}/retry"' not in page.text  # support reads only
    assert (await client.post(f"/admin/services/{sid}/retry", data={"_csrf_token": f.csrf(client)})).status_code == 403

    await f.user(authz, "admin@example.com", staff="admin")
    await login_as(client, "admin@example.com")
    page = await client.get(f"/admin/services/{sid}")
    assert f'action="/admin/services/{sid}/retry"' in page.text
    listed = await client.get("/admin/services?status=pending")
    assert 'data-testid="provision-error"' in listed.text
    flaky.failure = None
    retried = await client.post(
        f"/admin/services/{sid}/retry", data={"_csrf_token": f.csrf(client)}, follow_redirects=False
    )
    assert retried.status_code == 303
    row = await _service(sid)
    assert row["status"] == ServiceStatus.ACTIVE and row["provision_error"] == ""
    assert row["data"] == {"flaky_id": f"f-{sid}"}
    again = await client.post(f"/admin/services/{sid}/retry", data={"_csrf_token": f.csrf(client)})
    assert again.status_code == 409 and "nothing to provision" in again.text


async def test_an_unexpected_exception_is_recorded_not_raised(client, authz, types, flaky):
    account, store = await _client(authz)
    item = await commerce.product("flaky.thing", "Flaky")
    thing = await commerce.product("dummy.thing", "Thing")
    order_id, [bad, good] = await commerce.order(
        account, store, [{"product": item, "type": "flaky.thing"}, {"product": thing, "type": "dummy.thing"}]
    )
    flaky.failure = RuntimeError("socket closed")
    outcomes = await provisioning.provision_order(types, order_id)
    assert [o.outcome for o in outcomes] == ["failed", "active"]
    assert (await _service(bad))["provision_error"] == "Unexpected error: RuntimeError: socket closed"
    assert (await _service(good))["status"] == ServiceStatus.ACTIVE


async def test_a_type_that_is_not_enabled_is_an_error_on_the_service(client, authz, types):
    account, store = await _client(authz)
    gone = await commerce.product("gone.thing", "Gone")
    order_id, [sid] = await commerce.order(account, store, [{"product": gone, "type": "gone.thing"}])
    [outcome] = await provisioning.provision_order(types, order_id)
    assert outcome.outcome == "failed"
    row = await _service(sid)
    assert row["provision_error"] == "Product type gone.thing is not enabled"
    assert row["status"] == ServiceStatus.PENDING


async def test_unpaid_or_unknown_orders_provision_nothing(client, authz, types, login_as):
    account, store = await _client(authz)
    thing = await commerce.product("dummy.thing", "Thing")
    order_id, [sid] = await commerce.order(account, store, [{"product": thing, "type": "dummy.thing"}], paid=False)
    assert await provisioning.provision_order(types, order_id) == []
    assert await provisioning.provision_order(types, 987654) == []
    assert (await _service(sid))["status"] == ServiceStatus.PENDING
    # nor can staff "retry" what never failed
    await f.user(authz, "admin@example.com", staff="admin")
    await login_as(client, "admin@example.com")
    refused = await client.post(f"/admin/services/{sid}/retry", data={"_csrf_token": f.csrf(client)})
    assert refused.status_code == 409 and "Provisioning has not failed" in refused.text
    assert (await _service(sid))["status"] == ServiceStatus.PENDING


async def test_two_runs_at_once_make_one_task(client, authz, types):
    account, store = await _client(authz)
    plan = await commerce.product("core.hosting_plan", "Basic hosting")
    order_id, [sid] = await commerce.order(account, store, [{"product": plan, "type": "core.hosting_plan"}])
    results = await asyncio.gather(*(provisioning.provision_order(types, order_id) for _ in range(3)))
    assert sorted(r[0].outcome for r in results) == ["skipped", "skipped", "waiting"]
    assert await StaffTask.count().where(StaffTask.service == sid) == 1
