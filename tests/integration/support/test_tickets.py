"""The client side of the support desk: opening, reading, replying, priority, closing, email, and who may see what."""

from __future__ import annotations

import re
from typing import Any

import factories as f
from litestar.datastructures import UploadFile

from panel.core.mail.tables import OutgoingEmail
from panel.core.support import services
from panel.core.support.addresses import reply_address, ticket_from_address
from panel.core.support.demo import seed
from panel.core.support.tables import SupportAttachment, SupportDepartment, SupportTicket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))


async def _setup(authz: Any) -> dict[str, int]:
    """An owner and a member with tickets (Acme), a member without, another account, support staff, two departments."""
    ids = {
        "owner": await f.user(authz, "owner@example.com"),
        "helper": await f.user(authz, "helper@example.com"),
        "biller": await f.user(authz, "biller@example.com"),
        "other": await f.user(authz, "other@example.com"),
        "staff": await f.user(authz, "support@example.com", staff="support"),
    }
    ids["acme"] = await f.account(
        authz, "Acme", ids["owner"], {ids["helper"]: ["tickets"], ids["biller"]: ["invoices"]}
    )
    ids["globex"] = await f.account(authz, "Globex", ids["other"])
    departments = await seed(staff_emails=("support@example.com",))
    ids["tech"], ids["billing"] = departments["Technical support"], departments["Billing"]
    return ids


def _ticket_id(location: str) -> int:
    found = re.search(r"/tickets/(\d+)", location)
    assert found, location
    return int(found.group(1))


async def _open_by_form(client: Any, department: int, subject: str, body: str, files: list[Any] | None = None) -> Any:
    data = {"department": str(department), "subject": subject, "priority": "medium", "body": body}
    return await client.post(
        "/tickets/new",
        data={**data, "_csrf_token": f.csrf(client)},
        files=files or [],
        follow_redirects=False,
    )


async def test_client_opens_sees_replies_changes_priority_closes_and_reopens(
    client: Any, authz: Any, smtp: Any
) -> None:
    ids = await _setup(authz)
    await f.login_as(client, "helper@example.com")

    form = await client.get("/tickets/new")
    assert form.status_code == 200
    assert "Technical support" in form.text and "Billing" in form.text

    made = await _open_by_form(
        client,
        ids["tech"],
        "Site down <script>alert(1)</script>",
        "It stopped at 10:00.\n<b>not bold</b>",
        [("attachments", ("screen shot.png", PNG, "image/png"))],
    )
    assert made.status_code == 303, made.text
    ticket_id = _ticket_id(made.headers["location"])

    page = await client.get(made.headers["location"])
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page.text and "<b>not bold</b>" not in page.text
    assert "It stopped at 10:00.\n" in page.text  # line breaks kept (shown with pre-wrap)
    link = re.search(rf'href="(/tickets/{ticket_id}/attachments/\d+)"[^>]*>screen shot.png<', page.text)
    assert link, page.text

    download = await client.get(link.group(1))
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''screen%20shot.png" in download.headers["content-disposition"]
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-security-policy"] == "sandbox"

    # the acknowledgement reaches the opener and the owner; the desk's notice reaches the department's staff
    delivered = await smtp.wait_for(3)
    by_to = {str(m["To"]): m for m in delivered}
    assert set(by_to) == {"helper@example.com", "owner@example.com", "support@example.com"}
    ack = by_to["helper@example.com"]
    assert str(ack["Reply-To"]) == reply_address(ticket_id)
    assert ticket_from_address(str(ack["Reply-To"])) == ticket_id
    assert "<script>alert(1)</script>" in str(ack["Subject"])  # plain text mail: as typed
    assert "It stopped at 10:00." in ack.get_content()
    smtp.clear()
    home = await client.get("/")
    assert re.search(r'data-testid="stat-support.open">1<', home.text), "the home page counts the open ticket"

    # staff answer through the service: the client sees it and is mailed with the ticket's reply address
    await services.reply(ticket_id, author_id=ids["staff"], body="We restarted it.\nPlease check.", is_staff=True)
    page = await client.get(f"/tickets/{ticket_id}")
    assert "We restarted it.\nPlease check." in page.text
    assert 'data-testid="ticket-status">Answered<' in page.text
    answered = await smtp.wait_for(2)
    assert {str(m["To"]) for m in answered} == {"helper@example.com", "owner@example.com"}
    assert all(str(m["Reply-To"]) == reply_address(ticket_id) for m in answered)
    assert "We restarted it." in answered[0].get_content()
    smtp.clear()

    # the client changes the priority
    changed = await f.post_form(client, f"/tickets/{ticket_id}/priority", {"priority": "urgent"})
    assert changed.status_code == 303
    page = await client.get(f"/tickets/{ticket_id}")
    assert 'data-testid="ticket-priority">Urgent<' in page.text
    bad = await f.post_form(client, f"/tickets/{ticket_id}/priority", {"priority": "whenever"})
    assert bad.status_code == 422 and 'data-testid="error-priority"' in bad.text

    # the client closes it: it leaves the open list and shows under closed
    assert (await f.post_form(client, f"/tickets/{ticket_id}/close")).status_code == 303
    listed = await client.get("/tickets")
    assert f'data-ticket-id="{ticket_id}"' not in listed.text
    closed = await client.get("/tickets?show=closed")
    assert f'data-ticket-id="{ticket_id}"' in closed.text
    assert "&lt;script&gt;" in closed.text and "<script>alert" not in closed.text

    # a reply reopens it, waiting for staff, and tells the desk
    replied = await client.post(
        f"/tickets/{ticket_id}/reply",
        data={"body": "Still broken.", "_csrf_token": f.csrf(client)},
        files=[("attachments", ("log.txt", b"line 1\nline 2\n", "text/plain"))],
        follow_redirects=False,
    )
    assert replied.status_code == 303, replied.text
    page = await client.get(f"/tickets/{ticket_id}")
    assert 'data-testid="ticket-status">Customer reply<' in page.text and ">log.txt<" in page.text
    assert f'data-ticket-id="{ticket_id}"' in (await client.get("/tickets")).text
    notice = await smtp.wait_for(1)
    assert str(notice[0]["To"]) == "support@example.com" and "Still broken." in notice[0].get_content()
    assert str(notice[0]["Reply-To"]) == reply_address(ticket_id)

    # closed again, then the reopen button
    await f.post_form(client, f"/tickets/{ticket_id}/close")
    assert (await f.post_form(client, f"/tickets/{ticket_id}/reopen")).status_code == 303
    page = await client.get(f"/tickets/{ticket_id}")
    assert 'data-testid="ticket-status">Open<' in page.text

    # the home page's widget lists it; the nav links to the tickets
    home = await client.get("/")
    assert 'id="widget-support"' in home.text and f'href="/tickets/{ticket_id}"' in home.text
    assert '<a href="/tickets"' in home.text

    row = await SupportTicket.select().where(SupportTicket.id == ticket_id).first()
    assert row["first_staff_reply_at"] is not None and row["opened_by"] == ids["helper"]
    assert re.fullmatch(r"TKT-[A-Z2-9]{7}", row["number"])


async def test_form_errors_show_beside_the_fields_and_keep_what_was_typed(client: Any, authz: Any) -> None:
    ids = await _setup(authz)
    await SupportDepartment.update({SupportDepartment.is_active: False}).where(SupportDepartment.id == ids["billing"])
    await f.login_as(client, "owner@example.com")
    form = await client.get("/tickets/new")
    assert "Technical support" in form.text and ">Billing" not in form.text  # inactive: not offered
    answer = await _open_by_form(
        client, ids["billing"], "", "My words <i>kept</i>", [("attachments", ("tool.exe", b"MZ\x90\x00", "x/y"))]
    )
    assert answer.status_code == 422
    assert 'data-testid="error-subject"' in answer.text and 'data-testid="error-department"' in answer.text
    assert "tool.exe: this type of file is not accepted" in answer.text
    assert "My words &lt;i&gt;kept&lt;/i&gt;</textarea>" in answer.text
    assert await SupportTicket.count() == 0
    # a browser sends an empty part for a file input left empty: no attachment, no error
    made = await _open_by_form(
        client, ids["tech"], "Fine", "Now right", [("attachments", ("", b"", "application/octet-stream"))]
    )
    assert made.status_code == 303, made.text
    assert await SupportTicket.count() == 1 and await SupportAttachment.count() == 0


async def test_internal_notes_never_reach_the_client(client: Any, authz: Any, smtp: Any) -> None:
    ids = await _setup(authz)
    ticket_id = await services.open_ticket(ids["acme"], ids["owner"], ids["tech"], "Mail", "No mail arrives.", "low")
    await smtp.wait_for(2)
    smtp.clear()
    note_file = UploadFile("text/plain", "secret-notes.txt", b"root password is hunter2\n")
    await services.reply(
        ticket_id,
        author_id=ids["staff"],
        body="Customer seems confused; do not mention the outage.",
        is_staff=True,
        internal=True,
        attachments=[note_file],
    )
    note_attachment = (await _attachment_ids(ticket_id))[-1]
    await f.login_as(client, "owner@example.com")
    page = await client.get(f"/tickets/{ticket_id}")
    assert "do not mention the outage" not in page.text and "secret-notes.txt" not in page.text
    assert 'data-testid="ticket-status">Open<' in page.text  # a note moves nothing
    assert (await client.get(f"/tickets/{ticket_id}/attachments/{note_attachment}")).status_code == 404
    api = await client.get(f"/api/v1/accounts/{ids['acme']}/tickets/{ticket_id}")
    assert api.status_code == 200 and "do not mention" not in api.text and "secret-notes" not in api.text
    assert len(api.json()["messages"]) == 1
    api_file = await client.get(f"/api/v1/accounts/{ids['acme']}/tickets/{ticket_id}/attachments/{note_attachment}")
    assert api_file.status_code == 404
    assert await OutgoingEmail.count().where(OutgoingEmail.text_body.like("%outage%")) == 0


async def _attachment_ids(ticket_id: int) -> list[int]:
    rows = await SupportAttachment.select(SupportAttachment.id).where(SupportAttachment.message.ticket == ticket_id)
    return sorted(r["id"] for r in rows)


async def test_api_lists_opens_reads_replies_and_closes(client: Any, authz: Any, smtp: Any) -> None:
    ids = await _setup(authz)
    await f.login(client, "helper@example.com")
    made = await client.post("/api/v1/tokens", json={"name": "t"}, headers={"x-csrftoken": f.csrf(client)})
    client.cookies.clear()
    auth = {"authorization": f"Bearer {made.json()['token']}"}
    base = f"/api/v1/accounts/{ids['acme']}/tickets"

    bad = await client.post(base, json={"department_id": ids["tech"], "subject": "", "body": ""}, headers=auth)
    assert bad.status_code == 422 and {"subject", "body"} <= set(bad.json()["errors"])
    opened = await client.post(
        base,
        json={"department_id": ids["tech"], "subject": "DNS <b>", "body": "A record?", "priority": "high"},
        headers=auth,
    )
    assert opened.status_code == 201, opened.text
    body = opened.json()
    ticket_id = body["ticket"]["id"]
    assert body["ticket"]["subject"] == "DNS <b>" and body["ticket"]["status"] == "open"
    assert body["messages"][0]["body"] == "A record?" and body["messages"][0]["via"] == "api"

    listed = (await client.get(base, headers=auth)).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == ticket_id
    reply = await client.post(f"{base}/{ticket_id}/replies", json={"body": "Any news?"}, headers=auth)
    assert reply.status_code == 201 and reply.json()["status"] == "customer_reply"
    closed = await client.post(f"{base}/{ticket_id}/close", headers=auth)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert (await client.get(base, headers=auth)).json()["total"] == 0
    assert (await client.get(f"{base}?show=closed", headers=auth)).json()["total"] == 1
    shown = (await client.get(f"{base}/{ticket_id}", headers=auth)).json()
    assert [m["body"] for m in shown["messages"]] == ["A record?", "Any news?"]


# -- deny paths --------------------------------------------------------------------------------


async def test_another_accounts_ticket_and_file_are_not_found(client: Any, authz: Any) -> None:
    ids = await _setup(authz)
    theirs = await services.open_ticket(
        ids["globex"],
        ids["other"],
        ids["tech"],
        "Globex secret",
        "hidden",
        "low",
        [UploadFile("image/png", "g.png", PNG)],
    )
    attachment = (await _attachment_ids(theirs))[0]
    await f.login_as(client, "owner@example.com")
    page = await client.get(f"/tickets/{theirs}")
    assert page.status_code == 404 and "Globex secret" not in page.text
    assert (await client.get(f"/tickets/{theirs}/attachments/{attachment}")).status_code == 404
    assert (await f.post_form(client, f"/tickets/{theirs}/reply", {"body": "x"})).status_code == 404
    assert (await f.post_form(client, f"/tickets/{theirs}/close")).status_code == 404
    api = f"/api/v1/accounts/{ids['acme']}/tickets/{theirs}"
    assert (await client.get(api)).status_code == 404
    assert (await client.get(f"{api}/attachments/{attachment}")).status_code == 404
    assert "Globex secret" not in (await client.get("/tickets?show=all")).text
    assert await SupportTicket.select(SupportTicket.status).where(SupportTicket.id == theirs).first() == {
        "status": "open"
    }


async def test_member_without_the_tickets_permission_is_refused(client: Any, authz: Any) -> None:
    ids = await _setup(authz)
    ticket_id = await services.open_ticket(ids["acme"], ids["owner"], ids["tech"], "Ours", "text", "low")
    await f.login_as(client, "biller@example.com")
    assert (await client.get("/tickets")).status_code == 403
    assert (await client.get("/tickets/new")).status_code == 403
    assert (await client.get(f"/tickets/{ticket_id}")).status_code == 403
    assert (await client.get(f"/api/v1/accounts/{ids['acme']}/tickets")).status_code == 403
    home = await client.get("/")
    assert 'id="widget-support"' not in home.text and '<a href="/tickets"' not in home.text
    assert "stat-support.open" not in home.text


async def test_anonymous_visitor_is_sent_to_log_in(client: Any) -> None:
    answer = await client.get("/tickets/new", follow_redirects=False)
    assert answer.status_code in (302, 303) and answer.headers["location"].startswith("/login")
    assert (await client.get("/api/v1/accounts/1/tickets")).status_code == 401
