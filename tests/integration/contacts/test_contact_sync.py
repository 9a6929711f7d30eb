"""Contact sync: an account's contacts kept in step with its members, the setting's page section and API."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path
from typing import Any

import factories as f
import pytest

from panel.core.audit.tables import AuditEvent
from panel.core.auth.tables import User
from panel.core.authz.engine import AuthzRequest
from panel.core.contacts import services as contacts
from panel.core.contacts.sync import services as sync
from panel.core.contacts.sync.tables import ContactSyncLink
from panel.core.jobs.services import enqueue
from panel.settings import Settings

BASE = "http://panel.test"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/integration: services.commerce


@pytest.fixture
def settings(settings: Settings, smtp: Any) -> Settings:
    """Test settings whose email (the invitation) reaches `smtp`, with links to BASE."""
    settings.values["smtp_url"] = smtp.url
    settings.values["base_url"] = BASE
    return settings


async def _invitation_path(smtp: Any, address: str) -> str:
    for _ in range(250):
        found = [m for m in smtp.messages if address in str(m["To"])]
        if found:
            text = str(found[0].get_body(preferencelist=("plain",)).get_content())
            match = re.search(re.escape(BASE) + r"(/invitations/[A-Za-z0-9_\-/]+)", text)
            assert match, text
            return match.group(1)
        await asyncio.sleep(0.02)
    raise AssertionError(f"no invitation to {address}")


async def _by_email(account_id: int) -> dict[str, contacts.ContactView]:
    return {c.email: c for c in await contacts.list_contacts(account_id)}


async def test_members_joining_changing_and_leaving_keep_their_contacts_in_step(
    client: Any, authz: Any, smtp: Any
) -> None:
    owner = await f.user(authz, "owner@example.com")
    account = await f.account(authz, "Acme Hosting", owner)
    hand_made = await contacts.add_contact(account, {"name": "Our Accountant", "email": "books@accountants.example"})
    await f.login_as(client, "owner@example.com")
    page = (await client.get("/account/details")).text
    assert 'data-testid="contact-sync"' in page and 'action="/account/contact-sync"' in page

    # turning it on adds the current members (the owner) once, with the chosen kind of email
    on = await f.post_form(client, "/account/contact-sync", {"enabled": "on", "categories": ["billing"]})
    assert on.status_code == 303, on.text
    assert set(await _by_email(account)) == {"books@accountants.example", "owner@example.com"}
    again = await f.post_form(client, "/account/contact-sync", {"enabled": "on", "categories": ["billing"]})
    assert again.status_code == 303
    assert len(await contacts.list_contacts(account)) == 2  # idempotent

    # a member joining by invitation becomes a contact who receives invoices, not announcements
    invited = await f.post_form(client, "/account/users/invite", {"email": "fresh@example.com"})
    assert invited.status_code == 303
    path = await _invitation_path(smtp, "fresh@example.com")
    client.cookies.clear()
    form = await client.get(path)
    joined = await client.post(
        path + "/register",
        data={"name": "Fresh Person", "password": f.PASSWORD, "_csrf_token": f.form_token(form.text)},
        follow_redirects=False,
    )
    assert joined.status_code == 303, joined.text
    fresh = (await _by_email(account))["fresh@example.com"]
    assert fresh.name == "Fresh Person"
    assert await sync.recipients(account, "billing") == ["fresh@example.com", "owner@example.com"]
    assert await sync.recipients(account, "general") == []
    await f.login_as(client, "owner@example.com")
    listed = (await client.get("/account/details")).text
    assert "Fresh Person" in listed and ">member</span>" in listed

    # a new name and email reach the contact at the next sync run; hand-made contacts stay as they are
    fresh_id = (await User.select(User.id).where(User.email == "fresh@example.com").first())["id"]
    await User.update({User.name: "Fresh Q. Person", User.email: "fresh.q@example.com"}).where(User.id == fresh_id)
    await enqueue(client.app.state.settings, "contacts.sync", {}, key="test-run")
    await f.run_jobs(client.app)
    now = await _by_email(account)
    assert now["fresh.q@example.com"].id == fresh.id and now["fresh.q@example.com"].name == "Fresh Q. Person"
    assert "fresh@example.com" not in now
    assert (
        now["books@accountants.example"].id == hand_made and now["books@accountants.example"].name == "Our Accountant"
    )

    # leaving removes the member's contact, and only that one
    await f.login_as(client, "fresh.q@example.com")
    left = await f.post_form(client, "/account/leave")
    assert left.status_code == 303
    assert set(await _by_email(account)) == {"books@accountants.example", "owner@example.com"}
    assert await ContactSyncLink.count().where(ContactSyncLink.account == account) == 1

    # turned off, nothing more is synced and the contacts stay; audited both ways
    await f.login_as(client, "owner@example.com")
    off = await f.post_form(client, "/account/contact-sync", {"categories": ["billing"]})
    assert off.status_code == 303
    assert await sync.recipients(account, "billing") == []
    assert "owner@example.com" in await _by_email(account)
    events = await AuditEvent.select(AuditEvent.action, AuditEvent.summary).where(
        (AuditEvent.account_id == account) & (AuditEvent.action == "contact_sync.update")
    )
    assert [e["summary"] for e in events][-1] == "Turned contact sync off."
    assert len(events) == 3


async def test_removing_a_member_removes_their_contact_and_the_api_reads_and_changes_the_setting(
    client: Any, authz: Any
) -> None:
    owner = await f.user(authz, "api@example.com")
    clerk = await f.user(authz, "clerk@example.com")
    account = await f.account(authz, "Api Co", owner, members={clerk: ["contacts"]})
    await f.login_as(client, "api@example.com")
    base = f"/api/v1/accounts/{account}/contact-sync"
    assert (await client.get(base)).json()["enabled"] is False
    csrf = {"x-csrftoken": f.csrf(client)}
    bad = await client.put(base, json={"enabled": True, "categories": ["spam"]}, headers=csrf)
    assert bad.status_code == 422 and "spam" in bad.text
    put = await client.put(base, json={"enabled": True, "categories": ["technical", "billing"]}, headers=csrf)
    assert put.status_code == 200, put.text
    assert put.json()["categories"] == ["billing", "technical"] and put.json()["synced_contacts"] == 2
    assert set(await _by_email(account)) == {"api@example.com", "clerk@example.com"}

    removed = await f.post_form(client, f"/account/users/{clerk}/remove")
    assert removed.status_code == 303, removed.text
    assert set(await _by_email(account)) == {"api@example.com"}


async def test_a_member_without_the_right_sees_no_settings_and_is_refused(client: Any, authz: Any) -> None:
    owner = await f.user(authz, "boss@example.com")
    clerk = await f.user(authz, "contacts@example.com")
    admin = await f.user(authz, "admin@example.com")
    account = await f.account(authz, "Refusing Co", owner, members={clerk: ["contacts"], admin: ["all"]})
    other = await f.account(authz, "Other Co", await f.user(authz, "other@example.com"))

    await f.login_as(client, "contacts@example.com")
    page = await client.get("/account/details")
    assert page.status_code == 200 and 'data-testid="contact-sync"' not in page.text
    assert (await f.post_form(client, "/account/contact-sync", {"enabled": "on"})).status_code == 403
    base = f"/api/v1/accounts/{account}/contact-sync"
    assert (await client.get(base)).status_code == 403
    put = await client.put(base, json={"enabled": True}, headers={"x-csrftoken": f.csrf(client)})
    assert put.status_code == 403
    assert (await client.get(f"/api/v1/accounts/{other}/contact-sync")).status_code in (403, 404)
    assert not await sync.is_enabled(account)

    await f.login_as(client, "admin@example.com")  # perm:all may
    page = await client.get("/account/details")
    assert 'action="/account/contact-sync"' in page.text


async def test_a_partner_may_not_change_a_childs_contact_sync(client: Any, authz: Any) -> None:
    partner_admin = await f.user(authz, "pa@partner.example")
    partner = await f.account(authz, "Partner", partner_admin)
    child = await f.account(authz, "Child", await f.user(authz, "child@example.com"))
    await authz.add_grant("g", f"acct:{partner}", "role:partner_delegate", f"acct:{child}")
    await authz.add_grant("g", f"user:{partner_admin}", "role:partner_admin", f"acct:{partner}")
    for action in ("update", "read"):
        decision = authz.explain(
            AuthzRequest(
                f"user:{partner_admin}",
                f"acct:{partner}",
                f"acct:{child}",
                "account:contact_sync",
                action,
                "mode:normal",
            )
        )
        assert not decision.allowed
        assert decision.rule == ("p", "role:partner_delegate", "*", "account:contact_sync", ".*", "deny")
    # the same partner may manage the child's ordinary contacts
    contact = AuthzRequest(
        f"user:{partner_admin}", f"acct:{partner}", f"acct:{child}", "contact:1", "update", "mode:normal"
    )
    assert authz.allowed(contact)


async def test_synced_contacts_receive_the_kinds_of_email_they_were_given(typed_client: Any, smtp: Any) -> None:
    """A service's welcome email (technical) reaches the synced member; with billing only, it does not."""
    from services import commerce  # tests/integration/services, put on the path above

    from panel.core.audit.services import SYSTEM
    from panel.core.services import provisioning

    client = typed_client
    client.app.state.settings.values["smtp_url"] = smtp.url
    authz = client.app.state.authz
    store = await commerce.store(default=True)
    product = await commerce.product("dummy.thing", "Thing")
    _, account = await f.client_of(authz, "owner@example.com", store)
    member = await f.user(authz, "tech@example.com")
    from panel.core.accounts import services as accounts

    await accounts.add_member(authz, account, member, ["services"])

    async def welcome_to() -> str:
        order_id, _ = await commerce.order(account, store, [{"product": product, "type": "dummy.thing"}])
        await provisioning.enqueue_order(client.app.state.settings, order_id)
        await f.run_jobs(client.app)
        [message] = await smtp.wait_for(1)
        smtp.clear()
        return str(message["To"])

    await sync.update_setting(account, True, ["billing"], by=SYSTEM)
    assert "tech@example.com" not in await welcome_to()
    await sync.update_setting(account, True, ["technical"], by=SYSTEM)
    to = await welcome_to()
    assert "owner@example.com" in to and "tech@example.com" in to
