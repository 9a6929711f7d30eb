"""Client-area search: each kind only for members who may list it, only the current account, pages and API.

Knowledgebase articles in the search box: `test_search_articles.py`.
"""

from __future__ import annotations

import re

import factories as f
import pytest
from services import commerce

from panel.core.accounts import services as accounts
from panel.core.contacts import services as contacts

WORD = "zebra"


async def _account_full_of_zebras(authz, owner_email="owner@example.com", name="Zoo Co"):
    """An account whose service, invoice, order, contact and member all contain WORD."""
    owner = await f.user(authz, owner_email)
    account = await f.account(authz, name, owner)
    store = await commerce.store(f"{name} store")
    plan = await commerce.product("core.hosting_plan", "Hosting")
    service = await commerce.service(account, store, plan, label=f"{WORD}.example")
    invoice = await commerce.invoice(account, store, f"INV-{WORD.upper()}-{account}")
    order, _ = await commerce.order(account, store, [], number=f"ORD-{WORD.upper()}-{account}")
    contact = await contacts.add_contact(
        account, {"name": f"Zed {WORD.title()}", "email": f"zed@{name[:3].lower()}.example"}
    )
    member = await f.user(authz, f"{WORD}-keeper-{account}@example.com")
    await accounts.add_member(authz, account, member, [])
    return {
        "account": account,
        "service": service,
        "invoice": invoice,
        "order": order,
        "contact": contact,
        "member": member,
    }


async def _token(client, email):
    await f.login(client, email)
    made = await client.post("/api/v1/tokens", json={"name": "t"}, headers={"x-csrftoken": f.csrf(client)})
    client.cookies.clear()
    return {"authorization": f"Bearer {made.json()['token']}"}


def _groups(body):
    return {g["name"]: [h["url"] for h in g["hits"]] for g in body["groups"]}


@pytest.fixture
def login_as():
    async def go(client, email):
        client.cookies.clear()
        response = await f.login(client, email)
        assert response.status_code in {302, 303}, response.text
        return response

    return go


async def test_owner_finds_every_kind(client, authz, login_as):
    z = await _account_full_of_zebras(authz)
    await login_as(client, "owner@example.com")
    page = await client.get(f"/search?q={WORD.upper()}")
    assert page.status_code == 200
    for url in (
        f"/services/{z['service']}",
        f"/invoices/{z['invoice']}",
        f"/orders/{z['order']}",
        f"/account/contacts/{z['contact']}",
        f"/account/users/{z['member']}",
    ):
        assert f'href="{url}"' in page.text, url
    assert 'action="/search"' in page.text and f'value="{WORD.upper()}"' in page.text  # the header box keeps the words
    api = await client.get(f"/api/v1/accounts/{z['account']}/search?q={WORD}")
    assert _groups(api.json()) == {
        "services": [f"/services/{z['service']}"],
        "invoices": [f"/invoices/{z['invoice']}"],
        "orders": [f"/orders/{z['order']}"],
        "contacts": [f"/account/contacts/{z['contact']}"],
        "members": [f"/account/users/{z['member']}"],
        "articles": [],  # the knowledgebase has no zebra
    }


async def test_a_member_with_only_invoices_finds_the_invoice_and_nothing_else(client, authz, login_as):
    z = await _account_full_of_zebras(authz)
    clerk = await f.user(authz, "clerk@example.com")
    await accounts.add_member(authz, z["account"], clerk, ["invoices"])
    await login_as(client, "clerk@example.com")
    page = await client.get(f"/search?q={WORD}")
    assert page.status_code == 200
    assert f'href="/invoices/{z["invoice"]}"' in page.text
    for hidden in (f"/services/{z['service']}", f"/orders/{z['order']}", f"/account/contacts/{z['contact']}"):
        assert hidden not in page.text
    assert f"{WORD}.example" not in page.text and "Zed" not in page.text and f"{WORD}-keeper" not in page.text
    assert 'data-kind="services"' not in page.text and 'data-kind="members"' not in page.text

    auth = await _token(client, "clerk@example.com")
    api = await client.get(f"/api/v1/accounts/{z['account']}/search?q={WORD}", headers=auth)
    assert api.status_code == 200
    assert _groups(api.json()) == {"invoices": [f"/invoices/{z['invoice']}"], "articles": []}
    assert WORD + ".example" not in api.text and "Zed" not in api.text


async def test_a_member_with_no_permission_finds_nothing(client, authz, login_as):
    z = await _account_full_of_zebras(authz)
    plain = await f.user(authz, "plain@example.com")
    await accounts.add_member(authz, z["account"], plain, [])
    await login_as(client, "plain@example.com")
    page = await client.get(f"/search?q={WORD}")
    # only the knowledgebase, which every member reads: nothing of the account's own
    assert page.status_code == 200 and re.findall(r'data-kind="(\w+)"', page.text) == ["articles"]
    assert "/invoices/" not in page.text and "/services/" not in page.text


async def test_another_accounts_data_is_never_found(client, authz, login_as):
    mine = await _account_full_of_zebras(authz)
    theirs = await _account_full_of_zebras(authz, "other@example.com", "Other Zoo")
    await login_as(client, "owner@example.com")
    page = await client.get(f"/search?q={WORD}")
    for url in (
        f"/services/{theirs['service']}",
        f"/invoices/{theirs['invoice']}",
        f"/orders/{theirs['order']}",
        f"/account/contacts/{theirs['contact']}",
        f"/account/users/{theirs['member']}",
    ):
        assert f'href="{url}"' not in page.text, url
    assert f'href="/services/{mine["service"]}"' in page.text
    assert f"INV-ZEBRA-{theirs['account']}" not in page.text and "Other Zoo" not in page.text
    api = await client.get(f"/api/v1/accounts/{mine['account']}/search?q={WORD}")
    assert all(len(urls) == 1 for kind, urls in _groups(api.json()).items() if kind != "articles")
    assert (await client.get(f"/api/v1/accounts/{theirs['account']}/search?q={WORD}")).status_code == 403


async def test_wildcards_are_literal_empty_searches_nothing_and_hits_stop_at_ten(client, authz, login_as):
    z = await _account_full_of_zebras(authz)
    store = await commerce.store("More")
    for i in range(12):
        await commerce.invoice(z["account"], store, f"BULK-{i:02d}")
    await login_as(client, "owner@example.com")
    api = await client.get(f"/api/v1/accounts/{z['account']}/search?q=%25")
    assert all(urls == [] for urls in _groups(api.json()).values())
    assert (await client.get(f"/api/v1/accounts/{z['account']}/search?q=+")).json()["groups"] == []
    bulk = _groups((await client.get(f"/api/v1/accounts/{z['account']}/search?q=bulk-")).json())
    assert len(bulk["invoices"]) == 10
    page = await client.get("/search?q=")
    assert page.status_code == 200 and "data-kind=" not in page.text


async def test_search_needs_a_login_and_an_account(client, authz):
    answer = await client.get("/search?q=x", follow_redirects=False)
    assert answer.status_code in (302, 303, 307) and "/login" in answer.headers["location"]
