"""The contacts API: /api/v1/accounts/{account_id}/contacts[/{id}]."""

from __future__ import annotations

import factories as f

from panel.core.contacts import services
from panel.core.contacts.tables import Contact


async def _token(client, email):
    await f.login(client, email)
    made = await client.post("/api/v1/tokens", json={"name": "t"}, headers={"x-csrftoken": f.csrf(client)})
    client.cookies.clear()
    return {"authorization": f"Bearer {made.json()['token']}"}


async def test_owner_creates_lists_updates_and_deletes_contacts_with_a_token(client, authz):
    owner = await f.user(authz, "api@example.com")
    account = await f.account(authz, "Api Co", owner)
    auth = await _token(client, "api@example.com")
    base = f"/api/v1/accounts/{account}/contacts"

    primary = await client.post(
        base, json={"name": "Api Owner", "email": "o@api.example", "country": "NL", "is_primary": True}, headers=auth
    )
    assert primary.status_code == 201, primary.text
    assert primary.json()["is_primary"] and primary.json()["is_billing"]
    twice = await client.post(base, json={"name": "Again", "email": "a@api.example", "is_primary": True}, headers=auth)
    assert twice.status_code == 409

    agency = await client.post(
        base,
        json={"name": "Agency", "email": "inv@agency.example", "vat_id": "NL123456789B01", "is_billing": True},
        headers=auth,
    )
    assert agency.status_code == 201 and agency.json()["is_billing"]
    listed = (await client.get(base, headers=auth)).json()
    assert [c["name"] for c in listed] == ["Api Owner", "Agency"]
    assert [c["is_billing"] for c in listed] == [False, True]

    agency_id = agency.json()["id"]
    changed = await client.put(
        f"{base}/{agency_id}", json={"name": "Agency BV", "email": "inv@agency.example"}, headers=auth
    )
    assert changed.status_code == 200 and changed.json()["name"] == "Agency BV"
    own = await client.put(
        f"{base}/{primary.json()['id']}",
        json={"name": "Owner 2", "email": "o@api.example", "is_billing": True},
        headers=auth,
    )
    assert own.status_code == 200 and own.json()["is_billing"]
    assert (await services.billing_contact(account)).name == "Owner 2"

    assert (await client.delete(f"{base}/{agency_id}", headers=auth)).status_code == 204
    refused = await client.delete(f"{base}/{primary.json()['id']}", headers=auth)
    assert refused.status_code == 409
    assert (await client.get(f"{base}/{agency_id}", headers=auth)).status_code == 404


async def test_invalid_body_is_422_with_field_errors_and_nothing_saved(client, authz):
    owner = await f.user(authz, "bad@example.com")
    account = await f.account(authz, "Bad Co", owner)
    auth = await _token(client, "bad@example.com")
    answer = await client.post(
        f"/api/v1/accounts/{account}/contacts",
        json={"name": "", "email": "no", "country": "ZZ", "vat_id": "DE1"},
        headers=auth,
    )
    assert answer.status_code == 422
    assert set(answer.json()["errors"]) == {"name", "email", "country"}
    assert await Contact.count() == 0


async def test_cross_account_ids_are_403_or_404_never_data(client, authz):
    alice = await f.user(authz, "alice@example.com")
    mine = await f.account(authz, "Alice Co", alice)
    bob = await f.user(authz, "bob@example.com")
    theirs = await f.account(authz, "Bob Co", bob)
    secret = await services.add_contact(theirs, {"name": "Bob Secret", "email": "s@bob.example"})
    auth = await _token(client, "alice@example.com")

    for answer in (
        await client.get(f"/api/v1/accounts/{theirs}/contacts", headers=auth),
        await client.get(f"/api/v1/accounts/{theirs}/contacts/{secret}", headers=auth),
        await client.put(
            f"/api/v1/accounts/{theirs}/contacts/{secret}", json={"name": "X", "email": "x@x.example"}, headers=auth
        ),
        await client.delete(f"/api/v1/accounts/{theirs}/contacts/{secret}", headers=auth),
        await client.post(f"/api/v1/accounts/{theirs}/contacts", json={"name": "X", "email": "x@x.ex"}, headers=auth),
    ):
        assert answer.status_code == 403 and "Bob Secret" not in answer.text
    # their contact id through my own account: not found
    for answer in (
        await client.get(f"/api/v1/accounts/{mine}/contacts/{secret}", headers=auth),
        await client.put(
            f"/api/v1/accounts/{mine}/contacts/{secret}", json={"name": "X", "email": "x@x.example"}, headers=auth
        ),
        await client.delete(f"/api/v1/accounts/{mine}/contacts/{secret}", headers=auth),
    ):
        assert answer.status_code == 404 and "Bob Secret" not in answer.text
    assert (await services.get_contact(theirs, secret)).name == "Bob Secret"


async def test_member_permissions_in_the_api(client, authz):
    owner = await f.user(authz, "o@example.com")
    prof = await f.user(authz, "prof@example.com")
    cont = await f.user(authz, "cont@example.com")
    plain = await f.user(authz, "plain@example.com")
    account = await f.account(authz, "Shop", owner, {prof: ["profile"], cont: ["contacts"], plain: ["invoices"]})
    primary = await services.save_primary(account, {"name": "Shop Owner", "email": "o@shop.example"})
    extra = await services.add_contact(account, {"name": "Extra", "email": "e@shop.example"})
    base = f"/api/v1/accounts/{account}/contacts"

    auth = await _token(client, "plain@example.com")
    assert (await client.get(base, headers=auth)).status_code == 403
    assert (await client.get(f"{base}/{primary}", headers=auth)).status_code == 403

    auth = await _token(client, "prof@example.com")
    assert (await client.get(base, headers=auth)).status_code == 200
    ok = await client.put(f"{base}/{primary}", json={"name": "Renamed", "email": "o@shop.example"}, headers=auth)
    assert ok.status_code == 200
    no = await client.put(f"{base}/{extra}", json={"name": "Nope", "email": "e@shop.example"}, headers=auth)
    assert no.status_code == 403
    assert (await client.post(base, json={"name": "N", "email": "n@shop.example"}, headers=auth)).status_code == 403

    auth = await _token(client, "cont@example.com")
    no = await client.put(f"{base}/{primary}", json={"name": "Hacked", "email": "o@shop.example"}, headers=auth)
    assert no.status_code == 403
    ok = await client.put(f"{base}/{extra}", json={"name": "Extra 2", "email": "e@shop.example"}, headers=auth)
    assert ok.status_code == 200
    assert (await services.primary_contact(account)).name == "Renamed"


async def test_suspended_account_closes_the_contacts_api_for_its_members(client, authz):
    from panel.core.accounts import services as accounts

    owner = await f.user(authz, "sus@example.com")
    account = await f.account(authz, "Sus Co", owner)
    await f.account(authz, "Other Co", owner)  # keeps the owner able to log in
    auth = await _token(client, "sus@example.com")
    assert (await client.get(f"/api/v1/accounts/{account}/contacts", headers=auth)).status_code == 200
    await accounts.suspend(authz, account)
    assert (await client.get(f"/api/v1/accounts/{account}/contacts", headers=auth)).status_code == 403
