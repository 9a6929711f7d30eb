"""The support desk's rules: opening tickets, replies, notes, priority, status, closing.

Every function here writes in one `db.write_transaction()` together with the email it
queues, so a failure leaves nothing behind. Attachments are checked and stored
before the transaction (file I/O does not hold the write lock) and removed again if
the transaction fails. Nothing here checks who may do what: routes ask the rules
engine first, and client routes load the ticket with
`queries.ticket_of_account(account_id, ticket_id)` (404 for another account's).

Status machine (`TicketStatus`):

    opened by a client ............................ open
    opened by staff for a client (by_staff=True) .. answered
    client reply .................................. customer_reply  (also reopens a closed ticket)
    staff reply ................................... answered        (also reopens a closed ticket)
    staff internal note ........................... unchanged       (clients never see it, no email to them)
    set_status by staff ........................... open | answered | customer_reply | on_hold | in_progress
    close (client or staff) ....................... closed          (closed_at set)
    reopen (client or staff) ...................... open            (closed_at cleared)

`last_reply_at`/`last_reply_by` follow client and staff replies (not notes);
`first_staff_reply_at` is set by the first staff reply (or a staff-opened ticket)
and never changes after (time to first reply). `updated_at` moves on every change.

Email (see `notify`): opening sends the client an acknowledgement and the desk a
notice; a staff reply mails the client; a client reply mails the desk. Each carries
the ticket's reply address (`addresses.reply_address`) as Reply-To.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from litestar.datastructures import UploadFile

from panel.core import db, uploads
from panel.core.auth.tables import User
from panel.core.services.tables import Service
from panel.core.support import notify
from panel.core.support.config import UPLOAD_AREA, current
from panel.core.support.tables import (
    ReplyBy,
    SupportAttachment,
    SupportDepartment,
    SupportMessage,
    SupportTicket,
    TicketPriority,
    TicketStatus,
    Via,
)
from panel.errors import NotFound, PanelError, ValidationFailed

MAX_SUBJECT = 200
MAX_BODY = 50_000
NUMBER_PREFIX = "TKT-"
_NUMBER_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone


class TicketClosed(PanelError):
    """The ticket is closed and the action needs an open one."""

    status_code = 409


def now() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC)


# -- checks ------------------------------------------------------------------------------


def _subject(raw: str, errors: dict[str, str]) -> str:
    subject = " ".join((raw or "").split())
    if not subject:
        errors["subject"] = "Give the ticket a subject."
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = f"Keep the subject to {MAX_SUBJECT} characters."
    return subject


def _body(raw: str, errors: dict[str, str]) -> str:
    body = (raw or "").replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if not body.strip():
        errors["body"] = "Write a message."
    elif len(body) > MAX_BODY:
        errors["body"] = f"Keep the message to {MAX_BODY:,} characters."
    return body


def _priority(raw: str, errors: dict[str, str]) -> str:
    priority = (raw or TicketPriority.MEDIUM).strip().lower()
    if priority not in TicketPriority.ALL:
        errors["priority"] = "Choose low, medium, high or urgent."
    return priority


def _via(raw: str) -> str:
    if raw not in Via.ALL:
        raise ValueError(f"via must be one of {', '.join(Via.ALL)}")
    return raw


def real_files(attachments: Sequence[UploadFile]) -> list[UploadFile]:
    """The uploads a form really sent: a file input left empty arrives as a part without a name."""
    return [f for f in attachments if isinstance(f, UploadFile) and (f.filename or "").strip()]


def _check_files(files: Sequence[UploadFile], errors: dict[str, str]) -> None:
    """How many, and the types by name: reported with the other fields' errors, before anything is stored."""
    most = current().max_attachments
    if len(files) > most:
        errors["attachments"] = (
            f"Attach at most {most} files to one message." if most else "Attachments are not accepted."
        )
        return
    refusals = [r for r in (uploads.type_refusal(f.filename) for f in files) if r]
    if refusals:
        errors["attachments"] = refusals[0]


async def _store_all(files: Sequence[UploadFile]) -> list[uploads.StoredFile]:
    """Check and store every upload; on any refusal, remove those already stored and re-raise."""
    limit = current().max_attachment_bytes
    stored: list[uploads.StoredFile] = []
    try:
        for upload in files:
            stored.append(await uploads.store(upload, area=UPLOAD_AREA, max_bytes=limit))
    except BaseException:
        _remove_all(stored)
        raise
    return stored


def _remove_all(stored: Sequence[uploads.StoredFile]) -> None:
    for item in stored:
        uploads.remove(UPLOAD_AREA, item.key)


async def _author(user_id: int | None, name: str, email: str) -> tuple[str, str]:
    """The name and email recorded on a message: the user's, unless given."""
    if user_id is None or (name and email):
        return name, email
    row = await User.select(User.name, User.email).where(User.id == user_id).first()
    if row is None:
        raise NotFound("That user does not exist.")
    return name or row["name"] or row["email"], email or row["email"]


async def new_number() -> str:
    """A fresh public reference, `TKT-` and 7 random characters, not used yet."""
    for _ in range(20):
        number = NUMBER_PREFIX + "".join(secrets.choice(_NUMBER_CHARS) for _ in range(7))
        if not await SupportTicket.exists().where(SupportTicket.number == number):
            return number
    raise RuntimeError("could not pick a free ticket number")


async def _insert_message(
    ticket_id: int,
    *,
    author_id: int | None,
    author: tuple[str, str],
    body: str,
    is_staff: bool,
    internal: bool,
    via: str,
    email_message_id: str,
    stored: Sequence[uploads.StoredFile],
    at: datetime,
) -> int:
    rows = await SupportMessage.insert(
        SupportMessage(
            ticket=ticket_id,
            author=author_id,
            author_name=author[0][:200],
            author_email=author[1][:254],
            is_staff=is_staff,
            is_internal=internal,
            body=body,
            via=via,
            email_message_id=email_message_id[:255],
            created_at=at,
        )
    ).returning(SupportMessage.id)
    message_id = int(rows[0]["id"])
    await attach_files(message_id, stored, at)
    return message_id


async def attach_files(message_id: int, stored: Sequence[uploads.StoredFile], at: datetime | None = None) -> None:
    """Record files already in the upload store as the message's attachments (one INSERT; none for no files)."""
    if not stored:
        return
    when = at or datetime.now(UTC)
    await SupportAttachment.insert(
        *[
            SupportAttachment(
                message=message_id,
                key=f.key,
                filename=f.filename,
                content_type=f.content_type,
                size=f.size,
                sha256=f.sha256,
                created_at=when,
            )
            for f in stored
        ]
    )


async def _ticket(ticket_id: int) -> dict[str, Any]:
    row = await SupportTicket.select().where(SupportTicket.id == ticket_id).first()
    if row is None:
        raise NotFound("That ticket does not exist.")
    return row


# -- opening and replying -----------------------------------------------------------------


async def open_ticket(
    account_id: int,
    user_id: int | None,
    department_id: int,
    subject: str,
    body: str,
    priority: str,
    attachments: Sequence[UploadFile] = (),
    service_id: int | None = None,
    via: str = "web",
    *,
    by_staff: bool = False,
    author_name: str = "",
    author_email: str = "",
    email_message_id: str = "",
) -> int:
    """Open a ticket for `account_id` with its first message; returns the ticket id.

    `user_id` is who wrote it (None for mail from an unknown sender: then give
    `author_name`/`author_email`). Clients may only pick an active department;
    `by_staff` opens it on a client's behalf (any department, status answered).
    `service_id`, if given, must be a service of the account. Queues the
    acknowledgement to the client and the notice to the desk.

    Raises:
        ValidationFailed: a field is wrong (keys: subject, body, priority, department,
            service, attachments), or an attachment was refused (`UploadRejected`).
    """
    errors: dict[str, str] = {}
    subject = _subject(subject, errors)
    body = _body(body, errors)
    priority = _priority(priority, errors)
    via = _via(via)
    department = (
        await SupportDepartment.select(SupportDepartment.id, SupportDepartment.is_active)
        .where(SupportDepartment.id == department_id)
        .first()
    )
    if department is None or not (department["is_active"] or by_staff):
        errors["department"] = "Choose a department."
    if service_id is not None and not await Service.exists().where(
        (Service.id == service_id) & (Service.account == account_id)
    ):
        errors["service"] = "Choose one of your services, or none."
    files = real_files(attachments)
    _check_files(files, errors)
    if errors:
        raise ValidationFailed(errors)
    author = await _author(user_id, author_name, author_email)
    stored = await _store_all(files)
    try:
        async with db.write_transaction():
            at = now()
            number = await new_number()
            rows = await SupportTicket.insert(
                SupportTicket(
                    account=account_id,
                    department=department_id,
                    number=number,
                    subject=subject,
                    status=TicketStatus.ANSWERED if by_staff else TicketStatus.OPEN,
                    priority=priority,
                    opened_by=None if by_staff else user_id,
                    service=service_id,
                    created_at=at,
                    updated_at=at,
                    last_reply_at=at,
                    last_reply_by=ReplyBy.STAFF if by_staff else ReplyBy.CLIENT,
                    first_staff_reply_at=at if by_staff else None,
                )
            ).returning(SupportTicket.id)
            ticket_id = int(rows[0]["id"])
            message_id = await _insert_message(
                ticket_id,
                author_id=user_id,
                author=author,
                body=body,
                is_staff=by_staff,
                internal=False,
                via=via,
                email_message_id=email_message_id,
                stored=stored,
                at=at,
            )
            await notify.ticket_opened(ticket_id, message_id, by_staff=by_staff)
    except BaseException:
        _remove_all(stored)
        raise
    return ticket_id


async def reply(
    ticket_id: int,
    *,
    author_id: int | None,
    body: str,
    is_staff: bool,
    internal: bool = False,
    attachments: Sequence[UploadFile] = (),
    via: str = "web",
    email_message_id: str = "",
    author_name: str = "",
    author_email: str = "",
) -> int:
    """Add a message to a ticket and move its status (see the module's status machine); returns the message id.

    A client reply sets customer_reply, a staff reply answered (and reopens a closed
    ticket either way); an `internal` note (staff only) changes no status and mails
    nobody. Queues the email the reply calls for.

    Raises:
        ValidationFailed: empty or too long `body`, too many or refused attachments.
        NotFound: no such ticket.
    """
    if internal and not is_staff:
        raise ValueError("only staff write internal notes")
    via = _via(via)
    errors: dict[str, str] = {}
    body = _body(body, errors)
    files = real_files(attachments)
    _check_files(files, errors)
    if errors:
        raise ValidationFailed(errors)
    await _ticket(ticket_id)
    author = await _author(author_id, author_name, author_email)
    stored = await _store_all(files)
    try:
        async with db.write_transaction():
            at = now()
            ticket = await _ticket(ticket_id)
            message_id = await _insert_message(
                ticket_id,
                author_id=author_id,
                author=author,
                body=body,
                is_staff=is_staff,
                internal=internal,
                via=via,
                email_message_id=email_message_id,
                stored=stored,
                at=at,
            )
            changes: dict[Any, Any] = {SupportTicket.updated_at: at}
            if not internal:
                changes[SupportTicket.last_reply_at] = at
                changes[SupportTicket.last_reply_by] = ReplyBy.STAFF if is_staff else ReplyBy.CLIENT
                changes[SupportTicket.status] = TicketStatus.ANSWERED if is_staff else TicketStatus.CUSTOMER_REPLY
                changes[SupportTicket.closed_at] = None
                if is_staff and ticket["first_staff_reply_at"] is None:
                    changes[SupportTicket.first_staff_reply_at] = at
            await SupportTicket.update(changes).where(SupportTicket.id == ticket_id)
            if not internal:
                await notify.replied(ticket_id, message_id, is_staff=is_staff)
    except BaseException:
        _remove_all(stored)
        raise
    return message_id


# -- status, priority, assignment ------------------------------------------------------------


async def set_priority(ticket_id: int, priority: str, *, by_user_id: int | None) -> None:
    """Change a ticket's priority; a closed ticket keeps its own.

    Raises:
        ValidationFailed: not low, medium, high or urgent (key `priority`).
        TicketClosed: the ticket is closed.
    """
    priority = (priority or "").strip().lower()
    if priority not in TicketPriority.ALL:
        raise ValidationFailed({"priority": "Choose low, medium, high or urgent."})
    async with db.write_transaction():
        ticket = await _ticket(ticket_id)
        if ticket["status"] == TicketStatus.CLOSED:
            raise TicketClosed("This ticket is closed: reopen it first.")
        await SupportTicket.update({SupportTicket.priority: priority, SupportTicket.updated_at: now()}).where(
            SupportTicket.id == ticket_id
        )


async def set_status(ticket_id: int, status: str, *, by_user_id: int | None) -> None:
    """Staff move a ticket to any status (closed: as `close`; from closed: reopened).

    Raises:
        ValidationFailed: not a known status (key `status`).
    """
    if status not in TicketStatus.ALL:
        raise ValidationFailed({"status": "Choose a status from the list."})
    if status == TicketStatus.CLOSED:
        await close(ticket_id, by_user_id)
        return
    async with db.write_transaction():
        await _ticket(ticket_id)
        await SupportTicket.update(
            {SupportTicket.status: status, SupportTicket.closed_at: None, SupportTicket.updated_at: now()}
        ).where(SupportTicket.id == ticket_id)


async def close(ticket_id: int, by_user_id: int | None) -> None:
    """Close a ticket (closing a closed one changes nothing). A reply reopens it."""
    async with db.write_transaction():
        ticket = await _ticket(ticket_id)
        if ticket["status"] == TicketStatus.CLOSED:
            return
        at = now()
        await SupportTicket.update(
            {SupportTicket.status: TicketStatus.CLOSED, SupportTicket.closed_at: at, SupportTicket.updated_at: at}
        ).where(SupportTicket.id == ticket_id)


async def reopen(ticket_id: int, by_user_id: int | None) -> None:
    """Reopen a closed ticket: status open, waiting for staff (an open one is left as it is)."""
    async with db.write_transaction():
        ticket = await _ticket(ticket_id)
        if ticket["status"] != TicketStatus.CLOSED:
            return
        await SupportTicket.update(
            {SupportTicket.status: TicketStatus.OPEN, SupportTicket.closed_at: None, SupportTicket.updated_at: now()}
        ).where(SupportTicket.id == ticket_id)


async def assign(ticket_id: int, user_id: int | None, *, by_user_id: int | None) -> None:
    """Give a ticket to a staff user (None: unassigned, the whole department is notified)."""
    async with db.write_transaction():
        await _ticket(ticket_id)
        await SupportTicket.update({SupportTicket.assigned_to: user_id, SupportTicket.updated_at: now()}).where(
            SupportTicket.id == ticket_id
        )


async def move(ticket_id: int, department_id: int, *, by_user_id: int | None) -> None:
    """File a ticket under another department (staff; inactive departments too).

    Raises:
        ValidationFailed: no such department (key `department`).
    """
    async with db.write_transaction():
        await _ticket(ticket_id)
        if not await SupportDepartment.exists().where(SupportDepartment.id == department_id):
            raise ValidationFailed({"department": "Choose a department."})
        await SupportTicket.update({SupportTicket.department: department_id, SupportTicket.updated_at: now()}).where(
            SupportTicket.id == ticket_id
        )


async def delete_ticket_files(ticket_id: int) -> None:
    """Remove the stored files of a ticket's attachments (call before deleting the ticket's rows)."""
    rows = await SupportAttachment.select(SupportAttachment.key).where(SupportAttachment.message.ticket == ticket_id)
    for row in rows:
        with contextlib.suppress(OSError):
            uploads.remove(UPLOAD_AREA, row["key"])
