"""What the support pages and the API read: ticket lists, one ticket, its thread, its files.

Lists take one query for the rows and one for the count; a thread takes two (messages,
then their attachments). Client reads are scoped by account: another account's ticket
is "not found", never "forbidden".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from panel.core import db
from panel.core.paging import Page
from panel.core.services.tables import Service, ServiceStatus
from panel.core.support.tables import (
    SupportAttachment,
    SupportDepartment,
    SupportMessage,
    SupportTicket,
    TicketPriority,
    TicketStatus,
)
from panel.core.uploads import StoredFile
from panel.errors import NotFound

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
SHOW = ("open", "closed", "all")


@dataclass(frozen=True)
class TicketRow:
    """A ticket as a list shows it."""

    id: int
    number: str
    subject: str
    status: str
    status_label: str
    priority: str
    department: str
    last_reply_at: datetime
    last_reply_by: str
    created_at: datetime


@dataclass(frozen=True)
class TicketView:
    """One ticket, as its page and the API show it (not its messages)."""

    id: int
    account_id: int
    number: str
    subject: str
    status: str
    status_label: str
    priority: str
    priority_label: str
    department_id: int
    department: str
    service_id: int | None
    service_label: str
    opened_by: int | None
    assigned_to: int | None
    created_at: datetime
    updated_at: datetime
    last_reply_at: datetime
    last_reply_by: str
    first_staff_reply_at: datetime | None
    closed_at: datetime | None
    merged_into: int | None

    @property
    def is_closed(self) -> bool:
        """Whether the ticket is closed."""
        return self.status == TicketStatus.CLOSED


@dataclass(frozen=True)
class AttachmentView:
    """A file of a message."""

    id: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class MessageView:
    """One message of a thread; `body` is the plain text as typed (pages escape it)."""

    id: int
    author_id: int | None
    author_name: str
    is_staff: bool
    is_internal: bool
    body: str
    via: str
    created_at: datetime
    attachments: list[AttachmentView] = field(default_factory=list)


@dataclass(frozen=True)
class Department:
    """A department a ticket can be filed under."""

    id: int
    name: str
    description: str


def _row(r: dict[str, Any]) -> TicketRow:
    return TicketRow(
        id=r["id"],
        number=r["number"],
        subject=r["subject"],
        status=r["status"],
        status_label=TicketStatus.LABELS.get(r["status"]) or r["status"],
        priority=r["priority"],
        department=r["department_name"] or "",
        last_reply_at=r["last_reply_at"],
        last_reply_by=r["last_reply_by"],
        created_at=r["created_at"],
    )


def clamp(limit: int, offset: int) -> tuple[int, int]:
    """A page size within 1..MAX_PAGE_SIZE and an offset of at least 0."""
    return max(1, min(int(limit), MAX_PAGE_SIZE)), max(0, int(offset))


_TICKETS = SupportTicket._meta.tablename
_LIST_SQL = (
    "SELECT t.id, t.number, t.subject, t.status, t.priority, d.name AS department_name, t.last_reply_at, "  # noqa: S608
    f"t.last_reply_by, t.created_at FROM {_TICKETS} t LEFT JOIN {SupportDepartment._meta.tablename} d "
    "ON d.id = t.department WHERE t.account = {} %s "
    "ORDER BY t.last_reply_at DESC, t.id DESC LIMIT {} OFFSET {}"
)
_COUNT_SQL = f"SELECT count(*) AS n FROM {_TICKETS} t WHERE t.account = {{}} %s"  # noqa: S608
_SHOW: dict[str, tuple[str, tuple[str, ...]]] = {
    "open": ("AND t.status <> {}", (TicketStatus.CLOSED,)),
    "closed": ("AND t.status = {}", (TicketStatus.CLOSED,)),
}
"""The condition of each `show` choice (any other: every ticket) and its arguments."""


async def account_tickets(
    account_id: int, show: str = "open", limit: int = PAGE_SIZE, offset: int = 0
) -> Page[TicketRow]:
    """The account's tickets, latest reply first; `show` is open (not closed), closed or all.

    Hand-written statements (the client's ticket list and the home page run them on
    every view); the count only when the page is full or not the first.
    """
    limit, offset = clamp(limit, offset)
    condition, args = _SHOW.get(show, ("", ()))
    rows = await db.fetch(_LIST_SQL % condition, account_id, *args, limit, offset)
    if offset == 0 and len(rows) < limit:
        total = len(rows)
    else:
        total = int((await db.fetch(_COUNT_SQL % condition, account_id, *args))[0]["n"])
    return Page([_row(r) for r in rows], total, limit, offset)


async def open_ticket_count(account_id: int) -> int:
    """How many of the account's tickets are not closed."""
    return int(
        await SupportTicket.count().where(
            (SupportTicket.account == account_id) & SupportTicket.status.is_in(list(TicketStatus.ACTIVE))
        )
    )


async def _view(where: Any) -> TicketView | None:
    r = (
        await SupportTicket.select(
            *SupportTicket.all_columns(),
            SupportTicket.department.name.as_alias("department_name"),
            SupportTicket.service.label.as_alias("service_label"),
        )
        .where(where)
        .first()
    )
    if r is None:
        return None
    return TicketView(
        id=r["id"],
        account_id=r["account"],
        number=r["number"],
        subject=r["subject"],
        status=r["status"],
        status_label=TicketStatus.LABELS.get(r["status"]) or r["status"],
        priority=r["priority"],
        priority_label=TicketPriority.LABELS.get(r["priority"]) or r["priority"],
        department_id=r["department"],
        department=r["department_name"] or "",
        service_id=r["service"],
        service_label=r["service_label"] or "",
        opened_by=r["opened_by"],
        assigned_to=r["assigned_to"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        last_reply_at=r["last_reply_at"],
        last_reply_by=r["last_reply_by"],
        first_staff_reply_at=r["first_staff_reply_at"],
        closed_at=r["closed_at"],
        merged_into=r["merged_into"],
    )


async def ticket_of_account(account_id: int, ticket_id: int) -> TicketView:
    """One ticket of the account; `NotFound` when it does not exist or belongs to another account."""
    found = await _view((SupportTicket.id == ticket_id) & (SupportTicket.account == account_id))
    if found is None:
        raise NotFound("That ticket does not exist.")
    return found


async def get_ticket(ticket_id: int) -> TicketView:
    """One ticket of any account (the staff desk); `NotFound` when it does not exist."""
    found = await _view(SupportTicket.id == ticket_id)
    if found is None:
        raise NotFound("That ticket does not exist.")
    return found


async def thread(ticket_id: int, include_internal: bool) -> list[MessageView]:
    """The ticket's messages, oldest first, with their attachments; staff notes only with `include_internal`."""
    where: Any = SupportMessage.ticket == ticket_id
    if not include_internal:
        where = where & (SupportMessage.is_internal.eq(False))
    rows = (
        await SupportMessage.select(
            SupportMessage.id,
            SupportMessage.author,
            SupportMessage.author_name,
            SupportMessage.is_staff,
            SupportMessage.is_internal,
            SupportMessage.body,
            SupportMessage.via,
            SupportMessage.created_at,
        )
        .where(where)
        .order_by(SupportMessage.created_at)
        .order_by(SupportMessage.id)
    )
    files: dict[int, list[AttachmentView]] = defaultdict(list)
    if rows:
        found = (
            await SupportAttachment.select(
                SupportAttachment.id,
                SupportAttachment.message,
                SupportAttachment.filename,
                SupportAttachment.content_type,
                SupportAttachment.size,
            )
            .where(SupportAttachment.message.is_in([r["id"] for r in rows]))
            .order_by(SupportAttachment.id)
        )
        for a in found:
            files[a["message"]].append(AttachmentView(a["id"], a["filename"], a["content_type"], a["size"]))
    return [
        MessageView(
            id=r["id"],
            author_id=r["author"],
            author_name=r["author_name"],
            is_staff=r["is_staff"],
            is_internal=r["is_internal"],
            body=r["body"],
            via=r["via"],
            created_at=r["created_at"],
            attachments=files.get(r["id"], []),
        )
        for r in rows
    ]


async def attachment_of_ticket(ticket_id: int, attachment_id: int, include_internal: bool) -> StoredFile:
    """A file of a message of the ticket.

    Raises `NotFound` for another ticket's file, or a staff note's without `include_internal`.
    """
    where: Any = (SupportAttachment.id == attachment_id) & (SupportAttachment.message.ticket == ticket_id)
    if not include_internal:
        where = where & (SupportAttachment.message.is_internal.eq(False))  # type: ignore[union-attr]
    r = (
        await SupportAttachment.select(
            SupportAttachment.key,
            SupportAttachment.filename,
            SupportAttachment.content_type,
            SupportAttachment.size,
            SupportAttachment.sha256,
        )
        .where(where)
        .first()
    )
    if r is None:
        raise NotFound("That file does not exist.")
    return StoredFile(r["key"], r["filename"], r["content_type"], r["size"], r["sha256"])


async def active_departments() -> list[Department]:
    """The departments clients can choose, in their order."""
    rows = (
        await SupportDepartment.select(SupportDepartment.id, SupportDepartment.name, SupportDepartment.description)
        .where(SupportDepartment.is_active.eq(True))
        .order_by(SupportDepartment.sort_order)
        .order_by(SupportDepartment.name)
    )
    return [Department(r["id"], r["name"], r["description"]) for r in rows]


async def account_services(account_id: int) -> list[tuple[int, str]]:
    """The account's live services a ticket can be about: (id, label)."""
    rows = (
        await Service.select(Service.id, Service.label, Service.product.name.as_alias("product_name"))
        .where((Service.account == account_id) & Service.status.is_in(list(ServiceStatus.LIVE)))
        .order_by(Service.id)
    )
    return [(r["id"], r["label"] or r["product_name"] or f"Service #{r['id']}") for r in rows]
