"""Email reaches a real SMTP server: queued in requests, sent after commit, retried, never twice."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import factories as f
import pytest
from aiosmtpd.controller import Controller

from panel.core import db
from panel.core.mail import services
from panel.core.mail.config import parse_smtp_url
from panel.core.mail.delivery import claim, deliver_due, utc_now
from panel.core.mail.tables import EmailStatus, OutgoingEmail


async def _row(email_id):
    return await OutgoingEmail.select().where(OutgoingEmail.id == email_id).first()


async def _until_status(email_id, status, seconds=5.0):
    """The background deliverer records the result just after the server took the message."""
    for _ in range(int(seconds / 0.02)):
        row = await _row(email_id)
        if row["status"] == status:
            return row
        await asyncio.sleep(0.02)
    raise AssertionError(f"email {email_id} is {row['status']}, not {status}")


async def _owner_logged_in(client, authz, email="owner@example.com"):
    owner = await f.user(authz, email)
    account = await f.account(authz, "Acme", owner)
    await f.login(client, email)
    return account


# -- queued in a request, sent by the background deliverer -------------------------------------


async def test_email_queued_in_a_request_arrives_with_text_html_and_headers(plugin_client, smtp):
    authz = plugin_client.app.state.authz
    account = await _owner_logged_in(plugin_client, authz)

    answer = await plugin_client.post(
        "/mailtest/welcome",
        data={"to": "Ada Lovelace <ada@example.com>", "name": "Ada", "_csrf_token": f.csrf(plugin_client)},
    )

    assert answer.status_code == 201, answer.text
    email_id = answer.json()["id"]
    [message] = await smtp.wait_for(1)  # well before the deliverer's regular look: queuing woke it
    assert message["Subject"] == "Welcome, Ada!"
    assert message["To"] == "Ada Lovelace <ada@example.com>"
    assert message["From"] == "Hostpanel <panel@example.net>"
    assert message["Message-ID"].endswith("@example.net>")
    assert message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Hello Ada,\nyour account is ready: http://127.0.0.1:8000/" in text
    assert "<p>Hello Ada</p>" in html and "Sent by hostpanel" in html
    assert smtp.envelopes == [("panel@example.net", ["ada@example.com"])]
    row = await _until_status(email_id, EmailStatus.SENT)
    assert row["account"] == account and row["attempts"] == 1 and row["sent_at"] is not None
    assert row["message_id"] == message["Message-ID"]


async def test_rolled_back_request_sends_nothing(plugin_client, smtp):
    authz = plugin_client.app.state.authz
    await _owner_logged_in(plugin_client, authz)
    token = f.csrf(plugin_client)

    failed = await plugin_client.post(
        "/mailtest/welcome", data={"to": "a@example.com", "fail": "1", "_csrf_token": token}
    )
    assert failed.status_code == 400
    assert await OutgoingEmail.count() == 0
    sent = await plugin_client.post(
        "/mailtest/welcome", data={"to": "b@example.com", "name": "B", "_csrf_token": token}
    )
    assert sent.status_code == 201

    await smtp.wait_for(1)
    await asyncio.sleep(0.2)
    assert [m["To"] for m in smtp.messages] == ["b@example.com"]  # only the committed one


async def test_admin_test_email_arrives(client, authz, smtp):
    await f.user(authz, "boss@example.com", staff="admin")
    await f.login(client, "boss@example.com")

    answer = await client.post(
        "/admin/emails/test", data={"to": "ops@example.com", "_csrf_token": f.csrf(client)}, follow_redirects=False
    )

    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/admin/emails?queued=")
    [message] = await smtp.wait_for(1)
    assert message["Subject"] == "Test email from hostpanel"
    assert "sent from the admin area by boss@example.com" in message.get_body(("plain",)).get_content()
    page = await client.get(answer.headers["location"])
    assert "is queued" in page.text


# -- the sending function, driven with the time the test wants --------------------------------


async def test_rolled_back_transaction_queues_nothing(manual, smtp):
    class Oops(Exception):
        pass

    with pytest.raises(Oops):
        async with db.write_transaction():
            await services.send("test", "a@example.com", {"requested_by": "x"})
            raise Oops

    report = await deliver_due(manual.app.state.mailer.config)
    assert report.attempted == 0
    assert await OutgoingEmail.count() == 0
    assert smtp.messages == []


async def test_smtp_down_is_retried_with_back_off_then_delivered(manual, smtp, settings, closed_port):
    config = dataclasses.replace(manual.app.state.mailer.config, smtp=parse_smtp_url(f"smtp://127.0.0.1:{closed_port}"))
    email_id = await services.send("test", "a@example.com", {"requested_by": "x"})
    t0 = utc_now()

    first = await deliver_due(config, now=t0)
    assert first.retrying == [email_id]
    row = await _row(email_id)
    assert row["status"] == EmailStatus.QUEUED and row["attempts"] == 1
    assert row["next_attempt_at"] == t0 + timedelta(minutes=1)
    assert f"cannot reach smtp://127.0.0.1:{closed_port}" in row["last_error"]

    assert (await deliver_due(config, now=t0 + timedelta(seconds=59))).attempted == 0  # not due yet

    second = await deliver_due(config, now=t0 + timedelta(seconds=61))
    assert second.retrying == [email_id]
    row = await _row(email_id)
    assert row["attempts"] == 2
    assert row["next_attempt_at"] == t0 + timedelta(seconds=61) + timedelta(minutes=5)

    back = Controller(smtp.handler, hostname="127.0.0.1", port=closed_port)  # the server comes back
    back.start()
    try:
        assert (await deliver_due(config, now=t0 + timedelta(minutes=4))).attempted == 0
        third = await deliver_due(config, now=t0 + timedelta(seconds=61 + 300))
    finally:
        back.stop()

    assert third.sent == [email_id]
    assert len(smtp.messages) == 1
    row = await _row(email_id)
    assert row["status"] == EmailStatus.SENT and row["attempts"] == 3


async def test_gives_up_after_the_last_delay(manual, closed_port):
    config = dataclasses.replace(manual.app.state.mailer.config, smtp=parse_smtp_url(f"smtp://127.0.0.1:{closed_port}"))
    email_id = await services.send("test", "a@example.com", {"requested_by": "x"})
    now = utc_now()
    outcomes = []
    for wait in [0, 60, 300, 1800, 7200]:  # 1 min, 5 min, 30 min, 2 h, then failed
        now += timedelta(seconds=wait)
        report = await deliver_due(config, now=now)
        outcomes.append("retrying" if report.retrying else "failed" if report.failed else "-")

    assert outcomes == ["retrying", "retrying", "retrying", "retrying", "failed"]
    row = await _row(email_id)
    assert row["status"] == EmailStatus.FAILED and row["attempts"] == 5
    assert (await deliver_due(config, now=now + timedelta(days=1))).attempted == 0


async def test_permanent_refusal_fails_at_once(manual, closed_port):
    class Refuses:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            return "550 5.1.1 no such user here"

    refusing = Controller(Refuses(), hostname="127.0.0.1", port=closed_port)
    refusing.start()
    try:
        config = dataclasses.replace(
            manual.app.state.mailer.config, smtp=parse_smtp_url(f"smtp://127.0.0.1:{closed_port}")
        )
        email_id = await services.send("test", "nobody@example.com", {"requested_by": "x"})
        report = await deliver_due(config)
    finally:
        refusing.stop()

    assert report.failed == [email_id]
    row = await _row(email_id)
    assert row["attempts"] == 1
    assert "550" in row["last_error"] and "no such user here" in row["last_error"]


async def test_no_smtp_configured_keeps_mail_queued(no_smtp, smtp):
    mailer = no_smtp.app.state.mailer
    email_id = await services.send("test", "a@example.com", {"requested_by": "x"})

    report = await deliver_due(mailer.config)

    assert not mailer.delivering  # no background deliverer without a server
    assert report.attempted == 0
    row = await _row(email_id)
    assert row["status"] == EmailStatus.QUEUED and row["attempts"] == 0
    await f.user(no_smtp.app.state.authz, "boss@example.com", staff="admin")
    await f.login(no_smtp, "boss@example.com")
    page = await no_smtp.get("/admin/emails")
    assert "<code>PANEL_SMTP_URL</code> is not set" in page.text
    assert "1 message(s) wait in the queue" in page.text
    assert smtp.messages == []


# -- two deliverers, one outbox ----------------------------------------------------------------


async def test_two_deliverers_racing_send_each_message_once(manual, smtp):
    config = manual.app.state.mailer.config
    ids = [await services.send("test", f"user{i}@example.com", {"requested_by": "x"}) for i in range(20)]

    def other_process():  # its own thread and event loop, as a second web process would have
        return asyncio.run(deliver_due(config))

    one, two = await asyncio.gather(asyncio.to_thread(other_process), asyncio.to_thread(other_process))

    assert sorted(one.sent + two.sent) == sorted(ids)
    assert not set(one.sent) & set(two.sent)
    await smtp.wait_for(20)
    await asyncio.sleep(0.2)
    assert len(smtp.messages) == 20
    assert len({m["Message-ID"] for m in smtp.messages}) == 20
    assert sorted(m["To"] for m in smtp.messages) == sorted(f"user{i}@example.com" for i in range(20))


async def test_only_one_claim_wins(manual):
    email_id = await services.send("test", "a@example.com", {"requested_by": "x"})
    now = utc_now()

    first, second = await asyncio.gather(claim(email_id, now), claim(email_id, now))

    assert [first is None, second is None].count(True) == 1


async def test_a_message_left_sending_by_a_dead_deliverer_is_sent_later(manual, smtp):
    email_id = await services.send("test", "a@example.com", {"requested_by": "x"})
    now = utc_now()
    assert await claim(email_id, now) is not None  # ...and the process died here

    assert (await deliver_due(manual.app.state.mailer.config, now=now + timedelta(minutes=5))).attempted == 0
    report = await deliver_due(manual.app.state.mailer.config, now=now + timedelta(minutes=16))

    assert report.sent == [email_id]
    await smtp.wait_for(1)


# -- what `send` accepts -------------------------------------------------------------------------


async def test_bad_recipient_is_refused_and_nothing_is_queued(manual):
    from panel.errors import ValidationFailed

    for bad in ["", "not-an-address", "a@example.com\nBcc: x@example.com", ["ok@example.com", "nope"]]:
        with pytest.raises(ValidationFailed) as caught:
            await services.send("test", bad, {"requested_by": "x"})
        assert "to" in caught.value.errors
    with pytest.raises(ValidationFailed) as caught:
        await services.send("test", "a@example.com", {}, reply_to="x\r\nBcc: y@example.com")
    assert "reply_to" in caught.value.errors
    assert await OutgoingEmail.count() == 0


async def test_text_is_not_escaped_and_html_is(plugin_client, smtp):
    await services.send("mailtest/welcome", ["a@example.com", "b@example.com"], {"name": "<Tom & Jerry>"})

    [message] = await smtp.wait_for(1)

    assert message["Subject"] == "Welcome, <Tom & Jerry>!"
    assert "Hello <Tom & Jerry>," in message.get_body(("plain",)).get_content()
    assert "<p>Hello &lt;Tom &amp; Jerry&gt;</p>" in message.get_body(("html",)).get_content()
    assert smtp.envelopes[0][1] == ["a@example.com", "b@example.com"]


async def test_reply_to_is_set(manual, smtp):
    await services.send("test", "a@example.com", {"requested_by": "x"}, reply_to="Support <help@example.com>")

    await deliver_due(manual.app.state.mailer.config)

    [message] = await smtp.wait_for(1)
    assert message["Reply-To"] == "Support <help@example.com>"
    assert message.get_content_type() == "multipart/alternative"


async def test_display_names_keep_their_letters_and_commas(manual, smtp):
    email_id = await services.send("test", ['"Jörg, Müller" <j@example.com>', "b@example.com"], {"requested_by": "x"})

    await deliver_due(manual.app.state.mailer.config)

    [message] = await smtp.wait_for(1)
    assert [(a.display_name, a.addr_spec) for a in message["To"].addresses] == [
        ("Jörg, Müller", "j@example.com"),
        ("", "b@example.com"),
    ]
    assert smtp.envelopes[0][1] == ["j@example.com", "b@example.com"]
    assert (await _row(email_id))["recipients"] == '"Jörg, Müller" <j@example.com>, b@example.com'
