"""The account's email history: pages and API, who may read it, and no leaks across accounts."""

from __future__ import annotations

import factories as f

from panel.core.mail import services


async def _two_accounts(authz):
    """Acme (owner, a member without `emails`, a member with it) and Beta (another owner)."""
    owner = await f.user(authz, "owner@example.com")
    plain = await f.user(authz, "plain@example.com")
    reader = await f.user(authz, "reader@example.com")
    acme = await f.account(authz, "Acme", owner, members={plain: ["invoices"], reader: ["emails"]})
    beta_owner = await f.user(authz, "beta@example.com")
    beta = await f.account(authz, "Beta", beta_owner)
    mine = await services.send("test", "owner@example.com", {"requested_by": "Acme's admin"}, account_id=acme)
    theirs = await services.send("test", "beta@example.com", {"requested_by": "Beta secret"}, account_id=beta)
    return acme, beta, mine, theirs


async def _api_login(client, email):
    await client.get("/login")
    return await client.post(
        "/api/v1/auth/login", json={"email": email, "password": f.PASSWORD}, headers={"x-csrftoken": f.csrf(client)}
    )


async def test_owner_sees_the_list_and_a_message(client, authz):
    _, _, mine, _ = await _two_accounts(authz)
    await f.login(client, "owner@example.com")

    listing = await client.get("/emails")
    assert listing.status_code == 200
    assert f'href="/emails/{mine}"' in listing.text
    assert "Test email from hostpanel" in listing.text and "owner@example.com" in listing.text
    assert 'href="/emails"' in listing.text  # the nav item

    shown = await client.get(f"/emails/{mine}")
    assert shown.status_code == 200
    assert "sent from the admin area by Acme&#39;s admin" in shown.text  # the text, escaped in the page
    assert "<iframe sandbox srcdoc=" in shown.text
    assert "&lt;strong&gt;Acme&amp;#39;s admin&lt;/strong&gt;" in shown.text  # the HTML, inert in srcdoc


async def test_member_with_the_emails_permission_reads_them(client, authz):
    _, _, mine, _ = await _two_accounts(authz)
    await f.login(client, "reader@example.com")

    assert (await client.get("/emails")).status_code == 200
    assert (await client.get(f"/emails/{mine}")).status_code == 200


async def test_member_without_the_emails_permission_is_refused(client, authz):
    _, _, mine, _ = await _two_accounts(authz)
    await f.login(client, "plain@example.com")

    assert (await client.get("/emails")).status_code == 403
    refused = await client.get(f"/emails/{mine}")
    assert refused.status_code == 403
    assert "Test email" not in refused.text
    assert 'href="/emails"' not in (await client.get("/")).text


async def test_another_accounts_message_is_not_found(client, authz):
    _, _, _, theirs = await _two_accounts(authz)
    await f.login(client, "owner@example.com")

    answer = await client.get(f"/emails/{theirs}")

    assert answer.status_code == 404
    assert "Beta secret" not in answer.text and "beta@example.com" not in answer.text
    assert f'href="/emails/{theirs}"' not in (await client.get("/emails")).text


async def test_history_pages_and_htmx_fragment(client, authz):
    owner = await f.user(authz, "owner@example.com")
    acme = await f.account(authz, "Acme", owner)
    ids = [await services.send("test", f"u{i}@example.com", {"requested_by": "x"}, account_id=acme) for i in range(30)]
    await f.login(client, "owner@example.com")

    first = await client.get("/emails")
    second = await client.get("/emails?page=2")

    assert first.text.count("data-email-id=") == 25 and f'href="/emails/{ids[-1]}"' in first.text
    assert 'href="/emails?page=2"' in first.text and "Page 1 of 2" in first.text
    assert second.text.count("data-email-id=") == 5 and f'href="/emails/{ids[0]}"' in second.text
    fragment = await client.get("/emails", headers={"hx-request": "true", "hx-target": "main"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and "data-email-id=" in fragment.text


async def test_empty_history(client, authz):
    owner = await f.user(authz, "owner@example.com")
    await f.account(authz, "Acme", owner)
    await f.login(client, "owner@example.com")

    assert "No email has been sent about this account yet." in (await client.get("/emails")).text


# -- API ---------------------------------------------------------------------------------------


async def test_api_lists_and_shows_the_accounts_emails(client, authz):
    acme, _, mine, _ = await _two_accounts(authz)
    await _api_login(client, "owner@example.com")

    listing = await client.get(f"/api/v1/accounts/{acme}/emails")
    assert listing.status_code == 200
    body = listing.json()
    assert body["total"] == 1 and body["page"] == 1 and body["pages"] == 1
    assert [(m["id"], m["to"]) for m in body["items"]] == [(mine, "owner@example.com")]
    assert body["items"][0]["status"] in {"queued", "sending", "sent"}  # the deliverer may have sent it

    one = await client.get(f"/api/v1/accounts/{acme}/emails/{mine}")
    assert one.status_code == 200
    detail = one.json()
    assert detail["subject"] == "Test email from hostpanel"
    assert "Acme's admin" in detail["text"] and "<strong>Acme&#39;s admin</strong>" in detail["html"]


async def test_api_refuses_other_accounts_and_members_without_permission(client, authz):
    acme, beta, mine, theirs = await _two_accounts(authz)
    await _api_login(client, "owner@example.com")

    assert (await client.get(f"/api/v1/accounts/{acme}/emails/{theirs}")).status_code == 404  # B's id in A's URL
    assert (await client.get(f"/api/v1/accounts/{beta}/emails")).status_code == 403
    assert (await client.get(f"/api/v1/accounts/{beta}/emails/{theirs}")).status_code == 403

    client.cookies.clear()
    await _api_login(client, "plain@example.com")
    assert (await client.get(f"/api/v1/accounts/{acme}/emails")).status_code == 403
    assert (await client.get(f"/api/v1/accounts/{acme}/emails/{mine}")).status_code == 403


async def test_api_paging(client, authz):
    owner = await f.user(authz, "owner@example.com")
    acme = await f.account(authz, "Acme", owner)
    for i in range(3):
        await services.send("test", f"u{i}@example.com", {"requested_by": "x"}, account_id=acme)
    await _api_login(client, "owner@example.com")

    page = (await client.get(f"/api/v1/accounts/{acme}/emails?per_page=2&page=2")).json()

    assert page["pages"] == 2 and page["page"] == 2 and [m["to"] for m in page["items"]] == ["u0@example.com"]
