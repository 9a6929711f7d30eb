"""Creating a client in the admin area: user + account + own details in one transaction."""

from __future__ import annotations

import factories as f

from panel.core.accounts import services as accounts
from panel.core.auth import services as auth
from panel.core.contacts import services as contacts


def _grants_in_memory(authz):
    return sorted((ptype, *link) for ptype, rm in authz._state.role_managers.items() for link in rm.links())


FORM = {
    "login_email": "New.Client@Example.com",
    "password": "a long enough password",
    "name": "Nina Novak",
    "company": "Novak Hosting s.r.o.",
    "phone": "+420 222 333 444",
    "address1": "Václavské nám. 1",
    "city": "Praha",
    "postcode": "110 00",
    "country": "CZ",
    "vat_id": "CZ12345678",
}


async def test_admin_creates_a_client_without_javascript(client, authz, staff_login, make_store):
    main = await make_store("Main store", "main", default=True)
    acme = await make_store("Acme Reseller", "acme")
    await staff_login(client, authz, "admin")
    form = await client.get("/admin/clients/new")
    assert form.status_code == 200
    assert f'<option value="{main}" selected>' in form.text  # the default store is preselected
    created = await client.post(
        "/admin/clients/new",
        data={**FORM, "store_id": str(acme), "_csrf_token": f.csrf(client)},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    account_id = int(created.headers["location"].split("/")[3].split("?")[0])
    user_id = await auth.user_id_by_email("new.client@example.com")
    assert user_id is not None
    summary = await accounts.get_account(account_id)
    assert summary.name == "Novak Hosting s.r.o."  # the company names the account
    assert accounts.permissions_of(authz, user_id, account_id) == ["owner"]
    own = await contacts.primary_contact(account_id)
    assert own is not None and own.email == "new.client@example.com" and own.is_billing
    page = await client.get(created.headers["location"])
    assert "The client was created." in page.text and "Acme Reseller" in page.text
    # the new client can log in with the password staff chose
    client.cookies.clear()
    assert (await f.login(client, "new.client@example.com", FORM["password"])).status_code == 303


async def test_invalid_input_shows_every_problem_and_creates_nothing(
    client, authz, staff_login, make_store, row_counts
):
    await make_store("Main store", "main", default=True)
    await staff_login(client, authz, "admin")
    before = await row_counts()
    bad = {
        **FORM,
        "login_email": "not-an-email",
        "password": "short",
        "name": "",
        "country": "QQ",
        "vat_id": "CZ1",
        "phone": "ring ring",
        "store_id": "",
        "_csrf_token": f.csrf(client),
    }
    answer = await client.post("/admin/clients/new", data=bad)
    assert answer.status_code == 422
    for field in ("login_email", "password", "store_id"):
        assert f'id="{field}-error"' in answer.text, field
    for field in ("name", "country", "phone"):
        assert f'id="contact-{field}-error"' in answer.text, field
    assert "Nothing was created" in answer.text
    assert 'value="Novak Hosting s.r.o."' in answer.text  # typed values are kept
    assert "a long enough password" not in answer.text and 'value="short"' not in answer.text
    assert await row_counts() == before


async def test_failure_inside_the_transaction_leaves_nothing_half_made(
    client, authz, staff_login, make_store, row_counts, monkeypatch
):
    from panel.core.clients import services

    store = await make_store("Main store", "main", default=True)
    await staff_login(client, authz, "admin")
    before = await row_counts()
    grants_before = _grants_in_memory(authz)

    async def broken(account_id, data):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services.contacts, "save_primary", broken)
    answer = await client.post(
        "/admin/clients/new", data={**FORM, "store_id": str(store), "_csrf_token": f.csrf(client)}
    )
    assert answer.status_code == 500
    assert await row_counts() == before
    assert await auth.user_id_by_email("new.client@example.com") is None
    # memory was rolled back with the database: no grant survived for a vanished account
    assert _grants_in_memory(authz) == grants_before


async def test_existing_user_must_be_linked_on_purpose(client, authz, staff_login, make_store, row_counts):
    store = await make_store("Main store", "main", default=True)
    alice = await f.user(authz, "alice@example.com")
    await f.account(authz, "Alice Personal", alice)
    await staff_login(client, authz, "admin")
    before = await row_counts()
    data = {**FORM, "login_email": "alice@example.com", "password": "", "store_id": str(store)}
    refused = await client.post("/admin/clients/new", data={**data, "_csrf_token": f.csrf(client)})
    assert refused.status_code == 422 and "A user with this email exists" in refused.text
    assert await row_counts() == before
    linked = await client.post(
        "/admin/clients/new",
        data={**data, "link_existing": "yes", "_csrf_token": f.csrf(client)},
        follow_redirects=False,
    )
    assert linked.status_code == 303
    mine = {a.name: a for a in await accounts.accounts_of(alice)}
    assert set(mine) == {"Alice Personal", "Novak Hosting s.r.o."}
    assert mine["Novak Hosting s.r.o."].is_owner
    # linking an unknown email is refused too
    unknown = await client.post(
        "/admin/clients/new",
        data={**data, "login_email": "ghost@example.com", "link_existing": "yes", "_csrf_token": f.csrf(client)},
    )
    assert unknown.status_code == 422 and "No user has this email" in unknown.text


async def test_api_creates_a_client_and_reports_field_errors(client, authz, staff_login, make_store, row_counts):
    store = await make_store("Main store", "main", default=True)
    await staff_login(client, authz, "admin")
    headers = {"x-csrftoken": f.csrf(client)}
    before = await row_counts()
    bad = await client.post(
        "/api/v1/admin/clients",
        json={"login_email": "x@example.com", "password": "short", "store_id": 999, "contact": {"name": ""}},
        headers=headers,
    )
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"password", "store_id", "name"}
    assert await row_counts() == before
    made = await client.post(
        "/api/v1/admin/clients",
        json={
            "login_email": "api.client@example.com",
            "password": "long enough pass",
            "store_id": store,
            "account_name": "Api Client",
            "contact": {"name": "Api Person", "country": "us"},
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["name"] == "Api Client" and body["owner_email"] == "api.client@example.com"
    assert body["store_name"] == "Main store"
    assert body["contacts"][0]["country"] == "US" and body["contacts"][0]["email"] == "api.client@example.com"
    assert body["members"] == [
        {
            "user_id": body["owner_id"],
            "email": "api.client@example.com",
            "name": "Api Person",
            "is_owner": True,
            "permissions": [],
        }
    ]


async def test_create_form_with_htmx_gets_a_fragment_then_a_redirect(client, authz, staff_login, make_store):
    store = await make_store("Main store", "main", default=True)
    await staff_login(client, authz, "admin")
    hx = {"hx-request": "true", "hx-target": "main", "x-csrftoken": f.csrf(client)}
    bad = await client.post("/admin/clients/new", data={**FORM, "password": "", "store_id": str(store)}, headers=hx)
    assert bad.status_code == 422 and "<html" not in bad.text and 'id="password-error"' in bad.text
    good = await client.post("/admin/clients/new", data={**FORM, "store_id": str(store)}, headers=hx)
    assert good.status_code == 204 and good.headers["hx-redirect"].endswith("?done=created")
