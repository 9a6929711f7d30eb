"""The support API under /api/v1/accounts/{account_id}/tickets: the same services and rules as the pages.

Bodies are JSON (attachments are sent through the pages); responses carry message
bodies as plain text, never HTML. Staff notes are never part of an answer here.
Another account's ticket is 404; a member without the tickets permission gets 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from panel.core import uploads
from panel.core.support import guards, queries, services
from panel.core.support.config import UPLOAD_AREA
from panel.core.support.tables import TicketPriority, Via


@dataclass
class TicketListOut:
    """A page of tickets and the number of matches."""

    total: int
    limit: int
    offset: int
    items: list[queries.TicketRow]


@dataclass
class AttachmentOut:
    """A file of a message; `url` downloads it (same API token)."""

    id: int
    filename: str
    content_type: str
    size: int
    url: str


@dataclass
class MessageOut:
    """One message of the thread; `body` is plain text."""

    id: int
    author_name: str
    is_staff: bool
    body: str
    via: str
    created_at: datetime
    attachments: list[AttachmentOut] = field(default_factory=list)


@dataclass
class TicketOut:
    """A ticket with its messages, oldest first."""

    ticket: queries.TicketView
    messages: list[MessageOut]


@dataclass
class TicketIn:
    """A new ticket: `priority` is low, medium, high or urgent; `service_id` one of the account's services."""

    department_id: int
    subject: str
    body: str
    priority: str = TicketPriority.MEDIUM
    service_id: int | None = None


@dataclass
class ReplyIn:
    """A reply to a ticket (reopens a closed one)."""

    body: str


@dataclass
class ReplyOut:
    """The message added and the ticket's status after it."""

    message_id: int
    status: str


@dataclass
class PriorityIn:
    """A new priority: low, medium, high or urgent."""

    priority: str


async def _ticket_out(account_id: int, ticket_id: int) -> TicketOut:
    ticket = await queries.ticket_of_account(account_id, ticket_id)
    base = f"/api/v1/accounts/{account_id}/tickets/{ticket_id}/attachments"
    messages = [
        MessageOut(
            m.id,
            m.author_name,
            m.is_staff,
            m.body,
            m.via,
            m.created_at,
            [AttachmentOut(a.id, a.filename, a.content_type, a.size, f"{base}/{a.id}") for a in m.attachments],
        )
        for m in await queries.thread(ticket_id, include_internal=False)
    ]
    return TicketOut(ticket, messages)


@get("/accounts/{account_id:int}/tickets", authz=guards.API_LIST)
async def api_tickets(
    account_id: FromPath[int],
    show: FromQuery[str] = "open",
    limit: FromQuery[int] = queries.PAGE_SIZE,
    offset: FromQuery[int] = 0,
) -> TicketListOut:
    """The account's tickets, latest activity first; `show` is open (default), closed or all."""
    found = await queries.account_tickets(account_id, show if show in queries.SHOW else "open", limit, offset)
    return TicketListOut(found.total, found.limit, found.offset, found.rows)


@post("/accounts/{account_id:int}/tickets", authz=guards.API_CREATE, status_code=201)
async def api_open(request: Request[Any, Any, Any], account_id: FromPath[int], data: JSONBody[TicketIn]) -> TicketOut:
    """Open a ticket; 422 with `errors` per field (subject, body, priority, department, service)."""
    ticket_id = await services.open_ticket(
        account_id,
        request.state.user_id,
        data.department_id,
        data.subject,
        data.body,
        data.priority,
        (),
        data.service_id,
        via=Via.API,
    )
    return await _ticket_out(account_id, ticket_id)


@get("/accounts/{account_id:int}/tickets/{ticket_id:int}", authz=guards.API_READ)
async def api_ticket(account_id: FromPath[int], ticket_id: FromPath[int]) -> TicketOut:
    """One ticket with its messages (never staff notes); 404 for another account's."""
    return await _ticket_out(account_id, ticket_id)


@post("/accounts/{account_id:int}/tickets/{ticket_id:int}/replies", authz=guards.API_REPLY, status_code=201)
async def api_reply(
    request: Request[Any, Any, Any], account_id: FromPath[int], ticket_id: FromPath[int], data: JSONBody[ReplyIn]
) -> ReplyOut:
    """Reply to the ticket; 422 for an empty body."""
    await queries.ticket_of_account(account_id, ticket_id)
    message_id = await services.reply(
        ticket_id, author_id=request.state.user_id, body=data.body, is_staff=False, via=Via.API
    )
    ticket = await queries.ticket_of_account(account_id, ticket_id)
    return ReplyOut(message_id, ticket.status)


@post("/accounts/{account_id:int}/tickets/{ticket_id:int}/priority", authz=guards.API_UPDATE, status_code=200)
async def api_priority(
    request: Request[Any, Any, Any], account_id: FromPath[int], ticket_id: FromPath[int], data: JSONBody[PriorityIn]
) -> queries.TicketView:
    """Change the priority; 422 for an unknown one, 409 when the ticket is closed."""
    await queries.ticket_of_account(account_id, ticket_id)
    await services.set_priority(ticket_id, data.priority, by_user_id=request.state.user_id)
    return await queries.ticket_of_account(account_id, ticket_id)


@post("/accounts/{account_id:int}/tickets/{ticket_id:int}/close", authz=guards.API_CLOSE, status_code=200)
async def api_close(
    request: Request[Any, Any, Any], account_id: FromPath[int], ticket_id: FromPath[int]
) -> queries.TicketView:
    """Close the ticket (a reply reopens it)."""
    await queries.ticket_of_account(account_id, ticket_id)
    await services.close(ticket_id, request.state.user_id)
    return await queries.ticket_of_account(account_id, ticket_id)


@get("/accounts/{account_id:int}/tickets/{ticket_id:int}/attachments/{attachment_id:int}", authz=guards.API_READ)
async def api_attachment(
    account_id: FromPath[int], ticket_id: FromPath[int], attachment_id: FromPath[int]
) -> Response[Any]:
    """Download a file of a visible message of the ticket; 404 for anything else."""
    await queries.ticket_of_account(account_id, ticket_id)
    stored = await queries.attachment_of_ticket(ticket_id, attachment_id, include_internal=False)
    return uploads.file_response(UPLOAD_AREA, stored)


def api_router() -> Router:
    """The support API under /api/v1."""
    return Router(
        path="/api/v1",
        route_handlers=[api_tickets, api_open, api_ticket, api_reply, api_priority, api_close, api_attachment],
        tags=["support"],
    )
