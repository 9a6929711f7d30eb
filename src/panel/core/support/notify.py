"""Who hears about a ticket, by email: queued inside the caller's transaction.

Client side (acknowledgement of a new ticket, staff replies): the person who opened
the ticket, while they are still an active member of the account, and the account's
owner; for a ticket opened by email from an unknown sender (no user), the address
it came from instead of the opener. Each gets their own message (no one sees the
others' addresses). Internal notes are never mailed to clients.

Staff side (a new ticket, a client reply): the assigned staff user; when nobody is
assigned, every active staff user of the ticket's department. With nobody to tell,
no mail is sent (the ticket still shows in the desk's queue).

Every message's Reply-To is the ticket's reply address, so answering by email
lands on the ticket (email piping).
"""

from __future__ import annotations

import logging
from typing import Any

from panel.core.accounts.tables import Account, Membership
from panel.core.mail import services as mail
from panel.core.support.addresses import reply_address
from panel.core.support.tables import SupportDepartmentStaff, SupportMessage, SupportTicket
from panel.errors import ValidationFailed

log = logging.getLogger("panel.support")

CLIENT_TICKET_PATH = "/tickets/{id}"
STAFF_TICKET_PATH = "/admin/support/tickets/{id}"
"""Where staff open a ticket (the staff desk's page); used for links in the desk's email."""


async def _context(ticket_id: int, message_id: int) -> dict[str, Any]:
    ticket = (
        await SupportTicket.select(
            SupportTicket.id,
            SupportTicket.number,
            SupportTicket.subject,
            SupportTicket.priority,
            SupportTicket.status,
            SupportTicket.account,
            SupportTicket.account.name.as_alias("account_name"),
            SupportTicket.opened_by,
            SupportTicket.assigned_to,
            SupportTicket.department,
            SupportTicket.department.name.as_alias("department_name"),
        )
        .where(SupportTicket.id == ticket_id)
        .first()
    )
    message = (
        await SupportMessage.select(SupportMessage.body, SupportMessage.author_name)
        .where(SupportMessage.id == message_id)
        .first()
    )
    assert ticket is not None and message is not None
    return {
        "ticket": ticket,
        "message": message,
        "client_url": CLIENT_TICKET_PATH.format(id=ticket_id),
        "staff_url": STAFF_TICKET_PATH.format(id=ticket_id),
    }


def _unique(addresses: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for address in addresses:
        key = address.strip().lower()
        if key and key not in seen:
            seen.add(key)
            out.append(address.strip())
    return out


async def client_recipients(ticket_id: int) -> list[str]:
    """The addresses that get the client's copy of ticket email (see the module docstring)."""
    ticket = (
        await SupportTicket.select(
            SupportTicket.account,
            SupportTicket.opened_by,
            SupportTicket.opened_by.email.as_alias("opener_email"),
            SupportTicket.opened_by.is_active.as_alias("opener_active"),
        )
        .where(SupportTicket.id == ticket_id)
        .first()
    )
    if ticket is None:
        return []
    found: list[str] = []
    if ticket["opened_by"] is not None:
        if ticket["opener_active"] and await Membership.exists().where(
            (Membership.user == ticket["opened_by"]) & (Membership.account == ticket["account"])
        ):
            found.append(ticket["opener_email"])
    else:
        first = (
            await SupportMessage.select(SupportMessage.author_email)
            .where((SupportMessage.ticket == ticket_id) & (SupportMessage.is_staff.eq(False)))
            .order_by(SupportMessage.id)
            .first()
        )
        if first is not None:
            found.append(first["author_email"])
    owner = (
        await Account.select(Account.owner.email.as_alias("email"), Account.owner.is_active.as_alias("active"))
        .where(Account.id == ticket["account"])
        .first()
    )
    if owner is not None and owner["active"]:
        found.append(owner["email"])
    return _unique(found)


async def staff_recipients(ticket_id: int) -> list[str]:
    """The staff addresses told of a new ticket or a client reply: the assignee, else the department's staff."""
    ticket = (
        await SupportTicket.select(
            SupportTicket.department,
            SupportTicket.assigned_to,
            SupportTicket.assigned_to.email.as_alias("assignee_email"),
            SupportTicket.assigned_to.is_active.as_alias("assignee_active"),
        )
        .where(SupportTicket.id == ticket_id)
        .first()
    )
    if ticket is None:
        return []
    if ticket["assigned_to"] is not None and ticket["assignee_active"]:
        return [ticket["assignee_email"]]
    rows = await SupportDepartmentStaff.select(
        SupportDepartmentStaff.user.email.as_alias("email"), SupportDepartmentStaff.user.is_active.as_alias("active")
    ).where(SupportDepartmentStaff.department == ticket["department"])
    return _unique([r["email"] for r in rows if r["active"]])


async def _send_each(template: str, to: list[str], context: dict[str, Any], account_id: int | None, reply: str) -> None:
    for address in to:
        try:
            await mail.send(template, address, context, account_id=account_id, reply_to=reply)
        except ValidationFailed:
            log.warning("support email %s not sent: %r is not an email address", template, address)


async def ticket_opened(ticket_id: int, message_id: int, *, by_staff: bool) -> None:
    """Mail a new ticket: the client's acknowledgement (or staff's first message) and the desk's notice."""
    context = await _context(ticket_id, message_id)
    account_id = int(context["ticket"]["account"])
    reply = reply_address(ticket_id)
    if by_staff:
        await _send_each("support_staff_reply", await client_recipients(ticket_id), context, account_id, reply)
        return
    await _send_each("support_ticket_opened", await client_recipients(ticket_id), context, account_id, reply)
    await _send_each("support_desk_new_ticket", await staff_recipients(ticket_id), context, None, reply)


async def replied(ticket_id: int, message_id: int, *, is_staff: bool) -> None:
    """Mail a reply (never an internal note): a staff reply to the client, a client reply to the desk."""
    context = await _context(ticket_id, message_id)
    reply = reply_address(ticket_id)
    if is_staff:
        account_id = int(context["ticket"]["account"])
        await _send_each("support_staff_reply", await client_recipients(ticket_id), context, account_id, reply)
    else:
        await _send_each("support_desk_client_reply", await staff_recipients(ticket_id), context, None, reply)
