"""Ownership transfer: offered by the owner, accepted by a member, or set by staff; always audited."""

from __future__ import annotations

import factories as f

from panel.core.accounts import services as accounts
from panel.core.accounts.tables import Account
from panel.core.auth.tables import Session
from panel.core.members.tables import OwnershipOffer

from .checks import audited, checkbox
from .inbox import link_path, mail_to, text_of

CORE_KEPT = [
    "contacts",
    "domains",
    "emails",
    "invoices",
    "manage_domains",
    "manage_services",
    "orders",
    "profile",
    "quotes",
    "services",
    "tickets",
    "users",
]


async def _shop(authz, members):
    owner = await f.user(authz, "own@example.com")
    ids = {e: await f.user(authz, e) for e in members}
    account = await f.account(authz, "Shop", owner, {ids[e]: p for e, p in members.items()})
    return owner, account, ids


async def _owner_of(account):
    return (await Account.select(Account.owner).where(Account.id == account).first())["owner"]


async def _offer(client, user_id):
    return await client.post(
        "/account/users/ownership",
        data={"user_id": str(user_id), "_csrf_token": f.csrf(client)},
        follow_redirects=False,
    )


async def test_offer_accept_with_chosen_permissions_for_the_old_owner(client, authz, smtp):
    owner, account, ids = await _shop(authz, {"heir@example.com": ["invoices"]})
    heir = ids["heir@example.com"]
    await f.login(client, "own@example.com")
    offered = await _offer(client, heir)
    assert offered.status_code == 303
    page = await client.get("/account/users")
    assert 'data-testid="pending-offer"' in page.text and "heir@example.com" in page.text
    [message] = await mail_to(smtp, "heir@example.com")
    assert "Shop" in message["Subject"] and "own@example.com" in text_of(message)
    path = link_path(message, "accounts")
    assert path == f"/accounts/{account}/ownership"
    # the heir sees the offer on the home page and on its own page
    await f.login(client, "heir@example.com")
    home = await client.get("/")
    assert 'data-testid="offer-for-me"' in home.text
    offer_page = await client.get(path)
    assert offer_page.status_code == 200
    assert "checked" in checkbox(offer_page.text, "invoices", "keep")
    assert "checked" not in checkbox(offer_page.text, "all", "keep")
    accepted = await client.post(
        path + "/accept",
        data={"keep": ["invoices", "tickets"], "_csrf_token": f.csrf(client)},
        follow_redirects=False,
    )
    assert accepted.status_code == 303 and accepted.headers["location"] == "/account/users"
    assert await _owner_of(account) == heir
    assert accounts.permissions_of(authz, heir, account) == ["owner"]
    assert accounts.permissions_of(authz, owner, account) == ["invoices", "tickets"]
    roles = {g[2] for g in authz.grants_for(f"user:{owner}", f"acct:{account}")}
    assert "role:member" in roles and "role:owner" not in roles
    [event] = await audited("ownership.transfer", account)
    assert event["actor"] == heir
    assert event["details"]["owner"] == {"before": f"user:{owner}", "after": f"user:{heir}"}
    assert event["details"]["kept_permissions"] == ["invoices", "tickets"]
    assert len(await audited("ownership.offer", account)) == 1
    # the new owner manages users now, the old owner no longer offers anything
    assert (await client.get("/account/users")).status_code == 200
    await f.login(client, "own@example.com")
    assert (
        await client.post("/account/users/ownership/cancel", data={"_csrf_token": f.csrf(client)})
    ).status_code == 403


async def test_api_accept_without_choice_keeps_every_core_permission_but_all(client, authz, smtp):
    owner, account, ids = await _shop(authz, {"heir@example.com": []})
    heir = ids["heir@example.com"]
    await f.login(client, "own@example.com")
    headers = {"x-csrftoken": f.csrf(client)}
    made = await client.post(f"/api/v1/accounts/{account}/ownership/offer", json={"user_id": heir}, headers=headers)
    assert made.status_code == 201 and made.json()["to_user_id"] == heir
    await f.login(client, "heir@example.com")
    headers = {"x-csrftoken": f.csrf(client)}
    seen = (await client.get(f"/api/v1/accounts/{account}/ownership")).json()
    assert seen["owner_id"] == owner and seen["offer"]["to_email"] == "heir@example.com"
    taken = await client.post(f"/api/v1/accounts/{account}/ownership/accept", json={}, headers=headers)
    assert taken.status_code == 200
    assert await _owner_of(account) == heir
    assert accounts.permissions_of(authz, owner, account) == CORE_KEPT


async def test_decline_changes_nothing(client, authz, smtp):
    owner, account, ids = await _shop(authz, {"heir@example.com": ["invoices"]})
    await f.login(client, "own@example.com")
    await _offer(client, ids["heir@example.com"])
    await f.login(client, "heir@example.com")
    declined = await client.post(
        f"/accounts/{account}/ownership/decline", data={"_csrf_token": f.csrf(client)}, follow_redirects=False
    )
    assert declined.status_code == 303
    assert await _owner_of(account) == owner
    assert (await client.get(f"/accounts/{account}/ownership")).status_code == 404
    assert (await OwnershipOffer.select(OwnershipOffer.status).first())["status"] == "declined"
    assert len(await audited("ownership.offer.decline", account)) == 1


async def test_only_the_owner_offers_and_only_the_recipient_accepts(client, authz, smtp):
    owner, account, ids = await _shop(
        authz, {"boss@example.com": ["all"], "hr@example.com": ["users"], "heir@example.com": []}
    )
    heir = ids["heir@example.com"]
    for email in ("boss@example.com", "hr@example.com"):
        await f.login(client, email)
        assert (await _offer(client, heir)).status_code == 403, email
        api = await client.post(
            f"/api/v1/accounts/{account}/ownership/offer",
            json={"user_id": heir},
            headers={"x-csrftoken": f.csrf(client)},
        )
        assert api.status_code == 403, email
    assert await OwnershipOffer.count() == 0
    await f.login(client, "own@example.com")
    await _offer(client, heir)
    await f.login(client, "boss@example.com")
    assert (await client.get(f"/accounts/{account}/ownership")).status_code == 404
    stolen = await client.post(f"/accounts/{account}/ownership/accept", data={"_csrf_token": f.csrf(client)})
    assert stolen.status_code == 404
    assert await _owner_of(account) == owner


async def test_offer_to_a_non_member_is_a_field_error(client, authz, smtp):
    _, _account, _ = await _shop(authz, {})
    outsider = await f.user(authz, "out@example.com")
    await f.login(client, "own@example.com")
    answer = await _offer(client, outsider)
    assert answer.status_code == 422 and 'id="user_id-error"' in answer.text
    assert await OwnershipOffer.count() == 0


async def test_impersonating_staff_cannot_accept_for_the_member(client, authz, smtp):
    owner, account, ids = await _shop(authz, {"heir@example.com": []})
    heir = ids["heir@example.com"]
    staff = await f.user(authz, "support@example.com", staff="support")
    await f.login(client, "own@example.com")
    await _offer(client, heir)
    await f.login(client, "heir@example.com")
    await Session.update({Session.impersonator_id: staff}).where(Session.user == heir)
    refused = await client.post(f"/accounts/{account}/ownership/accept", data={"_csrf_token": f.csrf(client)})
    assert refused.status_code == 403
    assert await _owner_of(account) == owner


async def test_staff_admin_sets_the_owner_directly(client, authz, smtp):
    owner, account, _ids = await _shop(authz, {"clerk@example.com": ["invoices"]})
    newcomer = await f.user(authz, "new@example.com")
    await f.user(authz, "admin@example.com", staff="admin")
    await f.login(client, "admin@example.com")
    page = await client.get(f"/admin/accounts/{account}/owner")
    assert page.status_code == 200 and "own@example.com" in page.text
    bad = await client.post(
        f"/admin/accounts/{account}/owner", data={"email": "nobody@example.com", "_csrf_token": f.csrf(client)}
    )
    assert bad.status_code == 422 and 'id="email-error"' in bad.text
    done = await client.post(
        f"/admin/accounts/{account}/owner",
        data={"email": "new@example.com", "keep": ["invoices"], "_csrf_token": f.csrf(client)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert await _owner_of(account) == newcomer
    assert accounts.permissions_of(authz, newcomer, account) == ["owner"]
    assert accounts.permissions_of(authz, owner, account) == ["invoices"]
    [event] = await audited("ownership.transfer", account)
    assert "set by staff" in event["summary"]
    # API, back to the first owner
    back = await client.post(
        f"/api/v1/admin/accounts/{account}/owner",
        json={"email": "own@example.com"},
        headers={"x-csrftoken": f.csrf(client)},
    )
    assert back.status_code == 200 and back.json()["owner_id"] == owner
    assert accounts.permissions_of(authz, newcomer, account) == CORE_KEPT


async def test_support_staff_and_clients_cannot_set_the_owner(client, authz, smtp):
    owner, account, _ids = await _shop(authz, {"clerk@example.com": []})
    await f.user(authz, "support@example.com", staff="support")
    for email in ("support@example.com", "own@example.com"):
        await f.login(client, email)
        assert (await client.get(f"/admin/accounts/{account}/owner")).status_code == 403, email
        form = await client.post(
            f"/admin/accounts/{account}/owner", data={"email": "clerk@example.com", "_csrf_token": f.csrf(client)}
        )
        assert form.status_code == 403, email
        api = await client.post(
            f"/api/v1/admin/accounts/{account}/owner",
            json={"email": "clerk@example.com"},
            headers={"x-csrftoken": f.csrf(client)},
        )
        assert api.status_code == 403, email
    assert await _owner_of(account) == owner
