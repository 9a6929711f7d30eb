"""Tickets by email, over real SMTP: the app's receiver (started by its start-up hook) fed with smtplib.

Replies land on the ticket of their Reply-To address, cut to the new text; strangers,
forged addresses and repeats add nothing; files go through the upload rules.
"""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import factories as f
import pytest
from support import free_port, make_settings

from panel.core.support import services, staff_services, staff_settings
from panel.core.support.addresses import reply_address
from panel.core.support.tables import SupportAttachment, SupportMessage, SupportTicket
from panel.settings import Settings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(scope="module")
def inbound_port() -> int:
    """One port for this module's app (the app is built once per settings and shared)."""
    return free_port()


@pytest.fixture
def settings(migrated: str, tmp_path: Path, smtp: Any, inbound_port: int) -> Settings:
    """The folder's settings, plus the receiver listening on a free port."""
    settings = make_settings(
        migrated,
        tmp_path,
        PANEL_CORE_MAIL_POLL_SECONDS="60",
        PANEL_CORE_SUPPORT_MAX_ATTACHMENT_MB="1",
        PANEL_CORE_SUPPORT_MAX_ATTACHMENTS="3",
        PANEL_CORE_SUPPORT_REPLY_DOMAIN="desk.example.test",
        PANEL_CORE_SUPPORT_INBOUND_SMTP=f"127.0.0.1:{inbound_port}",
    )
    settings.values["smtp_url"] = smtp.url
    return settings


def _send(port: int, message: EmailMessage, to: str) -> dict[str, Any]:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        return s.send_message(message, from_addr=str(message["From"]), to_addrs=[to])


async def send(port: int, message: EmailMessage, to: str) -> dict[str, Any]:
    """Deliver over SMTP from a thread (the receiver answers on the app's event loop)."""
    return await asyncio.to_thread(_send, port, message, to)


def mail(sender: str, to: str, body: str, message_id: str, subject: str = "Re: your ticket") -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(body)
    return message


async def _mail_to(smtp: Any, address: str, text: str, seconds: float = 5) -> Any:
    """The first message to `address` whose text contains `text`, waiting for it to arrive."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        for message in smtp.messages:
            body = message.get_body(preferencelist=("plain",)).get_content()
            if address in str(message["To"]) and text in body:
                return message
        await asyncio.sleep(0.05)
    raise AssertionError(f"no email to {address} with {text!r} arrived")


async def _desk(authz: Any) -> dict[str, int]:
    ann = await f.user(authz, "ann@example.com")
    agent = await f.user(authz, "agent@example.com", staff="support")
    acme = await f.account(authz, "Acme", ann)
    tech = await staff_settings.save_department(
        None, {"name": "Technical", "email": "tech@desk.example.test", "is_active": "on"}, [agent], authz
    )
    return {"ann": ann, "agent": agent, "acme": acme, "tech": tech}


async def _replies(ticket_id: int) -> list[dict[str, Any]]:
    return await (
        SupportMessage.select()
        .where((SupportMessage.ticket == ticket_id) & SupportMessage.is_internal.eq(False))
        .order_by(SupportMessage.id)
    )


async def test_a_reply_by_email_lands_on_the_ticket(client, authz, smtp, inbound_port, upload_dir):
    d = await _desk(authz)
    ticket = await services.open_ticket(d["acme"], d["ann"], d["tech"], "Site down", "The site is down.", "high")
    await staff_services.update_ticket(ticket, staff_services.TicketChanges(assignee=d["agent"]), authz)
    await services.reply(ticket, author_id=d["agent"], body="We restarted it.", is_staff=True)
    await services.close(ticket, d["agent"])
    number = (await SupportTicket.select(SupportTicket.number).where(SupportTicket.id == ticket).first())["number"]
    notice = await _mail_to(smtp, "ann@example.com", "We restarted it.")
    reply_to = str(notice["Reply-To"])
    assert reply_to == reply_address(ticket)

    # Ann answers from her mail client: her text on top, the quote and her signature below.
    body = (
        "Still down for me, sorry.\n\nAnn\n-- \nAnn Example, Acme Ltd\n\n"
        f"On Mon, 23 Nov 2026 at 10:00, Support <{reply_to}> wrote:\n> We restarted it.\n> -- \n> Support\n"
    )
    answer = mail("Ann Example <ann@example.com>", reply_to, body, "<reply-1@mail.example.com>", f"Re: {number}")
    assert await send(inbound_port, answer, reply_to) == {}
    replies = await _replies(ticket)
    assert [r["body"] for r in replies][-1] == "Still down for me, sorry.\n\nAnn"
    last = replies[-1]
    assert (last["via"], last["author"], last["is_staff"]) == ("email", d["ann"], False)
    row = await SupportTicket.select().where(SupportTicket.id == ticket).first()
    assert row["status"] == "customer_reply" and row["closed_at"] is None  # the closed ticket reopened
    desk_mail = await _mail_to(smtp, "agent@example.com", "Still down for me, sorry.")
    assert number in str(desk_mail["Subject"]) and str(desk_mail["Reply-To"]) == reply_to

    # The same message delivered again (a retry after a lost "250") adds nothing.
    assert await send(inbound_port, answer, reply_to) == {}
    assert len(await _replies(ticket)) == len(replies)

    # HTML-only mail with files: the PNG is kept, the program and the oversized file are left out with a note.
    rich = EmailMessage()
    rich["From"] = "ann@example.com"
    rich["To"] = reply_to
    rich["Subject"] = f"Re: {number}"
    rich["Message-ID"] = "<reply-2@mail.example.com>"
    rich.set_content(
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head>"
        "<body><p>Here is a <b>screenshot</b> &amp; a log.</p>"
        "<div>On Tue, Support wrote:<blockquote>older text</blockquote></div></body></html>",
        subtype="html",
    )
    rich.add_attachment(PNG, maintype="image", subtype="png", filename="screen.png")
    rich.add_attachment(b"MZ\x90\x00", maintype="application", subtype="octet-stream", filename="fix.exe")
    rich.add_attachment(b"x" * (1024 * 1024 + 1), maintype="text", subtype="plain", filename="huge.txt")
    before = set(upload_dir.iterdir()) if upload_dir.exists() else set()
    assert await send(inbound_port, rich, reply_to) == {}
    last = (await _replies(ticket))[-1]
    assert last["body"].startswith("Here is a screenshot & a log.")
    assert "older text" not in last["body"] and "alert" not in last["body"] and "<" not in last["body"].split("\n")[0]
    assert "[Attachment not accepted: fix.exe: this type of file is not accepted]" in last["body"]
    assert "huge.txt: is larger than the 1 MB limit" in last["body"]
    [kept] = await SupportAttachment.select().where(SupportAttachment.message == last["id"])
    assert kept["filename"] == "screen.png" and kept["size"] == len(PNG)
    assert len(set(upload_dir.iterdir()) - before) == 1  # nothing of the refused files stays on disk
    await f.login_as(client, "agent@example.com")
    download = await client.get(f"/admin/support/tickets/{ticket}/attachments/{kept['id']}")
    assert download.status_code == 200 and download.content == PNG

    # The assigned agent may answer by email too: a staff reply, mailed to the client.
    staff_answer = mail("agent@example.com", reply_to, "Fixed for real now.", "<staff-1@desk.example.test>")
    assert await send(inbound_port, staff_answer, reply_to) == {}
    last = (await _replies(ticket))[-1]
    assert (last["author"], last["is_staff"], last["via"]) == (d["agent"], True, "email")
    assert (await SupportTicket.select(SupportTicket.status).where(SupportTicket.id == ticket).first())[
        "status"
    ] == "answered"
    await _mail_to(smtp, "ann@example.com", "Fixed for real now.")


async def test_strangers_forged_addresses_and_merged_tickets(client, authz, smtp, inbound_port, upload_dir):
    d = await _desk(authz)
    await f.user(authz, "eve@example.com")  # a user of the panel, but not of Acme
    ticket = await services.open_ticket(d["acme"], d["ann"], d["tech"], "Site down", "Down.", "high")
    target = reply_address(ticket)
    count = await SupportMessage.count()
    files = set(upload_dir.iterdir()) if upload_dir.exists() else set()

    # A made-up reply address is refused at RCPT.
    forged = target.replace(target.split("-")[1].split("@")[0], "0" * 16)
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        await send(inbound_port, mail("ann@example.com", forged, "hi", "<f1@x>"), forged)
    assert refused.value.recipients[forged][0] == 550
    unknown = "nobody@desk.example.test"
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        await send(inbound_port, mail("ann@example.com", unknown, "hi", "<f2@x>"), unknown)

    # A stranger (even a panel user) writing to a real reply address is refused at DATA, and logged.
    for sender in ("mallory@evil.example", "eve@example.com"):
        phishing = mail(sender, target, "Pay here: evil.example", f"<s-{sender}>")
        phishing.add_attachment(PNG, maintype="image", subtype="png", filename="invoice.png")
        with pytest.raises(smtplib.SMTPDataError) as data_refused:
            await send(inbound_port, phishing, target)
        assert data_refused.value.smtp_code == 550
    # ... and so is a new ticket to the department's address from someone who is not a client.
    with pytest.raises(smtplib.SMTPDataError):
        stranger = mail("mallory@evil.example", "tech@desk.example.test", "Hi", "<s3>")
        await send(inbound_port, stranger, "tech@desk.example.test")
    assert await SupportMessage.count() == count
    assert (set(upload_dir.iterdir()) if upload_dir.exists() else set()) == files

    # A contact of the account may write; a client's mail to the department's address opens a ticket.
    from panel.core.contacts.tables import Contact

    await Contact.insert(Contact(account=d["acme"], name="Carl Contact", email="Carl@Acme.example"))
    assert await send(inbound_port, mail("carl@acme.example", target, "Carl here.", "<c1@x>"), target) == {}
    carl = (await _replies(ticket))[-1]
    assert (carl["author"], carl["author_name"], carl["body"]) == (None, "Carl Contact", "Carl here.")
    new = mail("ann@example.com", "tech@desk.example.test", "Mail bounces.", "<n1@x>", subject="Mail bounces")
    assert await send(inbound_port, new, "tech@desk.example.test") == {}
    opened = await SupportTicket.select().where(SupportTicket.subject == "Mail bounces").first()
    assert (opened["account"], opened["department"], opened["opened_by"]) == (d["acme"], d["tech"], d["ann"])
    by_contact = mail("carl@acme.example", "tech@desk.example.test", "Invoice copy?", "<n2@x>", subject="Copy")
    assert await send(inbound_port, by_contact, "tech@desk.example.test") == {}
    copy = await SupportTicket.select().where(SupportTicket.subject == "Copy").first()
    assert (copy["account"], copy["opened_by"]) == (d["acme"], None)

    # A reply to a ticket that was merged goes to the ticket it was merged into.
    await staff_services.merge(ticket, opened["id"])
    late = mail("ann@example.com", reply_address(opened["id"]), "Late reply.", "<late@x>")
    assert await send(inbound_port, late, reply_address(opened["id"])) == {}
    assert (await _replies(ticket))[-1]["body"] == "Late reply."
    assert not await SupportMessage.exists().where(
        (SupportMessage.ticket == opened["id"]) & SupportMessage.is_internal.eq(False)
    )
