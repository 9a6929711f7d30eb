"""The console: a partner creates a customer's organization, the owner approves, the partner manages it."""

from __future__ import annotations

import re
from typing import Any

import factories as f
import pcsupport as w
from panel.core.audit.services import SYSTEM
from panel.core.audit.tables import AuditEvent

from panel_partner_console import services

NEW_PASSWORD = "a new strong password 123"


async def test_partner_creates_an_organization_owner_approves_and_partner_manages_it(client: Any, smtp: Any) -> None:
    authz = client.app.state.authz
    pa = await f.user(authz, w.PARTNER_OWNER)
    agency = await f.account(authz, "Agency", pa)

    await f.login_as(client, w.PARTNER_OWNER)
    assert (await client.get("/partner")).status_code == 404  # not a partner yet
    await services.enable_partner(authz, agency, by=SYSTEM)
    page = await client.get("/partner")
    assert page.status_code == 200 and "No customers yet." in page.text
    assert 'href="/partner"' in (await client.get("/")).text  # the console is in the navigation now

    bad = await f.post_form(client, "/partner/children/new", {"name": "", "owner_email": "not-an-email"})
    assert bad.status_code == 422
    assert 'id="name-error"' in bad.text and 'id="owner_email-error"' in bad.text

    made = await f.post_form(
        client, "/partner/children/new", {"name": "Newco", "owner_email": "nina@newco.test", "owner_name": "Nina"}
    )
    assert made.status_code == 303, made.text
    [message] = await smtp.wait_to("nina@newco.test", 1)
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Agency asks to manage Newco" in str(message["Subject"])
    link = re.search(r"http://testserver.local(/password/reset/\S+)", body)
    assert link, body
    page = await client.get("/partner")
    assert "waiting for the owner" in page.text and "Manage</button>" not in page.text
    child = (await services.children(agency))[0][0]
    assert child.account_id is not None
    nothing_yet = await f.post_form(client, f"/partner/children/{child.account_id}/manage")
    assert nothing_yet.status_code == 404  # nothing is managed before the owner approves

    # the new owner chooses a password through the emailed link, logs in and approves
    client.cookies.clear()
    form = await client.get(link.group(1))
    token = f.form_token(form.text)
    done = await client.post(
        link.group(1),
        data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD, "_csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code in (302, 303), done.text
    client.cookies.clear()
    assert (await f.login(client, "nina@newco.test", NEW_PASSWORD)).status_code in (302, 303)
    requests = await client.get("/partner-requests")
    assert "Agency" in requests.text and "Newco" in requests.text
    approved = await f.post_form(client, f"/partner-requests/{child.link_id}/approve")
    assert approved.status_code == 303
    await smtp.wait_to(w.PARTNER_OWNER, 1)

    # the partner manages it: the child's home page with the banner, an owner-level action allowed
    await f.login_as(client, w.PARTNER_OWNER)
    await w.manage(client, child.account_id)
    home = await client.get("/")
    assert home.status_code == 200
    assert 'data-testid="managing-banner"' in home.text and "You are managing <strong>Newco</strong>" in home.text
    assert 'data-testid="current-account">Newco<' in home.text
    details = await client.get("/account/details")
    assert details.status_code == 200
    saved = await f.post_form(client, "/account/details", {"name": "Newco Ltd", "email": "billing@newco.test"})
    assert saved.status_code in (200, 303), saved.text

    # back to the console
    back = await f.post_form(client, "/partner/leave")
    assert back.headers["location"] == "/partner?notice=left"
    assert 'data-testid="managing-banner"' not in (await client.get("/partner")).text

    # the child's owner sees what the partner did, marked with the partner's name
    partner_events = await AuditEvent.select(AuditEvent.action).where(
        (AuditEvent.account_id == child.account_id) & (AuditEvent.partner_account_id == agency)
    )
    assert {"partner.manage.start"} <= {e["action"] for e in partner_events}
    assert len(partner_events) >= 2, partner_events  # the details change too
    client.cookies.clear()
    assert (await f.login(client, "nina@newco.test", NEW_PASSWORD)).status_code in (302, 303)
    log = await client.get("/account/audit")
    assert log.status_code == 200
    assert log.text.count('data-testid="partner">for partner Agency<') >= 2


async def test_staff_impersonating_the_owner_cannot_consent_for_them(client: Any) -> None:
    from panel_partner_console.tables import PartnerLink

    authz = client.app.state.authz
    wd = await w.world(client)
    dana = await f.user(authz, "dana@delta.test")
    delta = await f.account(authz, "Delta", dana)
    link = await services.request_existing(wd.partner, "dana@delta.test", by=SYSTEM)
    await f.user(authz, "root@provider.test", staff="admin")
    await f.login_as(client, "root@provider.test")
    await client.get("/admin")
    assert (await f.post_form(client, f"/admin/users/{dana}/impersonate")).status_code in (302, 303)
    refused = await f.post_form(client, f"/partner-requests/{link}/approve", {"account_id": str(delta)})
    assert refused.status_code == 403
    row = await PartnerLink.select(PartnerLink.status).where(PartnerLink.id == link).first()
    assert row["status"] == "pending"
    # the owner herself may
    await f.login_as(client, "dana@delta.test")
    assert (
        await f.post_form(client, f"/partner-requests/{link}/approve", {"account_id": str(delta)})
    ).status_code == 303
