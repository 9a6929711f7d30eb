"""Revoking, ending and expiring partnerships; another partner's customer stays out of reach."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factories as f
import pcsupport as w
import pytest
from panel.core.audit.tables import AuditEvent
from panel.core.auth.tables import Session
from panel.core.services.lifecycle import utc_today
from panel.errors import NotFound

from panel_partner_console import services
from panel_partner_console.tables import LinkStatus, PartnerLink, PartnerReminder


async def test_revocation_takes_effect_on_the_partners_next_request_open_sessions_included(
    client: Any, smtp: Any
) -> None:
    wd = await w.world(client)
    token = await w.api_token(wd.partner_owner)
    partner_api = {"authorization": f"Bearer {token}", "x-partner-account": str(wd.partner)}
    assert (await client.get(f"/api/v1/accounts/{wd.acme}/members", headers=partner_api)).status_code == 200

    await f.login_as(client, w.PARTNER_OWNER)
    await w.manage(client, wd.acme)
    assert (await client.get("/account/users")).status_code == 200

    # the owner revokes in one click, from another browser (another cookie jar, the same app)
    partner_browser = dict(client.cookies)
    await f.login_as(client, w.ALICE)
    page = await client.get("/account/partner")
    assert 'data-testid="revoke"' in page.text
    assert (await f.post_form(client, "/account/partner/revoke")).status_code == 303
    assert "no longer sees or changes anything" in (await client.get("/account/partner?notice=revoked")).text
    client.cookies.clear()
    client.cookies.update(partner_browser)

    # the partner's very next request: back in its own account, Acme gone from the console
    home = await client.get("/")
    assert 'data-testid="managing-banner"' not in home.text
    assert 'data-testid="current-account">Agency<' in home.text
    console = await client.get("/partner")
    assert f'data-testid="child-{wd.acme}"' not in console.text and f'data-testid="child-{wd.beta}"' in console.text
    assert (await f.post_form(client, f"/partner/children/{wd.acme}/manage")).status_code == 404
    # the API answers 403 naming the revocation tombstone
    refused = await client.get(f"/api/v1/accounts/{wd.acme}/members", headers=partner_api)
    assert refused.status_code == 403
    assert "status:revoked" in refused.json()["reason"]
    assert await Session.count().where(Session.partner_account_id == wd.partner) == 0
    mails = await smtp.wait_to(w.PARTNER_OWNER, 3)  # Acme and Beta approved, then Acme revoked
    assert any(str(m["Subject"]) == "Your access to Acme revoked" for m in mails), [m["Subject"] for m in mails]
    assert await AuditEvent.exists().where(
        (AuditEvent.account_id == wd.acme) & (AuditEvent.action == "partner.link.revoked")
    )

    # the owner invites the partner back: managed again
    await f.login_as(client, w.ALICE)
    page = await client.get("/account/partner")
    assert f'data-testid="invite-back-{wd.partner}"' in page.text
    assert (
        await f.post_form(client, "/account/partner/invite-back", {"partner_id": str(wd.partner)})
    ).status_code == 303
    assert (await client.get(f"/api/v1/accounts/{wd.acme}/members", headers=partner_api)).status_code == 200


async def test_another_partners_customer_is_not_found_whatever_the_id(client: Any) -> None:
    wd = await w.world(client)
    await f.login_as(client, w.PARTNER_OWNER)
    for path in (f"/partner/children/{wd.stranger}/plan", f"/partner/children/{wd.stranger}/card"):
        assert (await client.get(path)).status_code == 404, path
    await client.get("/partner")
    assert (await f.post_form(client, f"/partner/children/{wd.stranger}/manage")).status_code == 404
    assert (await f.post_form(client, f"/partner/children/{wd.stranger}/plan", {"service_id": "1"})).status_code == 404
    link = await PartnerLink.select(PartnerLink.id).where(PartnerLink.child == wd.stranger).first()
    assert (await f.post_form(client, f"/partner/links/{link['id']}/end")).status_code == 404
    # the other partner's list by API; acting "for" the other partner in its customer's account
    token = await w.api_token(wd.partner_owner)
    bearer = {"authorization": f"Bearer {token}"}
    assert (
        await client.get(f"/api/v1/partner/accounts/{wd.other_partner}/children", headers=bearer)
    ).status_code == 403
    spoofed = {**bearer, "x-partner-account": str(wd.other_partner)}
    assert (await client.get(f"/api/v1/accounts/{wd.stranger}/members", headers=spoofed)).status_code == 403
    mine = {**bearer, "x-partner-account": str(wd.partner)}
    assert (await client.get(f"/api/v1/accounts/{wd.stranger}/members", headers=mine)).status_code == 403
    # a member of the partner account who is not a partner admin cannot manage even its own customers
    await f.login_as(client, w.PARTNER_MEMBER)
    await client.get("/partner")
    refused = await f.post_form(client, f"/partner/children/{wd.acme}/manage")
    assert refused.status_code == 403 and w.reason(refused) == ""  # no standing there: nothing about it is told


async def test_an_end_date_sends_reminders_once_and_ends_access_on_the_day(client: Any, smtp: Any) -> None:
    wd = await w.world(client)
    authz = client.app.state.authz
    today = utc_today()
    await PartnerLink.update({PartnerLink.ends_on: today + timedelta(days=7)}).where(PartnerLink.child == wd.acme)
    await PartnerLink.update({PartnerLink.ends_on: today + timedelta(days=20)}).where(PartnerLink.child == wd.beta)
    assert await services.send_reminders(today) == 2  # Acme: the 7-day one; Beta: the 30-day one (missed earlier)
    assert await services.send_reminders(today) == 0  # each once
    alice = await smtp.wait_to(w.ALICE, 2)  # the request she approved, then the reminder
    bob = await smtp.wait_to(w.BOB, 2)
    assert str(alice[-1]["Subject"]) == "Partner access to Acme ends in 7 days"
    assert str(bob[-1]["Subject"]) == "Partner access to Beta ends in 20 days"
    partner = await smtp.wait_to(w.PARTNER_OWNER, 4)  # two approvals, two reminders
    assert sum("ends in" in str(m["Subject"]) for m in partner) == 2
    assert await services.send_reminders(today + timedelta(days=6)) == 1  # Acme's last day before: the 1-day one
    assert {r["days_before"] for r in await PartnerReminder.select(PartnerReminder.days_before)} == {30, 7, 1}

    # on the day, Manage is refused at once, and the daily job ends it (grants and sessions too)
    await f.login_as(client, w.PARTNER_OWNER)
    await w.manage(client, wd.acme)
    await PartnerLink.update({PartnerLink.ends_on: today}).where(PartnerLink.child == wd.acme)
    await f.post_form(client, "/partner/leave")
    assert (await f.post_form(client, f"/partner/children/{wd.acme}/manage")).status_code == 404
    from panel.core.jobs.services import enqueue

    from panel_partner_console.jobs import DAILY

    await enqueue(client.app.state.settings, DAILY, {})
    assert await f.run_jobs(client.app) == 1
    row = await PartnerLink.select(PartnerLink.status).where(PartnerLink.child == wd.acme).first()
    assert row["status"] == LinkStatus.ENDED
    assert ("g", f"acct:{wd.partner}", "role:partner_delegate", f"acct:{wd.acme}") not in authz.grants_in(
        f"acct:{wd.acme}"
    )
    assert f'data-testid="child-{wd.acme}"' not in (await client.get("/partner")).text


async def test_a_suspended_partner_loses_its_open_sessions_and_manages_nothing(client: Any) -> None:
    from panel.core.accounts import services as accounts

    wd = await w.world(client)
    await f.login_as(client, w.PARTNER_OWNER)
    await w.manage(client, wd.acme)
    assert (await client.get("/account/users")).status_code == 200
    await accounts.suspend(client.app.state.authz, wd.partner)
    gone = await client.get("/account/users", follow_redirects=False)
    assert gone.status_code in (302, 303, 401)  # the session acting for the partner ended
    with pytest.raises(NotFound):  # and Manage is refused while it stays suspended
        await services.manageable_child(wd.partner, wd.acme)
