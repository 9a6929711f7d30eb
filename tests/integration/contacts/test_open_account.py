"""A logged-in user opens another account from the account switcher (or the API)."""

from __future__ import annotations

import factories as f

from panel.core.accounts.tables import Account, Membership
from panel.core.contacts import services as contacts
from panel.core.stores.tables import Store

DETAILS = {"name": "Bea Client", "email": "bea@client.example", "country": "fr", "company": "Client SARL"}


async def _store(slug: str) -> int:
    row = await Store.insert(Store(name=slug.title(), slug=slug)).returning(Store.id)
    return int(row[0]["id"])


async def test_a_user_opens_another_account_in_the_store_they_buy_from(client, authz):
    owner = await f.user(authz, "agency@example.com")
    first = await f.account(authz, "Agency", owner)
    reseller_store = await _store("resell")
    await Account.update({Account.store: reseller_store}).where(Account.id == first)
    await f.login(client, "agency@example.com")

    form = await client.get("/accounts/new")
    made = await client.post(
        "/accounts/new",
        data={"account_name": "Client SARL", **DETAILS, "_csrf_token": f.csrf(client)},
        follow_redirects=False,
    )

    assert form.status_code == 200 and 'name="account_name"' in form.text
    assert made.status_code == 303 and made.headers["location"] == "/"
    new = await Account.select().where(Account.name == "Client SARL").first()
    assert new["owner"] == owner and new["store"] == reseller_store
    assert await Membership.exists().where((Membership.user == owner) & (Membership.account == new["id"]))
    primary = await contacts.billing_contact(new["id"])
    assert primary is not None and (primary.name, primary.country) == ("Bea Client", "FR")
    home = await client.get("/")
    assert 'data-testid="current-account">Client SARL<' in home.text
    # the first account's contacts and the new one's never mix
    assert await contacts.list_contacts(first) == []


async def test_bad_details_are_shown_beside_their_fields_and_nothing_is_created(client, authz):
    owner = await f.user(authz, "agency@example.com")
    await f.account(authz, "Agency", owner)
    await f.login(client, "agency@example.com")
    before = await Account.count()

    answer = await client.post(
        "/accounts/new",
        data={"account_name": "x" * 201, **DETAILS, "country": "XX", "_csrf_token": f.csrf(client)},
    )

    assert answer.status_code == 422
    assert 'id="new-account_name-error"' in answer.text and "Use at most 200 characters." in answer.text
    assert 'id="new-country-error"' in answer.text
    assert 'value="bea@client.example"' in answer.text  # what was typed is kept
    assert await Account.count() == before


async def test_the_api_opens_an_account_and_reports_problems_by_field(client, authz):
    await f.user(authz, "api@example.com")
    await f.login(client, "api@example.com")
    headers = {"x-csrftoken": f.csrf(client)}

    bad = await client.post("/api/v1/accounts", json={"account_name": "", "contact": {}}, headers=headers)
    unnamed = await client.post("/api/v1/accounts", json={"account_name": " ", "contact": DETAILS}, headers=headers)
    good = await client.post(
        "/api/v1/accounts", json={"account_name": "Side Project", "contact": DETAILS}, headers=headers
    )

    assert bad.status_code == 422 and {"name", "email"} <= set(bad.json()["errors"])
    assert unnamed.status_code == 201 and unnamed.json()["name"] == "Client SARL"  # named after the company
    assert good.status_code == 201 and good.json()["name"] == "Side Project"
    assert (await Account.select(Account.owner).where(Account.id == good.json()["id"]).first())["owner"]


async def test_a_visitor_cannot_open_an_account_this_way(client):
    assert (await client.get("/accounts/new", follow_redirects=False)).status_code in (302, 303, 401)
    assert (await client.post("/api/v1/accounts", json={"account_name": "X", "contact": DETAILS})).status_code in (
        401,
        403,
    )
