"""One client in the admin area: details, edits, login email, password, contacts, delete."""

from __future__ import annotations

import factories as f

from panel.core.accounts import services as accounts
from panel.core.accounts.tables import Account, Membership
from panel.core.auth import services as auth
from panel.core.auth.tables import Session, User
from panel.core.clients import services
from panel.core.contacts import services as contacts
from panel.core.contacts.tables import Contact


async def _client(authz, make_store, email="cli@example.com", name="Client Co"):
    store = await make_store("Main store", "main", default=True)
    owner = await f.user(authz, email)
    clerk = await f.user(authz, "clerk@example.com")
    account_id = await accounts.create_account(authz, name, owner, store)
    await accounts.add_member(authz, account_id, clerk, ["invoices", "tickets"])
    await contacts.save_primary(account_id, {"name": "Cli Owner", "email": email, "country": "FR"})
    return store, owner, clerk, account_id


async def test_client_page_shows_owner_members_permissions_contacts_and_store(client, authz, staff_login, make_store):
    _, _, _, account_id = await _client(authz, make_store)
    await contacts.add_contact(account_id, {"name": "Agency", "email": "a@agency.example"}, billing=True)
    await staff_login(client, authz, "admin")
    page = await client.get(f"/admin/clients/{account_id}")
    assert page.status_code == 200
    text = page.text
    assert 'data-testid="owner-email">cli@example.com' in text
    assert "clerk@example.com" in text and "invoices, tickets" in text
    assert "Cli Owner" in text and "France" in text and "Agency" in text and "Main store" in text
    assert '<span class="tag">billing</span>' in text.split("Agency")[1].split("</tr>")[0]
    for action in ("/login", "/password", "/details", "/contacts", "/suspend", "/delete"):
        assert f'action="/admin/clients/{account_id}{action}"' in text, action
    assert (await client.get("/admin/clients/999999")).status_code == 404


async def test_admin_edits_name_store_and_contacts(client, authz, staff_login, make_store):
    _, _, _, account_id = await _client(authz, make_store)
    other = await make_store("Acme", "acme")
    await staff_login(client, authz, "admin")
    token = f.csrf(client)
    saved = await client.post(
        f"/admin/clients/{account_id}",
        data={"name": "Renamed Co", "store_id": str(other), "_csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    row = await Account.select(Account.name, Account.store).where(Account.id == account_id).first()
    assert (row["name"], row["store"]) == ("Renamed Co", other)
    bad = await client.post(
        f"/admin/clients/{account_id}", data={"name": " ", "store_id": "424242", "_csrf_token": token}
    )
    assert bad.status_code == 422
    assert 'id="client-name-error"' in bad.text and 'id="client-store-error"' in bad.text
    assert (await Account.select(Account.name).where(Account.id == account_id).first())["name"] == "Renamed Co"

    details = await client.post(
        f"/admin/clients/{account_id}/details",
        data={
            "name": "Cli Owner",
            "email": "cli@example.com",
            "vat_id": "FR12345678901",
            "country": "FR",
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert details.status_code == 303
    assert (await contacts.primary_contact(account_id)).vat_id == "FR12345678901"
    bad = await client.post(
        f"/admin/clients/{account_id}/details", data={"name": "", "email": "", "_csrf_token": token}
    )
    assert bad.status_code == 422 and 'id="own-name-error"' in bad.text

    added = await client.post(
        f"/admin/clients/{account_id}/contacts",
        data={"name": "Tech", "email": "tech@example.com", "billing": "yes", "_csrf_token": token},
        follow_redirects=False,
    )
    assert added.status_code == 303
    tech = next(c for c in await contacts.list_contacts(account_id) if c.name == "Tech")
    assert tech.is_billing
    edit = await client.get(f"/admin/clients/{account_id}/contacts/{tech.id}")
    assert edit.status_code == 200 and 'value="tech@example.com"' in edit.text
    await client.post(
        f"/admin/clients/{account_id}/contacts/{tech.id}",
        data={"name": "Tech Team", "email": "tech@example.com", "_csrf_token": token},
    )
    assert (await contacts.get_contact(account_id, tech.id)).name == "Tech Team"
    primary = await contacts.primary_contact(account_id)
    await client.post(
        f"/admin/clients/{account_id}/billing-contact", data={"contact_id": primary.id, "_csrf_token": token}
    )
    assert (await contacts.billing_contact(account_id)).id == primary.id
    await client.post(f"/admin/clients/{account_id}/contacts/{tech.id}/delete", data={"_csrf_token": token})
    assert [c.name for c in await contacts.list_contacts(account_id)] == ["Cli Owner"]


async def test_contact_of_another_client_is_not_found_through_this_client(client, authz, staff_login, make_store):
    _, _, _, account_id = await _client(authz, make_store)
    other_owner = await f.user(authz, "other@example.com")
    other = await accounts.create_account(authz, "Other Co", other_owner)
    theirs = await contacts.add_contact(other, {"name": "Theirs", "email": "t@example.com"})
    await staff_login(client, authz, "admin")
    token = f.csrf(client)
    assert (await client.get(f"/admin/clients/{account_id}/contacts/{theirs}")).status_code == 404
    moved = await client.post(
        f"/admin/clients/{account_id}/contacts/{theirs}",
        data={"name": "X", "email": "x@example.com", "_csrf_token": token},
    )
    assert moved.status_code == 404
    assert (
        await client.post(f"/admin/clients/{account_id}/contacts/{theirs}/delete", data={"_csrf_token": token})
    ).status_code == 404
    assert (await contacts.get_contact(other, theirs)).name == "Theirs"


async def test_change_login_email_unique_and_validated(client, authz, staff_login, make_store):
    _, owner, _, account_id = await _client(authz, make_store)
    await f.user(authz, "taken@example.com")
    await staff_login(client, authz, "admin")
    token = f.csrf(client)
    taken = await client.post(
        f"/admin/clients/{account_id}/login", data={"login_email": "TAKEN@example.com", "_csrf_token": token}
    )
    assert taken.status_code == 422 and 'id="login_email-error"' in taken.text and "already" in taken.text
    invalid = await client.post(
        f"/admin/clients/{account_id}/login", data={"login_email": "nope", "_csrf_token": token}
    )
    assert invalid.status_code == 422
    ok = await client.post(
        f"/admin/clients/{account_id}/login",
        data={"login_email": " New@Example.com ", "_csrf_token": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert (await User.select(User.email).where(User.id == owner).first())["email"] == "new@example.com"
    client.cookies.clear()
    assert (await f.login(client, "new@example.com")).status_code == 303


async def test_set_password_checks_strength_and_ends_the_owners_sessions(client, authz, staff_login, make_store):
    _, owner, _, account_id = await _client(authz, make_store)
    await f.login(client, "cli@example.com")
    assert await Session.count().where(Session.user == owner) == 1
    await staff_login(client, authz, "admin")
    token = f.csrf(client)
    weak = await client.post(f"/admin/clients/{account_id}/password", data={"password": "short", "_csrf_token": token})
    assert weak.status_code == 422 and 'id="password-error"' in weak.text
    ok = await client.post(
        f"/admin/clients/{account_id}/password",
        data={"password": "brand new secret", "_csrf_token": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert await Session.count().where(Session.user == owner) == 0
    client.cookies.clear()
    assert (await f.login(client, "cli@example.com")).status_code == 422
    assert (await f.login(client, "cli@example.com", "brand new secret")).status_code == 303


async def test_delete_removes_account_memberships_contacts_grants_and_the_lone_owner(
    client, authz, staff_login, make_store
):
    _, owner, clerk, account_id = await _client(authz, make_store)
    await staff_login(client, authz, "admin")
    deleted = await client.post(
        f"/admin/clients/{account_id}/delete", data={"_csrf_token": f.csrf(client)}, follow_redirects=False
    )
    assert deleted.status_code == 303 and deleted.headers["location"] == "/admin/clients?done=deleted"
    assert not await Account.exists().where(Account.id == account_id)
    assert not await Membership.exists().where(Membership.account == account_id)
    assert not await Contact.exists().where(Contact.account == account_id)
    assert authz.grants_in(f"acct:{account_id}") == []
    assert not await User.exists().where(User.id == owner)  # belonged nowhere else
    assert await User.exists().where(User.id == clerk)  # other members keep their login
    assert (await client.get(f"/admin/clients/{account_id}")).status_code == 404


async def test_delete_keeps_an_owner_who_has_other_accounts(client, authz, staff_login, make_store):
    _, owner, _, account_id = await _client(authz, make_store)
    keep = await accounts.create_account(authz, "Owner's other", owner)
    await staff_login(client, authz, "admin")
    answer = await client.delete(f"/api/v1/admin/clients/{account_id}", headers={"x-csrftoken": f.csrf(client)})
    assert answer.status_code == 200 and answer.json() == {"deleted": account_id, "owner_deleted": False}
    assert await User.exists().where(User.id == owner)
    assert [a.id for a in await accounts.accounts_of(owner)] == [keep]
    assert accounts.permissions_of(authz, owner, keep) == ["owner"]


async def test_delete_is_refused_with_the_reasons_and_changes_nothing(
    client, authz, staff_login, make_store, row_counts, monkeypatch
):
    _, _, _, account_id = await _client(authz, make_store)

    async def blockers(account):
        assert account == account_id
        return ["it has 2 active services", "1 invoice is unpaid"]

    monkeypatch.setattr(services, "deletion_blockers", blockers)
    await staff_login(client, authz, "admin")
    before = await row_counts()
    page = await client.post(f"/admin/clients/{account_id}/delete", data={"_csrf_token": f.csrf(client)})
    assert page.status_code == 409
    assert 'data-testid="delete-refused"' in page.text
    assert "it has 2 active services" in page.text and "1 invoice is unpaid" in page.text
    api = await client.delete(f"/api/v1/admin/clients/{account_id}", headers={"x-csrftoken": f.csrf(client)})
    assert api.status_code == 409
    assert api.json()["reasons"] == ["it has 2 active services", "1 invoice is unpaid"]
    assert "cannot be deleted" in api.json()["detail"]
    assert await row_counts() == before


async def test_deletion_blockers_is_empty_today(client, authz, make_store):
    _, _, _, account_id = await _client(authz, make_store)
    assert await services.deletion_blockers(account_id) == []


async def test_api_reads_and_patches_a_client(client, authz, staff_login, make_store):
    store, owner, _, account_id = await _client(authz, make_store)
    other = await make_store("Acme", "acme")
    await f.user(authz, "taken@example.com")
    await staff_login(client, authz, "admin")
    headers = {"x-csrftoken": f.csrf(client)}
    got = (await client.get(f"/api/v1/admin/clients/{account_id}")).json()
    assert got["owner_email"] == "cli@example.com" and got["store_id"] == store
    assert {m["email"]: m["permissions"] for m in got["members"]} == {
        "cli@example.com": [],
        "clerk@example.com": ["invoices", "tickets"],
    }
    bad = await client.patch(
        f"/api/v1/admin/clients/{account_id}",
        json={"name": "", "login_email": "taken@example.com", "password": "x"},
        headers=headers,
    )
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"name", "login_email", "password"}
    half = await client.patch(
        f"/api/v1/admin/clients/{account_id}",
        json={"name": "Fine Name", "login_email": "taken@example.com"},
        headers=headers,
    )
    assert half.status_code == 422
    assert (await Account.select(Account.name).where(Account.id == account_id).first())["name"] == "Client Co"
    ok = await client.patch(
        f"/api/v1/admin/clients/{account_id}",
        json={
            "name": "Patched",
            "store_id": other,
            "login_email": "patched@example.com",
            "password": "patched password",
        },
        headers=headers,
    )
    assert ok.status_code == 200, ok.text
    assert (ok.json()["name"], ok.json()["store_id"], ok.json()["owner_email"]) == (
        "Patched",
        other,
        "patched@example.com",
    )
    assert await auth.user_id_by_email("patched@example.com") == owner
    assert (await client.get("/api/v1/admin/clients/424242")).status_code == 404
