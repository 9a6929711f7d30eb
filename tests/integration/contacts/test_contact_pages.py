"""The client area's "My details" page: own details, billing contact, extra contacts."""

from __future__ import annotations

import factories as f

from panel.core.contacts import services
from panel.core.contacts.tables import Contact

OWN = {
    "name": "Alice Meyer",
    "company": "Meyer Web GmbH",
    "email": "Billing@Meyer.example",
    "phone": "+49 30 1234567",
    "address1": "Hauptstr. 1",
    "city": "Berlin",
    "postcode": "10115",
    "country": "de",
    "vat_id": "de 123 456 789",
}


async def _owner(client, authz, email="own@example.com", name="Meyer Web"):
    owner = await f.user(authz, email)
    account = await f.account(authz, name, owner)
    await f.login(client, email)
    return owner, account


async def test_owner_enters_own_details_without_javascript(client, authz):
    _, account = await _owner(client, authz)
    page = await client.get("/account/details")
    assert page.status_code == 200
    assert 'value="own@example.com"' in page.text  # the login email is offered
    saved = await client.post("/account/details", data={**OWN, "_csrf_token": f.csrf(client)}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/account/details?done=saved"
    primary = await services.primary_contact(account)
    assert primary is not None
    assert (primary.email, primary.country, primary.vat_id) == ("billing@meyer.example", "DE", "DE123456789")
    assert primary.is_billing  # the billing contact defaults to the account's own details
    again = await client.get("/account/details?done=saved")
    assert "Your details were saved." in again.text and 'value="Meyer Web GmbH"' in again.text


async def test_bad_details_are_reported_beside_each_field_and_nothing_is_saved(client, authz):
    _, account = await _owner(client, authz)
    bad = {**OWN, "name": "", "email": "nope", "country": "XX", "phone": "call me", "_csrf_token": f.csrf(client)}
    answer = await client.post("/account/details", data=bad)
    assert answer.status_code == 422
    for field in ("name", "email", "country", "phone"):
        assert f'id="own-{field}-error"' in answer.text, field
    assert 'value="call me"' in answer.text  # what was typed is kept
    assert await Contact.count().where(Contact.account == account) == 0


async def test_wrong_vat_format_for_the_country(client, authz):
    await _owner(client, authz)
    answer = await client.post("/account/details", data={**OWN, "vat_id": "DE12", "_csrf_token": f.csrf(client)})
    assert answer.status_code == 422 and 'id="own-vat_id-error"' in answer.text
    answer = await client.post(
        "/account/details", data={**OWN, "vat_id": "FR12345678901", "_csrf_token": f.csrf(client)}
    )
    assert answer.status_code == 422 and "starts with DE" in answer.text


async def test_htmx_form_error_is_a_fragment_and_success_redirects(client, authz):
    await _owner(client, authz)
    hx = {"hx-request": "true", "hx-target": "main", "x-csrftoken": f.csrf(client)}
    bad = await client.post("/account/details", data={**OWN, "name": ""}, headers=hx)
    assert bad.status_code == 422 and "<html" not in bad.text and 'id="own-name-error"' in bad.text
    good = await client.post("/account/details", data=OWN, headers=hx)
    assert good.status_code == 204 and good.headers["hx-redirect"] == "/account/details?done=saved"


async def test_agency_as_billing_contact_and_back_to_primary_on_delete(client, authz):
    _, account = await _owner(client, authz)
    await services.save_primary(account, OWN)
    added = await client.post(
        "/account/contacts",
        data={"name": "Agency Ltd", "email": "inv@agency.example", "billing": "yes", "_csrf_token": f.csrf(client)},
        follow_redirects=False,
    )
    assert added.status_code == 303
    billing = await services.billing_contact(account)
    assert billing is not None and billing.name == "Agency Ltd" and not billing.is_primary
    page = await client.get("/account/details")
    assert "Agency Ltd" in page.text and '<span class="tag">billing</span>' in page.text
    # choose the primary again, then the agency again, through the form
    primary = await services.primary_contact(account)
    assert primary is not None
    await client.post("/account/billing-contact", data={"contact_id": primary.id, "_csrf_token": f.csrf(client)})
    assert (await services.billing_contact(account)).id == primary.id
    await client.post("/account/billing-contact", data={"contact_id": billing.id, "_csrf_token": f.csrf(client)})
    assert (await services.billing_contact(account)).id == billing.id
    # deleting the billing contact hands invoices back to the primary
    deleted = await client.post(f"/account/contacts/{billing.id}/delete", data={"_csrf_token": f.csrf(client)})
    assert deleted.status_code == 200
    assert (await services.billing_contact(account)).id == primary.id
    assert await Contact.count().where((Contact.account == account) & (Contact.is_billing == True)) == 1  # noqa: E712


async def test_edit_extra_contact_and_field_errors(client, authz):
    _, account = await _owner(client, authz)
    contact_id = await services.add_contact(account, {"name": "Tech Tom", "email": "tom@example.com"})
    form = await client.get(f"/account/contacts/{contact_id}")
    assert form.status_code == 200 and 'value="Tech Tom"' in form.text
    bad = await client.post(
        f"/account/contacts/{contact_id}", data={"name": "Tom", "email": "x", "_csrf_token": f.csrf(client)}
    )
    assert bad.status_code == 422 and 'id="contact-email-error"' in bad.text
    assert (await services.get_contact(account, contact_id)).name == "Tech Tom"
    ok = await client.post(
        f"/account/contacts/{contact_id}",
        data={
            "name": "Tom T.",
            "email": "tom@example.com",
            "country": "AT",
            "vat_id": "U12345678",
            "_csrf_token": f.csrf(client),
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    saved = await services.get_contact(account, contact_id)
    assert (saved.name, saved.vat_id) == ("Tom T.", "ATU12345678")


async def test_primary_contact_cannot_be_deleted_or_edited_as_an_extra(client, authz):
    _, account = await _owner(client, authz)
    primary_id = await services.save_primary(account, OWN)
    refused = await client.post(f"/account/contacts/{primary_id}/delete", data={"_csrf_token": f.csrf(client)})
    assert refused.status_code == 409 and "cannot be deleted" in refused.text
    hidden = await client.post(
        f"/account/contacts/{primary_id}", data={"name": "X", "email": "x@example.com", "_csrf_token": f.csrf(client)}
    )
    assert hidden.status_code == 404
    assert (await services.primary_contact(account)).name == "Alice Meyer"


async def test_other_accounts_contacts_are_not_found(client, authz):
    _, mine = await _owner(client, authz)
    stranger = await f.user(authz, "str@example.com")
    theirs = await f.account(authz, "Stranger Co", stranger)
    secret_id = await services.add_contact(theirs, {"name": "Secret Sam", "email": "sam@example.com"})
    for answer in (
        await client.get(f"/account/contacts/{secret_id}"),
        await client.post(
            f"/account/contacts/{secret_id}",
            data={"name": "Hijack", "email": "h@example.com", "_csrf_token": f.csrf(client)},
        ),
        await client.post(f"/account/contacts/{secret_id}/delete", data={"_csrf_token": f.csrf(client)}),
        await client.post("/account/billing-contact", data={"contact_id": secret_id, "_csrf_token": f.csrf(client)}),
    ):
        assert answer.status_code == 404, answer.text
        assert "Secret Sam" not in answer.text
    contact = await services.get_contact(theirs, secret_id)
    assert contact.name == "Secret Sam" and not contact.is_billing
    assert await services.list_contacts(mine) == []


async def test_member_permissions_decide_what_is_offered_and_allowed(client, authz):
    owner = await f.user(authz, "o@example.com")
    prof = await f.user(authz, "prof@example.com")
    cont = await f.user(authz, "cont@example.com")
    plain = await f.user(authz, "plain@example.com")
    account = await f.account(authz, "Shop", owner, {prof: ["profile"], cont: ["contacts"], plain: ["invoices"]})
    await services.save_primary(account, OWN)
    extra = await services.add_contact(account, {"name": "Extra Ed", "email": "ed@example.com"})

    # profile: edits the own details, may not touch other contacts
    await f.login(client, "prof@example.com")
    page = await client.get("/account/details")
    assert page.status_code == 200 and 'action="/account/details"' in page.text
    assert 'action="/account/contacts"' not in page.text
    ok = await client.post("/account/details", data={**OWN, "name": "New Name", "_csrf_token": f.csrf(client)})
    assert ok.status_code == 200
    denied = await client.post(
        "/account/contacts", data={"name": "N", "email": "n@example.com", "_csrf_token": f.csrf(client)}
    )
    assert denied.status_code == 403
    assert (
        await client.post(f"/account/contacts/{extra}/delete", data={"_csrf_token": f.csrf(client)})
    ).status_code == 403

    # contacts: manages the other contacts, may not change the own details
    client.cookies.clear()
    await f.login(client, "cont@example.com")
    page = await client.get("/account/details")
    assert page.status_code == 200 and 'action="/account/contacts"' in page.text
    assert 'action="/account/details"' not in page.text and "New Name" in page.text
    denied = await client.post("/account/details", data={**OWN, "name": "Hacked", "_csrf_token": f.csrf(client)})
    assert denied.status_code == 403
    assert (await services.primary_contact(account)).name == "New Name"

    # neither: no page at all, and no nav link
    client.cookies.clear()
    await f.login(client, "plain@example.com")
    assert (await client.get("/account/details")).status_code == 403
    assert 'href="/account/details"' not in (await client.get("/")).text
    denied = await client.post("/account/billing-contact", data={"contact_id": extra, "_csrf_token": f.csrf(client)})
    assert denied.status_code == 403
    assert (await services.billing_contact(account)).is_primary
