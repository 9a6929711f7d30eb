"""A store may keep its clients from changing their login email; staff manage reseller tiers."""

from __future__ import annotations

import factories as f
from stores_support import client_of, login_as, make_store, post_form

from panel.core.audit.tables import AuditEvent
from panel.core.auth.tables import ActionToken
from panel.core.stores.tables import ResellerTier

REFUSAL = "Locked Web manages your login email: contact them to change it."


async def test_clients_of_a_store_that_says_so_cannot_change_their_login_email(client, authz):
    await make_store("Main", "main", default=True)
    locked = await make_store("Locked", "locked", brand_name="Locked Web", clients_can_change_username=False)
    await client_of(authz, "held@example.com", locked)
    await login_as(client, "held@example.com")

    page = await client.get("/me/email")
    assert page.status_code == 200
    assert f'<p id="email-error" class="field-error">{REFUSAL}</p>' in page.text
    refused = await post_form(client, "/me/email", {"email": "new@example.com", "password": f.PASSWORD})
    assert refused.status_code == 403
    assert f'<p id="email-error" class="field-error">{REFUSAL}</p>' in refused.text
    api = await client.post(
        "/api/v1/me/email",
        json={"email": "new@example.com", "password": f.PASSWORD},
        headers={"x-csrftoken": f.csrf(client)},
    )
    assert api.status_code == 403 and api.json()["errors"] == {"email": REFUSAL}
    assert await ActionToken.count() == 0  # no confirmation link was issued
    assert await AuditEvent.count().where(AuditEvent.action == "user.email_change_request") == 0


async def test_owners_elsewhere_and_members_of_a_locked_store_may_change_it(client, authz):
    await make_store("Main", "main", default=True)
    free = await make_store("Free", "free")
    locked = await make_store("Locked", "locked", clients_can_change_username=False)
    member, _ = await client_of(authz, "member@example.com", free)
    _, locked_account = await client_of(authz, "owner@example.com", locked)
    from panel.core.accounts import services as accounts

    await accounts.add_member(authz, locked_account, member, ["invoices"])  # a member, not the owner
    await login_as(client, "member@example.com")
    page = await client.get("/me/email")
    assert "manages your login email" not in page.text and 'name="email"' in page.text
    wrong = await post_form(client, "/me/email", {"email": "new@example.com", "password": "wrong password!"})
    assert wrong.status_code == 422  # refused for the usual reason, not by the store


async def test_staff_manage_reseller_tiers_with_errors_beside_fields(client, authz, staff_login):
    await staff_login(client, authz, "admin")
    bad = await post_form(client, "/admin/reseller-tiers", {"name": "", "min_services": "-1", "discount": "150"})
    assert bad.status_code == 422
    assert '<p id="new-name-error" class="field-error">Give the tier a name.</p>' in bad.text
    assert '<p id="new-min-error" class="field-error">Enter a whole number' in bad.text
    assert '<p id="new-discount-error" class="field-error">Enter a percentage between 0 and 100.</p>' in bad.text
    assert await ResellerTier.count() == 0

    made = await post_form(client, "/admin/reseller-tiers", {"name": "Bronze", "min_services": "5", "discount": "7.5"})
    assert made.status_code == 303
    [tier] = await ResellerTier.select()
    assert (tier["name"], tier["min_services"], tier["discount_bp"]) == ("Bronze", 5, 750)
    clash = await post_form(client, "/admin/reseller-tiers", {"name": "Other", "min_services": "5", "discount": "9"})
    assert clash.status_code == 422 and "Another tier starts at this number of services." in clash.text

    changed = await post_form(
        client, f"/admin/reseller-tiers/{tier['id']}", {"name": "Bronze", "min_services": "10", "discount": "8"}
    )
    assert changed.status_code == 303
    assert (await ResellerTier.select(ResellerTier.discount_bp).first())["discount_bp"] == 800
    page = await client.get("/admin/reseller-tiers")
    assert 'value="8"' in page.text and 'value="10"' in page.text
    deleted = await post_form(client, f"/admin/reseller-tiers/{tier['id']}/delete")
    assert deleted.status_code == 303 and await ResellerTier.count() == 0
    actions = [
        r["action"] for r in await AuditEvent.select(AuditEvent.action).where(AuditEvent.action.like("reseller_tier.%"))
    ]
    assert sorted(actions) == ["reseller_tier.create", "reseller_tier.delete", "reseller_tier.update"]
    assert (await post_form(client, "/admin/reseller-tiers/999999/delete")).status_code == 404


async def test_clients_cannot_manage_tiers(client, authz):
    owner = await f.user(authz, "c@example.com")
    await f.account(authz, "C", owner)
    await login_as(client, "c@example.com")
    refused = await post_form(client, "/admin/reseller-tiers", {"name": "Mine", "min_services": "0", "discount": "90"})
    assert refused.status_code == 403 and await ResellerTier.count() == 0
