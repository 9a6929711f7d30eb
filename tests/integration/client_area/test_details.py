"""My details and the user's profile: contact details, other contacts, the billing contact, a link to the
payment methods (for those who may open them), and the profile's language, password and sessions."""

from __future__ import annotations

import re

import factories as f

from panel.core.contacts import services as contacts

from .helpers import client_account, shop


async def test_my_details_and_the_profile_hold_what_a_client_looks_for(client, authz):
    s = await shop()
    acct = await client_account(authz, "owner@example.com", s.store, {"clerk@example.com": ["contacts"]})
    await contacts.add_contact(acct, {"name": "Bea Books", "email": "books@example.com", "country": "NL"}, billing=True)
    await f.login_as(client, "owner@example.com")

    details = await client.get("/account/details")
    assert details.status_code == 200
    assert 'name="address1"' in details.text and "1 Main Street" in details.text  # own details, editable
    assert "Bea Books" in details.text and 'id="contacts"' in details.text  # other contacts
    assert re.search(r'name="contact_id" value="\d+" checked> Bea Books', details.text)  # the billing contact
    assert 'data-testid="payment-methods-link"' in details.text and 'href="/payment-methods"' in details.text
    assert 'href="/me"' in details.text
    profile = await client.get("/me")
    assert profile.status_code == 200 and 'name="language"' in profile.text
    assert 'href="/me/password"' in profile.text and 'href="/me/sessions"' in profile.text
    assert (await client.get("/me/password")).status_code == 200
    assert (await client.get("/me/sessions")).status_code == 200

    await f.login_as(client, "clerk@example.com")
    clerk = await client.get("/account/details")
    assert clerk.status_code == 200 and "Bea Books" in clerk.text
    assert 'data-testid="payment-methods-link"' not in clerk.text  # the page would answer 403
    assert (await client.get("/payment-methods")).status_code == 403
