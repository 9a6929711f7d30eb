"""The staff desk: departments, filters and the queue, the ticket page, canned responses, merge, split, deny paths."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import factories as f

from panel.core.audit.tables import AuditEvent
from panel.core.support import services, staff_settings
from panel.core.support.tables import SupportDepartment, SupportMessage, SupportTicket


async def _desk(authz: Any) -> dict[str, int]:
    """Two client accounts, a support agent on Technical, Billing with nobody on it."""
    ann = await f.user(authz, "ann@example.com")
    bob = await f.user(authz, "bob@example.com")
    agent = await f.user(authz, "agent@example.com", staff="support")
    acme = await f.account(authz, "Acme", ann)
    bobco = await f.account(authz, "Bobco", bob)
    tech = await staff_settings.save_department(None, {"name": "Technical", "is_active": "on"}, [agent], authz)
    billing = await staff_settings.save_department(None, {"name": "Billing", "is_active": "on"}, [], authz)
    return {"ann": ann, "bob": bob, "agent": agent, "acme": acme, "bobco": bobco, "tech": tech, "billing": billing}


def _rows(page: str) -> list[str]:
    """The ticket numbers of a desk list or queue, in order."""
    return re.findall(r'data-testid="(?:desk|queue)-row"[^>]*>\s*<td><a href="[^"]+">(TKT-[A-Z0-9]+)</a>', page)


async def _mail_with(smtp: Any, text: str, seconds: float = 5) -> Any:
    """The first message whose text contains `text`, waiting for it to arrive."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        for message in smtp.messages:
            if text in message.get_body(preferencelist=("plain",)).get_content():
                return message
        await asyncio.sleep(0.05)
    raise AssertionError(f"no email with {text!r} arrived")


async def _number(ticket_id: int) -> str:
    return (await SupportTicket.select(SupportTicket.number).where(SupportTicket.id == ticket_id).first())["number"]


async def test_departments_filters_and_my_queue(client, authz, smtp):
    d = await _desk(authz)
    await f.login_as(client, "agent@example.com")

    # Departments: a bad form keeps what was typed and says what is wrong beside each field.
    bad = await f.post_form(
        client, "/admin/support/departments", {"name": "", "email": "not-an-address", "sort_order": "x"}
    )
    assert bad.status_code == 422
    assert 'id="name-error"' in bad.text and 'id="email-error"' in bad.text and 'id="sort_order-error"' in bad.text
    assert 'value="not-an-address"' in bad.text
    made = await f.post_form(
        client,
        "/admin/support/departments",
        [
            ("name", "Sales"),
            ("email", "Sales@Desk.Example.test"),
            ("sort_order", "3"),
            ("is_active", "on"),
            ("staff", str(d["agent"])),
        ],
    )
    assert made.status_code == 303
    sales = await SupportDepartment.select().where(SupportDepartment.name == "Sales").first()
    assert sales["email"] == "sales@desk.example.test" and sales["is_active"]
    listing = await client.get("/admin/support/departments")
    assert "Sales" in listing.text and "sales@desk.example.test" in listing.text
    dup = await f.post_form(
        client, "/admin/support/departments", {"name": "Sales 2", "email": "sales@desk.example.test"}
    )
    assert dup.status_code == 422 and "Another department has this address." in dup.text
    # Renamed, made inactive, staff removed; then deleted (it never had a ticket).
    saved = await f.post_form(client, f"/admin/support/departments/{sales['id']}", {"name": "Sales team"})
    assert saved.status_code == 303
    edit = await client.get(f"/admin/support/departments/{sales['id']}")
    assert 'value="Sales team"' in edit.text and 'name="is_active" type="checkbox" value="on" checked' not in edit.text
    assert (await f.post_form(client, f"/admin/support/departments/{sales['id']}/delete")).status_code == 303
    assert not await SupportDepartment.exists().where(SupportDepartment.id == sales["id"])

    # Tickets from two accounts.
    down = await services.open_ticket(d["acme"], d["ann"], d["tech"], "Server down", "It is down.", "high")
    dns = await services.open_ticket(d["acme"], d["ann"], d["tech"], "Question about DNS", "How?", "low")
    invoice = await services.open_ticket(d["bobco"], d["bob"], d["billing"], "Invoice wrong", "Twice!", "urgent")
    old = await services.open_ticket(d["bobco"], d["bob"], d["tech"], "Old thing", "Done.", "medium")
    await services.close(old, d["bob"])
    n = {k: await _number(v) for k, v in {"down": down, "dns": dns, "invoice": invoice, "old": old}.items()}
    # A department that has tickets cannot be deleted.
    refused = await f.post_form(client, f"/admin/support/departments/{d['billing']}/delete")
    assert refused.status_code == 409 and "make it inactive instead" in refused.text

    page = (await client.get("/admin/support")).text
    assert _rows(page) == [n["invoice"], n["down"], n["dns"]]  # urgent, high, low; the closed one is not listed
    assert "Bobco" in page and "Billing" in page
    assert _rows((await client.get("/admin/support?status=all")).text)[-1] == n["old"]
    assert _rows((await client.get(f"/admin/support?department={d['billing']}")).text) == [n["invoice"]]
    assert _rows((await client.get("/admin/support?priority=high")).text) == [n["down"]]
    assert _rows((await client.get(f"/admin/support?account={d['bobco']}&status=all")).text) == [
        n["invoice"],
        n["old"],
    ]
    assert _rows((await client.get("/admin/support?q=dns")).text) == [n["dns"]]
    assert _rows((await client.get(f"/admin/support?q={n['invoice'].lower()}")).text) == [n["invoice"]]

    # Take one ticket, answer another: "assigned to me", "unassigned", "awaiting reply".
    taken = await f.post_form(
        client,
        f"/admin/support/tickets/{dns}/update",
        {"status": "open", "priority": "low", "department": str(d["tech"]), "assignee": "me"},
    )
    assert taken.status_code == 303
    await services.reply(down, author_id=d["agent"], body="Looking.", is_staff=True)
    assert _rows((await client.get("/admin/support?assigned=me")).text) == [n["dns"]]
    assert _rows((await client.get("/admin/support?assigned=none")).text) == [n["invoice"], n["down"]]
    awaiting = (await client.get("/admin/support?status=awaiting")).text
    assert _rows(awaiting) == [n["invoice"], n["dns"]]  # "Server down" was answered
    latest = (await client.get("/admin/support?status=all&sort=last_reply")).text
    assert _rows(latest)[0] == n["down"]
    [event] = await AuditEvent.select().where(AuditEvent.action == "support.ticket.update").output(load_json=True)
    assert event["actor_user_id"] == d["agent"] and event["details"]["assigned_to"]["after"] == d["agent"]

    # My queue: Technical's tickets waiting for staff (and mine), oldest first; Billing's is not mine.
    # The first-reply clock of a ticket opened 5 hours ago without a staff reply is over the 4 h target.
    ask = await services.open_ticket(d["acme"], d["ann"], d["tech"], "Mail bounces", "Help", "medium")
    await SupportTicket.update(
        {
            SupportTicket.created_at: datetime.now(UTC) - timedelta(hours=5),
            SupportTicket.last_reply_at: datetime.now(UTC) - timedelta(hours=5),
        }
    ).where(SupportTicket.id == ask)
    queue = (await client.get("/admin/support/queue")).text
    assert _rows(queue) == [await _number(ask), n["dns"]]
    over = re.findall(r'data-ticket-id="(\d+)" data-testid="queue-row" class="over-target"', queue)
    assert over == [str(ask)]
    assert "over 4 h" in queue


async def test_ticket_page_reply_note_canned_and_client_view(client, authz, smtp):
    d = await _desk(authz)
    ticket = await services.open_ticket(d["acme"], d["ann"], d["tech"], "Slow site", "It is slow.", "medium")
    await f.login_as(client, "agent@example.com")

    # Canned responses: add (error first), edit.
    bad = await f.post_form(client, "/admin/support/canned", {"title": "", "body": "x"})
    assert bad.status_code == 422 and 'id="title-error"' in bad.text
    assert (
        await f.post_form(
            client, "/admin/support/canned", {"title": "Restart", "body": "Please restart it.", "department": ""}
        )
    ).status_code == 303
    other_dep = await f.post_form(
        client,
        "/admin/support/canned",
        {"title": "Refund", "body": "Refunded.", "department": str(d["billing"])},
    )
    assert other_dep.status_code == 303
    page = (await client.get("/admin/support/canned")).text
    restart = re.search(r'data-canned-id="(\d+)"><td><a [^>]*>Restart<', page).group(1)
    refund = re.search(r'data-canned-id="(\d+)"><td><a [^>]*>Refund<', page).group(1)
    assert (
        await f.post_form(
            client,
            f"/admin/support/canned/{restart}",
            {"title": "Restart", "body": "Please restart the server.", "department": ""},
        )
    ).status_code == 303

    view = (await client.get(f"/admin/support/tickets/{ticket}")).text
    assert "Restart" in view and "Refund" not in view  # Billing's reply is not offered on a Technical ticket
    assert 'hx-select="#reply-form"' in view

    # "Insert" without JavaScript: the page again, the text added after what was typed, nothing sent.
    inserted = await f.post_form(
        client,
        f"/admin/support/tickets/{ticket}/reply",
        {"action": "insert", "canned": restart, "body": "Hello Ann,"},
    )
    assert inserted.status_code == 200
    body = re.search(r'<textarea id="body" name="body"[^>]*>(.*?)</textarea>', inserted.text, re.S).group(1)
    assert html.unescape(body) == "Hello Ann,\n\nPlease restart the server."
    assert await SupportMessage.count().where(SupportMessage.ticket == ticket) == 1
    wrong = await f.post_form(
        client, f"/admin/support/tickets/{ticket}/reply", {"action": "insert", "canned": refund, "body": "x"}
    )
    assert wrong.status_code == 422 and 'id="canned-error"' in wrong.text

    # An internal note, then a reply with a file; an empty reply is refused beside the field.
    note = await f.post_form(
        client, f"/admin/support/tickets/{ticket}/reply", {"action": "note", "body": "Legacy plan, be nice."}
    )
    assert note.status_code == 303
    empty = await f.post_form(client, f"/admin/support/tickets/{ticket}/reply", {"action": "reply", "body": " "})
    assert empty.status_code == 422 and 'id="body-error"' in empty.text
    sent = await client.post(
        f"/admin/support/tickets/{ticket}/reply",
        data={"action": "reply", "body": "Please restart the server.", "_csrf_token": f.csrf(client)},
        files={"attachments": ("steps.txt", b"1. restart\n", "text/plain")},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    staff_view = (await client.get(f"/admin/support/tickets/{ticket}")).text
    assert 'data-testid="note"' in staff_view and "Legacy plan, be nice." in staff_view
    assert "Internal note: not shown to the client" in staff_view
    assert "steps.txt" in staff_view
    row = await SupportTicket.select().where(SupportTicket.id == ticket).first()
    assert row["status"] == "answered" and row["first_staff_reply_at"] is not None
    mail = await _mail_with(smtp, "Please restart the server.")
    assert mail["To"] == "ann@example.com"
    assert not [m for m in smtp.messages if "Legacy plan" in m.get_body(preferencelist=("plain",)).get_content()]

    # Settings: status, priority, assignee at once; then close and reopen.
    changed = await f.post_form(
        client,
        f"/admin/support/tickets/{ticket}/update",
        {"status": "on_hold", "priority": "urgent", "department": str(d["tech"]), "assignee": str(d["agent"])},
    )
    assert changed.status_code == 303
    row = await SupportTicket.select().where(SupportTicket.id == ticket).first()
    assert (row["status"], row["priority"], row["assigned_to"]) == ("on_hold", "urgent", d["agent"])
    bad_assignee = await f.post_form(client, f"/admin/support/tickets/{ticket}/update", {"assignee": str(d["ann"])})
    assert bad_assignee.status_code == 422 and 'id="assignee-error"' in bad_assignee.text
    assert (await f.post_form(client, f"/admin/support/tickets/{ticket}/close")).status_code == 303
    assert (await SupportTicket.select(SupportTicket.status).where(SupportTicket.id == ticket).first())[
        "status"
    ] == "closed"
    assert (await f.post_form(client, f"/admin/support/tickets/{ticket}/reopen")).status_code == 303
    assert (
        await AuditEvent.count().where(AuditEvent.action.is_in(["support.ticket.close", "support.ticket.reopen"])) == 2
    )

    # The client sees the reply and its file, never the note.
    await f.login_as(client, "ann@example.com")
    client_view = (await client.get(f"/tickets/{ticket}")).text
    assert "Please restart the server." in client_view and "steps.txt" in client_view
    assert "Legacy plan" not in client_view


async def test_merge_and_split(client, authz, smtp):
    d = await _desk(authz)
    a = await services.open_ticket(d["acme"], d["ann"], d["tech"], "Site down", "The site is down.", "high")
    b = await services.open_ticket(d["acme"], d["ann"], d["tech"], "Also mail", "Mail is down too.", "medium")
    await services.reply(b, author_id=d["agent"], body="Checking mail.", is_staff=True)
    other = await services.open_ticket(d["bobco"], d["bob"], d["tech"], "Bob's", "Hi", "medium")
    await f.login_as(client, "agent@example.com")

    view = (await client.get(f"/admin/support/tickets/{a}")).text
    choices = re.search(r'<select id="merge-source"(.*?)</select>', view, re.S).group(1)
    assert f'<option value="{b}">' in choices and f'<option value="{other}">' not in choices  # same account only
    refused = await f.post_form(client, f"/admin/support/tickets/{a}/merge", {"source": str(other)})
    assert refused.status_code == 422 and "Only tickets of the same account can be merged." in refused.text
    assert (await f.post_form(client, f"/admin/support/tickets/{a}/merge", {"source": str(b)})).status_code == 303

    thread = await SupportMessage.select().where(SupportMessage.ticket == a).order_by(SupportMessage.created_at)
    visible = [m["body"] for m in thread if not m["is_internal"]]
    assert visible == ["The site is down.", "Mail is down too.", "Checking mail."]
    notes = [m["body"] for m in thread if m["is_internal"]]
    assert len(notes) == 1 and await _number(b) in notes[0]
    merged = await SupportTicket.select().where(SupportTicket.id == b).first()
    assert merged["status"] == "closed" and merged["merged_into"] == a
    b_page = (await client.get(f"/admin/support/tickets/{b}")).text
    assert 'data-testid="merged-banner"' in b_page and "merged into" in b_page
    assert await SupportMessage.count().where((SupportMessage.ticket == b) & SupportMessage.is_internal.eq(True)) == 1
    again = await f.post_form(client, f"/admin/support/tickets/{a}/merge", {"source": str(b)})
    assert again.status_code == 422  # already merged
    after = await SupportTicket.select().where(SupportTicket.id == a).first()
    assert after["last_reply_by"] == "staff" and after["first_staff_reply_at"] is not None

    # Split the mail messages off again into their own ticket.
    mail_ids = [m["id"] for m in thread if m["body"] in ("Mail is down too.", "Checking mail.")]
    no_subject = await f.post_form(
        client, f"/admin/support/tickets/{a}/split", [("message", str(mail_ids[0])), ("split_subject", "")]
    )
    assert no_subject.status_code == 422 and 'id="split_subject-error"' in no_subject.text
    everything = [("message", str(m["id"])) for m in thread if not m["is_internal"]]
    refused_all = await f.post_form(client, f"/admin/support/tickets/{a}/split", [*everything, ("split_subject", "X")])
    assert refused_all.status_code == 422 and "Leave at least one reply" in refused_all.text
    done = await f.post_form(
        client,
        f"/admin/support/tickets/{a}/split",
        [*(("message", str(i)) for i in mail_ids), ("split_subject", "Mail is down")],
    )
    assert done.status_code == 303
    new_id = int(done.headers["location"].split("/tickets/")[1].split("?")[0])
    new = await SupportTicket.select().where(SupportTicket.id == new_id).first()
    assert (new["account"], new["subject"], new["status"]) == (d["acme"], "Mail is down", "answered")
    moved = await SupportMessage.select().where(SupportMessage.ticket == new_id).order_by(SupportMessage.id)
    assert [m["body"] for m in moved if not m["is_internal"]] == ["Mail is down too.", "Checking mail."]
    left = await SupportMessage.select().where((SupportMessage.ticket == a) & SupportMessage.is_internal.eq(False))
    assert [m["body"] for m in left] == ["The site is down."]
    assert (
        await AuditEvent.count().where(AuditEvent.action.is_in(["support.ticket.merge", "support.ticket.split"])) == 2
    )
    # The client sees the new ticket, without the staff notes about the split.
    await f.login_as(client, "ann@example.com")
    client_view = (await client.get(f"/tickets/{new_id}")).text
    assert "Checking mail." in client_view and "Split from" not in client_view


async def test_a_client_gets_403_on_the_staff_desk(client, authz, smtp):
    d = await _desk(authz)
    ticket = await services.open_ticket(d["acme"], d["ann"], d["tech"], "Mine", "Mine.", "medium")
    await f.login_as(client, "ann@example.com")  # owner of the account, allowed everything in it
    for path in ("/admin/support", "/admin/support/queue", f"/admin/support/tickets/{ticket}", "/admin/support/canned"):
        assert (await client.get(path)).status_code == 403, path
    answer = await f.post_form(client, f"/admin/support/tickets/{ticket}/reply", {"action": "note", "body": "x"})
    assert answer.status_code == 403
    assert (await f.post_form(client, "/admin/support/departments", {"name": "Mine"})).status_code == 403
    assert await SupportMessage.count().where(SupportMessage.ticket == ticket) == 1


async def test_billing_staff_get_403_on_the_staff_desk(client, authz, smtp):
    d = await _desk(authz)
    ticket = await services.open_ticket(d["acme"], d["ann"], d["tech"], "Mine", "Mine.", "medium")
    await f.user(authz, "biller@example.com", staff="billing")
    await f.login_as(client, "biller@example.com")
    for path in ("/admin/support", f"/admin/support/tickets/{ticket}", "/admin/support/departments"):
        assert (await client.get(path)).status_code == 403, path
    closed = await f.post_form(client, f"/admin/support/tickets/{ticket}/close")
    assert closed.status_code == 403
    assert (await SupportTicket.select(SupportTicket.status).where(SupportTicket.id == ticket).first())[
        "status"
    ] == "open"
    # Staff who may work on tickets get a 404 for a ticket that does not exist.
    await f.login_as(client, "agent@example.com")
    assert (await client.get(f"/admin/support/tickets/{ticket + 999}")).status_code == 404
