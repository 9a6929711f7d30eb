"""Changing a service's password through its product type: checked, audited without the password, refused paths."""

from __future__ import annotations

import dummy_plugin
import factories as f

from panel.core.accounts import services as accounts
from panel.core.audit.tables import AuditEvent

from .helpers import active_service, client_with_store


async def test_the_owner_sets_a_password_the_type_receives_and_the_panel_never_stores(client):
    app = client.app
    dummy_plugin.PASSWORDS_SET.clear()
    dummy_plugin.EVENTS.clear()
    c = await client_with_store(app)
    sid = await active_service(app, c)
    await f.login_as(client, "owner@example.com")
    page = await client.get(f"/services/{sid}")
    assert f'action="/services/{sid}/password"' in page.text and 'data-testid="cancel-service"' in page.text

    short = await f.post_form(client, f"/services/{sid}/password", {"password": "short"})
    assert short.status_code == 422 and "Use 10 to 200 characters." in short.text
    refused = await f.post_form(client, f"/services/{sid}/password", {"password": "refuse-me-please"})
    assert refused.status_code == 409 and "refused that password" in refused.text
    assert dummy_plugin.PASSWORDS_SET == []

    done = await f.post_form(client, f"/services/{sid}/password", {"password": "correct horse battery"})
    assert done.status_code == 200 and "The password is changed." in done.text
    assert dummy_plugin.PASSWORDS_SET == [sid]
    events = await AuditEvent.select().where(AuditEvent.action == "service.password")
    assert len(events) == 1 and "correct horse" not in str(events[0])
    assert ("service_event", {"event": "password_changed", "service_id": sid, "account_id": c.account,
                              "type": "dummy.thing"}) in dummy_plugin.EVENTS  # fmt: skip


async def test_another_account_and_a_member_without_services_cannot_change_it(client):
    app = client.app
    dummy_plugin.PASSWORDS_SET.clear()
    c = await client_with_store(app)
    sid = await active_service(app, c)
    other = await f.user(app.state.authz, "other@example.com")
    await f.account(app.state.authz, "Other Co", other)
    await f.login_as(client, "other@example.com")
    assert (await f.post_form(client, f"/services/{sid}/password", {"password": "0123456789ab"})).status_code == 404
    await f.get_csrf(client)
    api = await client.post(
        f"/api/v1/accounts/{c.account}/services/{sid}/password",
        json={"password": "0123456789ab"},
        headers={"x-csrftoken": f.csrf(client)},
    )
    assert api.status_code in (403, 404)

    reader = await f.user(app.state.authz, "reader@example.com")
    await accounts.add_member(app.state.authz, c.account, reader, ["invoices"])
    await f.login_as(client, "reader@example.com")
    assert (await f.post_form(client, f"/services/{sid}/password", {"password": "0123456789ab"})).status_code == 403
    assert dummy_plugin.PASSWORDS_SET == []
