"""Who may do what with clients: admin everything, support reads, billing reads and suspends, clients nothing."""

from __future__ import annotations

import factories as f
import pytest

from panel.core.accounts import services as accounts
from panel.core.accounts.tables import Account
from panel.core.contacts import services as contacts


async def _target(authz, make_store):
    store = await make_store("Main store", "main", default=True)
    owner = await f.user(authz, "target@example.com")
    account_id = await accounts.create_account(authz, "Target Co", owner, store)
    contact_id = await contacts.add_contact(account_id, {"name": "Extra", "email": "x@target.example"})
    return store, account_id, contact_id


def _page_writes(account_id, contact_id, store):
    """Every unsafe admin page route with a plausible body."""
    base = f"/admin/clients/{account_id}"
    return {
        "create": (
            "/admin/clients/new",
            {"login_email": "n@example.com", "password": "long enough pw", "name": "N", "store_id": str(store)},
        ),
        "update": (base, {"name": "Hacked", "store_id": str(store)}),
        "login": (f"{base}/login", {"login_email": "hacked@example.com"}),
        "password": (f"{base}/password", {"password": "hacked password"}),
        "details": (f"{base}/details", {"name": "Hacked", "email": "h@example.com"}),
        "add_contact": (f"{base}/contacts", {"name": "Hacked", "email": "h@example.com"}),
        "edit_contact": (f"{base}/contacts/{contact_id}", {"name": "Hacked", "email": "h@example.com"}),
        "delete_contact": (f"{base}/contacts/{contact_id}/delete", {}),
        "billing": (f"{base}/billing-contact", {"contact_id": str(contact_id)}),
        "suspend": (f"{base}/suspend", {}),
        "unsuspend": (f"{base}/unsuspend", {}),
        "delete": (f"{base}/delete", {}),
    }


async def _unchanged(account_id, contact_id):
    row = await Account.select(Account.name, Account.status).where(Account.id == account_id).first()
    assert row == {"name": "Target Co", "status": "active"}
    assert (await contacts.get_contact(account_id, contact_id)).name == "Extra"
    assert await contacts.primary_contact(account_id) is None


async def test_support_reads_but_changes_nothing(client, authz, staff_login, make_store):
    store, account_id, contact_id = await _target(authz, make_store)
    await staff_login(client, authz, "support")
    assert (await client.get("/admin/clients")).status_code == 200
    page = await client.get(f"/admin/clients/{account_id}")
    assert page.status_code == 200 and "target@example.com" in page.text
    assert '<form method="post" action="/admin/clients/' not in page.text  # nothing to change is offered
    assert (await client.get("/admin/clients/new")).status_code == 403
    assert (await client.get(f"/admin/clients/{account_id}/contacts/{contact_id}")).status_code == 403
    for name, (path, data) in _page_writes(account_id, contact_id, store).items():
        answer = await client.post(path, data={**data, "_csrf_token": f.csrf(client)})
        assert answer.status_code == 403, name
    await _unchanged(account_id, contact_id)
    # support may read contacts through the contacts API (policy line of the contacts feature)
    listed = await client.get(f"/api/v1/accounts/{account_id}/contacts")
    assert listed.status_code == 200 and listed.json()[0]["name"] == "Extra"


async def test_billing_suspends_and_reactivates_but_cannot_delete_or_edit(client, authz, staff_login, make_store):
    store, account_id, contact_id = await _target(authz, make_store)
    await staff_login(client, authz, "billing")
    page = await client.get(f"/admin/clients/{account_id}")
    assert f'action="/admin/clients/{account_id}/suspend"' in page.text
    assert f'action="/admin/clients/{account_id}/delete"' not in page.text
    assert f'action="/admin/clients/{account_id}/login"' not in page.text
    writes = _page_writes(account_id, contact_id, store)
    for name, (path, data) in writes.items():
        if name in ("suspend", "unsuspend"):
            continue
        answer = await client.post(path, data={**data, "_csrf_token": f.csrf(client)})
        assert answer.status_code == 403, name
    await _unchanged(account_id, contact_id)
    headers = {"x-csrftoken": f.csrf(client)}
    assert (await client.delete(f"/api/v1/admin/clients/{account_id}", headers=headers)).status_code == 403
    assert (
        await client.patch(f"/api/v1/admin/clients/{account_id}", json={"name": "X"}, headers=headers)
    ).status_code == 403
    assert (
        await client.post(f"/admin/clients/{account_id}/suspend", data={"_csrf_token": f.csrf(client)})
    ).status_code == 200
    assert (await Account.select(Account.status).where(Account.id == account_id).first())["status"] == "suspended"
    assert (await client.post(f"/api/v1/admin/clients/{account_id}/unsuspend", headers=headers)).status_code == 200
    assert (await Account.select(Account.status).where(Account.id == account_id).first())["status"] == "active"


async def test_support_cannot_suspend_create_or_delete_through_the_api(client, authz, staff_login, make_store):
    store, account_id, _ = await _target(authz, make_store)
    await staff_login(client, authz, "support")
    headers = {"x-csrftoken": f.csrf(client)}
    assert (await client.get("/api/v1/admin/clients")).status_code == 200
    assert (await client.get(f"/api/v1/admin/clients/{account_id}")).status_code == 200
    create = await client.post(
        "/api/v1/admin/clients",
        json={
            "login_email": "s@example.com",
            "password": "long enough pw",
            "store_id": store,
            "contact": {"name": "S"},
        },
        headers=headers,
    )
    assert create.status_code == 403
    for method, path in (
        ("post", f"/api/v1/admin/clients/{account_id}/suspend"),
        ("post", f"/api/v1/admin/clients/{account_id}/unsuspend"),
        ("delete", f"/api/v1/admin/clients/{account_id}"),
        ("patch", f"/api/v1/admin/clients/{account_id}"),
    ):
        kwargs = {"json": {"name": "X"}} if method == "patch" else {}
        answer = await getattr(client, method)(path, headers=headers, **kwargs)
        assert answer.status_code == 403, path


@pytest.mark.parametrize("as_owner_of_target", [False, True])
async def test_a_client_gets_403_on_every_admin_clients_route(client, authz, make_store, as_owner_of_target):
    store, account_id, contact_id = await _target(authz, make_store)
    email = "target@example.com" if as_owner_of_target else "someone@example.com"
    if not as_owner_of_target:
        other = await f.user(authz, email)
        await f.account(authz, "Someone", other)
    await f.login(client, email)
    reads = [
        "/admin/clients",
        "/admin/clients/new",
        f"/admin/clients/{account_id}",
        f"/admin/clients/{account_id}/contacts/{contact_id}",
        "/api/v1/admin/clients",
        f"/api/v1/admin/clients/{account_id}",
    ]
    for path in reads:
        answer = await client.get(path)
        assert answer.status_code == 403, path
        assert "target@example.com" not in answer.text
    for name, (path, data) in _page_writes(account_id, contact_id, store).items():
        assert (await client.post(path, data={**data, "_csrf_token": f.csrf(client)})).status_code == 403, name
    headers = {"x-csrftoken": f.csrf(client)}
    for method, path in (
        ("post", "/api/v1/admin/clients"),
        ("post", f"/api/v1/admin/clients/{account_id}/suspend"),
        ("post", f"/api/v1/admin/clients/{account_id}/unsuspend"),
        ("delete", f"/api/v1/admin/clients/{account_id}"),
        ("patch", f"/api/v1/admin/clients/{account_id}"),
    ):
        answer = await client.request(method.upper(), path, headers=headers, json={"login_email": "x@example.com"})
        assert answer.status_code == 403, path
    await _unchanged(account_id, contact_id)
    nav = await client.get("/")
    assert 'href="/admin/clients"' not in nav.text


EXPECTED_ROUTES = {
    ("GET", "/admin/clients"),
    ("GET", "/admin/clients/new"),
    ("POST", "/admin/clients/new"),
    ("GET", "/admin/clients/{account_id:int}"),
    ("POST", "/admin/clients/{account_id:int}"),
    ("POST", "/admin/clients/{account_id:int}/login"),
    ("POST", "/admin/clients/{account_id:int}/password"),
    ("POST", "/admin/clients/{account_id:int}/details"),
    ("POST", "/admin/clients/{account_id:int}/contacts"),
    ("GET", "/admin/clients/{account_id:int}/contacts/{contact_id:int}"),
    ("POST", "/admin/clients/{account_id:int}/contacts/{contact_id:int}"),
    ("POST", "/admin/clients/{account_id:int}/contacts/{contact_id:int}/delete"),
    ("POST", "/admin/clients/{account_id:int}/billing-contact"),
    ("POST", "/admin/clients/{account_id:int}/suspend"),
    ("POST", "/admin/clients/{account_id:int}/unsuspend"),
    ("POST", "/admin/clients/{account_id:int}/delete"),
    ("GET", "/api/v1/admin/clients"),
    ("POST", "/api/v1/admin/clients"),
    ("GET", "/api/v1/admin/clients/{account_id:int}"),
    ("PATCH", "/api/v1/admin/clients/{account_id:int}"),
    ("DELETE", "/api/v1/admin/clients/{account_id:int}"),
    ("POST", "/api/v1/admin/clients/{account_id:int}/suspend"),
    ("POST", "/api/v1/admin/clients/{account_id:int}/unsuspend"),
}


async def test_every_clients_route_is_covered_by_the_deny_tests(app):
    """A new admin route must be added to the tests above; each declares a platform permission."""
    from panel.core.authz.guard import OPT_KEY, Requires, _is_automatic_options

    seen = set()
    for route in app.routes:
        if not route.path.startswith(("/admin/clients", "/api/v1/admin/clients")):
            continue
        for handler in getattr(route, "route_handlers", []):
            if _is_automatic_options(handler):
                continue
            spec = handler.opt.get(OPT_KEY)
            assert isinstance(spec, Requires) and spec.scope == "platform", route.path
            seen |= {(method, route.path) for method in handler.http_methods}
    assert seen == EXPECTED_ROUTES
