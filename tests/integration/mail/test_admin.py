"""The staff outbox: who may see it, the status filter, errors, retries, the test email."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import factories as f

from panel.core.mail import services
from panel.core.mail.config import parse_smtp_url
from panel.core.mail.delivery import deliver_due, utc_now
from panel.core.mail.tables import EmailStatus, OutgoingEmail


async def _failed_email(client, port, to="lost@example.com"):
    """A message whose five attempts all failed (the server at `port` is down)."""
    config = dataclasses.replace(client.app.state.mailer.config, smtp=parse_smtp_url(f"smtp://127.0.0.1:{port}"))
    email_id = await services.send("test", to, {"requested_by": "x"})
    now = utc_now()
    for wait in [0, 60, 300, 1800, 7200]:
        now += timedelta(seconds=wait)
        await deliver_due(config, now=now)
    return email_id


async def _status(email_id):
    row = await OutgoingEmail.select(OutgoingEmail.status, OutgoingEmail.attempts).where(OutgoingEmail.id == email_id)
    return row[0]["status"], row[0]["attempts"]


async def test_support_sees_errors_and_attempts_but_no_content(manual, closed_port):
    authz = manual.app.state.authz
    failed = await _failed_email(manual, closed_port)
    queued = await services.send("test", "waiting@example.com", {"requested_by": "Secret Person"})
    await f.user(authz, "help@example.com", staff="support")
    await f.login(manual, "help@example.com")

    page = await manual.get("/admin/emails")

    assert page.status_code == 200
    assert f'id="email-{failed}"' in page.text and f'id="email-{queued}"' in page.text
    assert f"cannot reach smtp://127.0.0.1:{closed_port}" in page.text
    assert "<td>5</td>" in page.text  # attempts
    assert "Secret Person" not in page.text  # bodies stay out of the outbox
    assert 'href="/admin/emails"' in page.text  # the nav item
    assert "PANEL_CORE_MAIL_BACKGROUND=false" in page.text  # this app sends nothing by itself
    assert "Queue a test email" not in page.text  # support may not send test emails


async def test_status_filter(manual, closed_port):
    authz = manual.app.state.authz
    failed = await _failed_email(manual, closed_port)
    queued = await services.send("test", "waiting@example.com", {"requested_by": "x"})
    await f.user(authz, "boss@example.com", staff="admin")
    await f.login(manual, "boss@example.com")

    only_failed = (await manual.get("/admin/emails?status=failed")).text
    only_queued = (await manual.get("/admin/emails?status=queued")).text
    bad = await manual.get("/admin/emails?status=lost")

    assert f'id="email-{failed}"' in only_failed and f'id="email-{queued}"' not in only_failed
    assert f'id="email-{queued}"' in only_queued and f'id="email-{failed}"' not in only_queued
    assert bad.status_code == 422 and "Choose one of" in bad.text


async def test_retry_queues_a_failed_email_again_and_it_is_delivered(manual, smtp, closed_port):
    authz = manual.app.state.authz
    email_id = await _failed_email(manual, closed_port)
    await f.user(authz, "help@example.com", staff="support")
    await f.login(manual, "help@example.com")
    page = await manual.get("/admin/emails?status=failed")
    assert f'action="/admin/emails/{email_id}/retry"' in page.text

    answer = await manual.post(
        f"/admin/emails/{email_id}/retry", data={"_csrf_token": f.csrf(manual)}, follow_redirects=False
    )

    assert answer.status_code == 303 and answer.headers["location"] == "/admin/emails?status=failed"
    assert await _status(email_id) == (EmailStatus.QUEUED, 0)
    report = await deliver_due(manual.app.state.mailer.config)  # the server is up now
    assert report.sent == [email_id]
    [message] = await smtp.wait_for(1)
    assert message["To"] == "lost@example.com"


async def test_retry_with_htmx_swaps_the_row(manual, closed_port):
    authz = manual.app.state.authz
    email_id = await _failed_email(manual, closed_port)
    await f.user(authz, "boss@example.com", staff="admin")
    await f.login(manual, "boss@example.com")

    answer = await manual.post(
        f"/admin/emails/{email_id}/retry", headers={"hx-request": "true", "x-csrftoken": f.csrf(manual)}
    )

    assert answer.status_code == 200
    assert answer.text.lstrip().startswith(f'<tr id="email-{email_id}"')
    assert ">queued<" in answer.text and "Retry" not in answer.text


async def test_retry_of_an_email_that_has_not_failed_changes_nothing(manual):
    authz = manual.app.state.authz
    email_id = await services.send("test", "a@example.com", {"requested_by": "x"})
    await f.user(authz, "boss@example.com", staff="admin")
    await f.login(manual, "boss@example.com")
    token = f.csrf(manual)

    refused = await manual.post(f"/admin/emails/{email_id}/retry", data={"_csrf_token": token})
    missing = await manual.post("/admin/emails/999999/retry", data={"_csrf_token": token})

    assert refused.status_code == 400 and "Only a failed email can be retried" in refused.text
    assert missing.status_code == 404
    assert await _status(email_id) == (EmailStatus.QUEUED, 0)


async def test_who_may_not_see_or_retry(manual, closed_port):
    authz = manual.app.state.authz
    email_id = await _failed_email(manual, closed_port)
    await f.user(authz, "bill@example.com", staff="billing")
    owner = await f.user(authz, "owner@example.com")
    await f.account(authz, "Acme", owner)

    for email in ["bill@example.com", "owner@example.com"]:
        manual.cookies.clear()
        await f.login(manual, email)
        assert (await manual.get("/admin/emails")).status_code == 403
        retry = await manual.post(f"/admin/emails/{email_id}/retry", data={"_csrf_token": f.csrf(manual)})
        assert retry.status_code == 403
        home = "/admin" if email.startswith("bill") else "/"
        assert 'href="/admin/emails"' not in (await manual.get(home)).text
    assert await _status(email_id) == (EmailStatus.FAILED, 5)


async def test_test_email_with_a_bad_address_is_refused_beside_the_field(manual):
    authz = manual.app.state.authz
    await f.user(authz, "boss@example.com", staff="admin")
    await f.user(authz, "help@example.com", staff="support")
    await f.login(manual, "boss@example.com")

    answer = await manual.post("/admin/emails/test", data={"to": "not an address", "_csrf_token": f.csrf(manual)})

    assert answer.status_code == 422
    assert 'id="to-error"' in answer.text and "is not an email address" in answer.text
    assert 'value="not an address"' in answer.text
    assert await OutgoingEmail.count() == 0
    htmx = await manual.post(
        "/admin/emails/test",
        data={"to": ""},
        headers={"hx-request": "true", "hx-target": "main", "x-csrftoken": f.csrf(manual)},
    )
    assert htmx.status_code == 422 and "<html" not in htmx.text and 'id="to-error"' in htmx.text

    manual.cookies.clear()
    await f.login(manual, "help@example.com")
    refused = await manual.post("/admin/emails/test", data={"to": "ops@example.com", "_csrf_token": f.csrf(manual)})
    assert refused.status_code == 403
    assert await OutgoingEmail.count() == 0
