"""The admin clients feature with services and invoices: counts, the has-unpaid filter, deletion refused."""

from __future__ import annotations

import factories as f

from panel.core.accounts.tables import Account
from panel.core.billing.tables import InvoiceStatus
from panel.core.clients import services as clients
from panel.core.clients.search import ClientFilters, search_clients
from panel.core.services.tables import Service, ServiceStatus

from . import commerce


async def _client_with_services(authz, name="Busy Co", email="busy@example.com", count=2):
    owner = await f.user(authz, email)
    account = await f.account(authz, name, owner)
    store = await commerce.store(f"{name} store")
    thing = await commerce.product("dummy.thing", "Thing")
    ids = [await commerce.bare_service(account, store, thing) for _ in range(count)]
    return account, store, ids


async def test_a_client_with_live_services_cannot_be_deleted_until_they_end(client, authz, login_as):
    account, _, ids = await _client_with_services(authz)
    await Service.update({Service.status: ServiceStatus.ACTIVE}).where(Service.id == ids[0])
    assert await clients.deletion_blockers(account) == ["Client has 2 services: cancel or terminate them first"]
    await f.user(authz, "admin@example.com", staff="admin")
    await login_as(client, "admin@example.com")
    page = await client.post(f"/admin/clients/{account}/delete", data={"_csrf_token": f.csrf(client)})
    assert page.status_code == 409 and "Client has 2 services: cancel or terminate them first" in page.text
    api = await client.delete(f"/api/v1/admin/clients/{account}", headers={"x-csrftoken": f.csrf(client)})
    assert api.status_code == 409 and api.json()["reasons"] == ["Client has 2 services: cancel or terminate them first"]
    assert await Account.exists().where(Account.id == account)

    await Service.update({Service.status: ServiceStatus.TERMINATED}).where(Service.id == ids[0])
    assert await clients.deletion_blockers(account) == ["Client has 1 service: cancel or terminate it first"]
    await Service.update({Service.status: ServiceStatus.CANCELLED}).where(Service.id == ids[1])
    assert await clients.deletion_blockers(account) == []
    gone = await client.post(
        f"/admin/clients/{account}/delete", data={"_csrf_token": f.csrf(client)}, follow_redirects=False
    )
    assert gone.status_code == 303
    assert not await Account.exists().where(Account.id == account)
    assert await Service.count().where(Service.account == account) == 0


async def test_invoices_and_orders_are_kept_so_their_client_is_not_deleted(client, authz):
    owner = await f.user(authz, "inv@example.com")
    account = await f.account(authz, "Invoiced", owner)
    store = await commerce.store()
    await commerce.invoice(account, store, "INV-1", status=InvoiceStatus.PAID)
    await commerce.order(account, store, [])
    await commerce.invoice(account, store, "INV-2", status=InvoiceStatus.CANCELLED)
    assert await clients.deletion_blockers(account) == [
        "Client has 2 invoices: invoices are kept for accounting",
        "Client has 1 order: orders are kept for accounting",
    ]


async def test_the_list_and_the_page_show_the_count_of_live_services(client, authz, login_as):
    account, _, ids = await _client_with_services(authz, count=3)
    await Service.update({Service.status: ServiceStatus.TERMINATED}).where(Service.id == ids[2])
    owner = await f.user(authz, "idle@example.com")
    idle = await f.account(authz, "Idle Co", owner)
    await f.user(authz, "admin@example.com", staff="admin")
    await login_as(client, "admin@example.com")
    listed = await client.get("/admin/clients")
    busy_row = listed.text.split(f'data-client-id="{account}"')[1].split("</tr>")[0]
    idle_row = listed.text.split(f'data-client-id="{idle}"')[1].split("</tr>")[0]
    assert '<td data-testid="services-count">2</td>' in busy_row
    assert '<td data-testid="services-count">0</td>' in idle_row
    page = await client.get(f"/admin/clients/{account}")
    assert f'data-testid="services-count"><a href="/admin/services?account={account}">2</a>' in page.text
    api = await client.get("/api/v1/admin/clients")
    assert {c["id"]: c["services"] for c in api.json()["items"]} == {account: 2, idle: 0}
    assert (await client.get(f"/api/v1/admin/clients/{account}")).json()["services"] == 2


async def test_has_unpaid_invoices_filter(client, authz, login_as):
    store = await commerce.store()
    ids = {}
    for name, status in (("Owes Co", InvoiceStatus.UNPAID), ("Paid Co", InvoiceStatus.PAID), ("Empty Co", None)):
        owner = await f.user(authz, f"{name.split()[0].lower()}@example.com")
        ids[name] = await f.account(authz, name, owner)
        if status:
            await commerce.invoice(ids[name], store, f"N-{name}", status=status)
    await commerce.invoice(ids["Owes Co"], store, "N-2", status=InvoiceStatus.UNPAID)  # two: listed once
    found = await search_clients(ClientFilters(unpaid=True))
    assert [r.id for r in found.rows] == [ids["Owes Co"]] and found.total == 1
    assert (await search_clients(ClientFilters(unpaid=True, q="paid"))).total == 0
    assert (await search_clients(ClientFilters())).total == 3

    await f.user(authz, "admin@example.com", staff="admin")
    await login_as(client, "admin@example.com")
    page = await client.get("/admin/clients?unpaid=1")
    assert page.status_code == 200 and "1 client" in page.text
    assert f'data-client-id="{ids["Owes Co"]}"' in page.text and f'data-client-id="{ids["Paid Co"]}"' not in page.text
    assert 'name="unpaid" value="1" checked' in page.text
    api = await client.get("/api/v1/admin/clients?unpaid=true")
    assert [c["id"] for c in api.json()["items"]] == [ids["Owes Co"]]
