"""The client-area link: always there for the provider's stores; elsewhere the store and the override decide."""

from __future__ import annotations

import factories as f

from panel.core.auth.tables import User
from panel.core.stores.tables import StoreKind

from . import commerce

HELP = "Write to help@reseller.example, we answer within a day."


async def _service_in(authz, kind, show_link, email="client@example.com"):
    owner = await f.user(authz, email)
    account = await f.account(authz, "Client Co", owner)
    reseller_owner = await f.user(authz, f"reseller-{email}")
    reseller = await f.account(authz, "Reseller", reseller_owner)
    store = await commerce.store(
        "Shop", kind=kind, show_link=show_link, contact=HELP, reseller=None if kind == StoreKind.PROVIDER else reseller
    )
    thing = await commerce.product("dummy.thing", "Thing")
    return account, await commerce.service(account, store, thing, "dummy.thing", label="thing.example")


async def _staff(client, authz, login_as):
    if not await User.exists().where(User.email == "admin@example.com"):
        await f.user(authz, "admin@example.com", staff="admin")
    await login_as(client, "admin@example.com")


async def test_provider_store_always_shows_the_link_even_when_hidden_by_setting_and_override(client, authz, login_as):
    account, sid = await _service_in(authz, StoreKind.PROVIDER, show_link=False)
    await _staff(client, authz, login_as)
    saved = await client.post(f"/admin/services/{sid}/link", data={"link": "hide", "_csrf_token": f.csrf(client)})
    assert saved.status_code in (200, 303)
    await login_as(client, "client@example.com")
    page = await client.get(f"/services/{sid}")
    assert 'data-testid="client-area-link"' in page.text and HELP not in page.text
    api = (await client.get(f"/api/v1/accounts/{account}/services/{sid}")).json()
    assert api["client_area_link_visible"] is True and api["contact_instructions"] == ""


async def test_reseller_store_that_hides_the_link_shows_its_contact_instructions(client, authz, login_as):
    account, sid = await _service_in(authz, StoreKind.RESELLER, show_link=False)
    await login_as(client, "client@example.com")
    page = await client.get(f"/services/{sid}")
    assert page.status_code == 200
    assert 'data-testid="client-area-link"' not in page.text
    assert 'data-testid="contact-instructions"' in page.text and HELP in page.text
    api = (await client.get(f"/api/v1/accounts/{account}/services/{sid}")).json()
    assert (
        api["client_area_link_visible"] is False
        and api["client_area_url"] == ""
        and api["contact_instructions"] == HELP
    )


async def test_staff_override_shows_or_hides_and_inherit_follows_the_store(client, authz, login_as):
    _, sid = await _service_in(authz, StoreKind.RESELLER_CATALOG, show_link=False)
    await _staff(client, authz, login_as)
    page = await client.get(f"/admin/services/{sid}")
    assert "does not see" in page.text and '<option value="hide" selected>' in page.text
    assert (
        await client.post(
            f"/admin/services/{sid}/link", data={"link": "show", "_csrf_token": f.csrf(client)}, follow_redirects=False
        )
    ).status_code == 303
    bad = await client.post(f"/admin/services/{sid}/link", data={"link": "maybe", "_csrf_token": f.csrf(client)})
    assert bad.status_code == 422
    await login_as(client, "client@example.com")
    assert 'data-testid="client-area-link"' in (await client.get(f"/services/{sid}")).text

    await _staff(client, authz, login_as)
    await client.post(f"/admin/services/{sid}/link", data={"link": "inherit", "_csrf_token": f.csrf(client)})
    assert '<option value="inherit" selected>' in (await client.get(f"/admin/services/{sid}")).text
    await login_as(client, "client@example.com")
    hidden = await client.get(f"/services/{sid}")
    assert 'data-testid="client-area-link"' not in hidden.text and HELP in hidden.text


async def test_a_service_takes_the_reseller_stores_setting_when_it_is_created(client, authz, login_as):
    _, sid = await _service_in(authz, StoreKind.RESELLER, show_link=True)
    await login_as(client, "client@example.com")
    page = await client.get(f"/services/{sid}")
    assert 'data-testid="client-area-link"' in page.text and HELP not in page.text
