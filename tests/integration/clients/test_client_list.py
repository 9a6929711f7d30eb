"""The clients list: search, filters, paging, in pages and the API."""

from __future__ import annotations

import factories as f

from panel.core.accounts import services as accounts
from panel.core.accounts.tables import Account
from panel.core.clients.search import ClientFilters, like_pattern, search_clients
from panel.core.contacts import services as contacts


async def _provider(authz, make_store):
    main = await make_store("Main store", "main", default=True)
    acme = await make_store("Acme Reseller", "acme")
    people = {}
    for email, name, store, contact, company in (
        ("zoe@example.com", "Zeta Ltd", main, "Zoe Zimmer", ""),
        ("bob@bakery.example", "Bob's Bakery", acme, "Bob Baker", "Baker & Sons"),
        ("carl@example.com", "carl personal", main, "Carl Müller", "100%_Pure Agency"),
        ("dora@example.com", "Dora Design", acme, "Dora D.", ""),
    ):
        owner = await f.user(authz, email)
        account_id = await accounts.create_account(authz, name, owner, store)
        await contacts.save_primary(account_id, {"name": contact, "company": company, "email": email})
        people[name] = account_id
    await accounts.suspend(authz, people["Dora Design"])
    return main, acme, people


async def test_search_matches_name_owner_email_and_contacts_case_insensitively(client, authz, make_store):
    _, _, _people = await _provider(authz, make_store)

    async def names(q):
        return [r.name for r in (await search_clients(ClientFilters(q=q))).rows]

    assert await names("ZETA") == ["Zeta Ltd"]  # account name
    assert await names("BAKERY.EXAMPLE") == ["Bob's Bakery"]  # owner email
    assert await names("zimmer") == ["Zeta Ltd"]  # contact name
    assert await names("baker & sons") == ["Bob's Bakery"]  # contact company
    assert await names("100%_p") == ["carl personal"]  # % and _ are literal
    assert await names("%") == ["carl personal"] and await names("_") == ["carl personal"]
    assert await names("1000") == [] and await names("0%p") == [] and await names("e_c") == []
    assert await names("") == ["Bob's Bakery", "Dora Design", "Zeta Ltd", "carl personal"]


def test_like_pattern_escapes_only_when_needed():
    assert like_pattern("Ab") == ("%ab%", "")
    assert like_pattern("50%_x\\") == ("%50\\%\\_x\\\\%", " ESCAPE '\\'")


async def test_filters_and_paging_with_a_total(client, authz, make_store):
    main, acme, _people = await _provider(authz, make_store)
    acme_page = await search_clients(ClientFilters(store_id=acme))
    assert [r.name for r in acme_page.rows] == ["Bob's Bakery", "Dora Design"] and acme_page.total == 2
    suspended = await search_clients(ClientFilters(status="suspended"))
    assert [r.name for r in suspended.rows] == ["Dora Design"]
    both = await search_clients(ClientFilters(q="example.com", status="active", store_id=main))
    assert [r.name for r in both.rows] == ["Zeta Ltd", "carl personal"]
    first = await search_clients(ClientFilters(), limit=3, offset=0)
    second = await search_clients(ClientFilters(), limit=3, offset=3)
    assert (first.total, first.pages, len(first.rows), len(second.rows)) == (4, 2, 3, 1)
    assert second.page == 2 and second.rows[0].name == "carl personal"
    beyond = await search_clients(ClientFilters(q="a"), limit=3, offset=30)
    assert beyond.rows == [] and beyond.total == 4
    row = first.rows[0]
    assert (row.owner_email, row.store_name, row.status) == ("bob@bakery.example", "Acme Reseller", "active")


async def test_list_page_with_search_filters_and_htmx(client, authz, staff_login, make_store):
    _, acme, people = await _provider(authz, make_store)
    await staff_login(client, authz, "support")
    page = await client.get("/admin/clients")
    assert page.status_code == 200
    assert "4 clients" in page.text and "bob@bakery.example" in page.text and "Acme Reseller" in page.text
    assert 'href="/admin/clients/new"' not in page.text  # support cannot create
    found = await client.get("/admin/clients", params={"q": "zimmer"})
    assert f'data-client-id="{people["Zeta Ltd"]}"' in found.text and "Bob" not in found.text
    filtered = await client.get("/admin/clients", params={"status": "suspended", "store": str(acme)})
    assert "1 client<" in filtered.text and "Dora Design" in filtered.text
    hx = await client.get("/admin/clients", params={"q": "bob"}, headers={"hx-request": "true", "hx-target": "main"})
    assert hx.status_code == 200 and "<html" not in hx.text and "Bob&#39;s Bakery" in hx.text
    nav = await client.get("/admin")
    assert 'href="/admin/clients"' in nav.text


async def test_paging_links_keep_the_filters(client, authz, staff_login, make_store):
    store = await make_store("Main store", "main", default=True)
    owner = await f.user(authz, "many@example.com")
    for i in range(55):
        await Account.insert(Account(name=f"Client {i:03}", owner=owner, store=store))
    await staff_login(client, authz, "admin")
    first = await client.get("/admin/clients", params={"q": "client", "store": str(store)})
    assert "55 clients, page 1 of 2" in first.text
    assert f'href="/admin/clients?q=client&amp;store={store}&amp;page_no=2"' in first.text
    second = await client.get(f"/admin/clients?q=client&store={store}&page_no=2")
    assert "Client 054" in second.text and "Client 000" not in second.text


async def test_list_api_with_filters_and_paging(client, authz, staff_login, make_store):
    _, acme, _ = await _provider(authz, make_store)
    await staff_login(client, authz, "billing")
    answer = await client.get("/api/v1/admin/clients", params={"store": acme, "limit": 1})
    body = answer.json()
    assert answer.status_code == 200 and body["total"] == 2 and body["limit"] == 1
    assert [i["name"] for i in body["items"]] == ["Bob's Bakery"]
    assert body["items"][0]["owner_email"] == "bob@bakery.example"
    second = (await client.get("/api/v1/admin/clients", params={"store": acme, "limit": 1, "offset": 1})).json()
    assert [i["name"] for i in second["items"]] == ["Dora Design"]
    searched = (await client.get("/api/v1/admin/clients", params={"q": "müller"})).json()
    assert searched["total"] in (0, 1)  # non-ASCII case folding differs between engines; exact case always works
    exact = (await client.get("/api/v1/admin/clients", params={"q": "Müller"})).json()
    assert [i["name"] for i in exact["items"]] == ["carl personal"]


async def test_list_page_costs_the_same_queries_whatever_its_length(client, authz, staff_login, make_store):
    """No N+1: the page's queries do not grow with its rows."""
    from panel.core import db

    engine_class = type(db.engine())
    store = await make_store("Main store", "main", default=True)
    await staff_login(client, authz, "admin")

    calls = []
    original = engine_class.run_querystring

    async def counting(self, querystring, in_pool=True):
        sql = str(querystring)
        if "panel_grant_change" not in sql:  # the change feed is read once a second, whatever the page
            calls.append(sql[:60])
        return await original(self, querystring, in_pool=in_pool)

    async def queries_for_page():
        calls.clear()
        engine_class.run_querystring = counting
        try:
            assert (await client.get("/admin/clients", params={"q": "o"})).status_code == 200
        finally:
            engine_class.run_querystring = original
        return len(calls)

    owner = await f.user(authz, "few@example.com")
    await Account.insert(Account(name="Only one", owner=owner, store=store))
    few = await queries_for_page()
    for i in range(30):
        await Account.insert(Account(name=f"Another {i}", owner=owner, store=store))
    many = await queries_for_page()
    assert few == many, (few, many)
