"""The staff desk's rules for tickets: changing one (status, priority, department, assignee), merging, splitting.

Departments and canned responses are in `staff_settings`. Replies, notes, closing and
reopening are `services`' (the core rules); the functions
here that change a ticket call those inside their own `db.write_transaction()` (which
the inner ones join) and add the audit event, so a change and its record commit
together. Nothing here checks who may do what: the routes ask the rules engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from panel.core import db
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.authz.engine import Authorizer
from panel.core.support import services
from panel.core.support.staff_queries import desk_staff
from panel.core.support.tables import (
    ReplyBy,
    SupportMessage,
    SupportTicket,
    TicketStatus,
)
from panel.errors import NotFound, ValidationFailed

# -- changing a ticket ----------------------------------------------------------------------


async def _ticket(ticket_id: int) -> dict[str, Any]:
    row = await SupportTicket.select().where(SupportTicket.id == ticket_id).first()
    if row is None:
        raise NotFound("That ticket does not exist.")
    return row


@dataclass(frozen=True)
class TicketChanges:
    """What the ticket page's settings form asks for; None leaves a field as it is."""

    status: str | None = None
    priority: str | None = None
    department_id: int | None = None
    assignee: int | None = None
    unassign: bool = False


async def update_ticket(
    ticket_id: int, changes: TicketChanges, authz: Authorizer, *, by: AuditContext = SYSTEM
) -> None:
    """Apply the changed fields (status, priority, department, assignee) at once, with one audit event.

    A ticket being closed gets its other changes first; one being reopened gets them
    after (a closed ticket keeps its priority).

    Raises:
        ValidationFailed: keys status, priority, department, assignee.
        services.TicketClosed: a priority change on a ticket that stays closed.
    """
    actor = by["actor"]
    if changes.assignee is not None and changes.assignee not in {s.id for s in await desk_staff(authz)}:
        raise ValidationFailed({"assignee": "Choose a staff member who answers tickets."})
    async with db.write_transaction():
        before = await _ticket(ticket_id)
        diff: dict[str, dict[str, Any]] = {}
        closing = changes.status == TicketStatus.CLOSED and before["status"] != TicketStatus.CLOSED
        if changes.status is not None and changes.status != before["status"] and not closing:
            await services.set_status(ticket_id, changes.status, by_user_id=actor)
            diff["status"] = {"before": before["status"], "after": changes.status}
        if changes.priority is not None and changes.priority != before["priority"]:
            await services.set_priority(ticket_id, changes.priority, by_user_id=actor)
            diff["priority"] = {"before": before["priority"], "after": changes.priority}
        if changes.department_id is not None and changes.department_id != before["department"]:
            await services.move(ticket_id, changes.department_id, by_user_id=actor)
            diff["department"] = {"before": before["department"], "after": changes.department_id}
        assignee = None if changes.unassign else changes.assignee
        if (changes.unassign or changes.assignee is not None) and assignee != before["assigned_to"]:
            await services.assign(ticket_id, assignee, by_user_id=actor)
            diff["assigned_to"] = {"before": before["assigned_to"], "after": assignee}
        if closing:
            await services.close(ticket_id, actor)
            diff["status"] = {"before": before["status"], "after": TicketStatus.CLOSED}
        if diff:
            await record(
                "support.ticket.update",
                account_id=before["account"],
                target=f"ticket:{ticket_id}",
                summary=f"Changed ticket {before['number']}: {', '.join(sorted(diff))}.",
                details=diff,
                **by,
            )


async def close_or_reopen(ticket_id: int, close: bool, *, by: AuditContext = SYSTEM) -> None:
    """Close (or reopen) a ticket, with an audit event when it changed."""
    async with db.write_transaction():
        before = await _ticket(ticket_id)
        if close == (before["status"] == TicketStatus.CLOSED):
            return
        if close:
            await services.close(ticket_id, by["actor"])
        else:
            await services.reopen(ticket_id, by["actor"])
        verb = "close" if close else "reopen"
        await record(
            f"support.ticket.{verb}",
            account_id=before["account"],
            target=f"ticket:{ticket_id}",
            summary=f"{'Closed' if close else 'Reopened'} ticket {before['number']}.",
            **by,
        )


async def _note(ticket_id: int, body: str, by: AuditContext) -> None:
    """A system note in the thread (internal: clients never see it, nobody is mailed)."""
    await services.reply(ticket_id, author_id=by["actor"], body=body, is_staff=True, internal=True)


# -- merging and splitting ------------------------------------------------------------------


def _later(a: datetime | None, b: datetime | None) -> bool:
    return a is not None and (b is None or a > b)


async def merge(target_id: int, source_id: int, *, by: AuditContext = SYSTEM) -> None:
    """Merge ticket `source_id` into `target_id`: its messages (and files) move over, it is closed and points there.

    Both tickets must belong to the same account and neither may be merged already.
    The thread stays in time order; the target takes the later last reply and the
    earlier first staff reply, and a closed target takes the source's open status. A
    note on each says what happened.

    Raises:
        ValidationFailed: key `source` (the same ticket, another account's, merged already).
    """
    async with db.write_transaction():
        target = await _ticket(target_id)
        source = await _ticket(source_id)
        if target_id == source_id:
            raise ValidationFailed({"source": "Choose another ticket: a ticket cannot be merged into itself."})
        if source["account"] != target["account"]:
            raise ValidationFailed({"source": "Only tickets of the same account can be merged."})
        if source["merged_into"] is not None or target["merged_into"] is not None:
            raise ValidationFailed({"source": "That ticket was merged already."})
        moved = await SupportMessage.count().where(SupportMessage.ticket == source_id)
        await SupportMessage.update({SupportMessage.ticket: target_id}).where(SupportMessage.ticket == source_id)
        at = services.now()
        changes: dict[Any, Any] = {SupportTicket.updated_at: at}
        if _later(source["last_reply_at"], target["last_reply_at"]):
            changes[SupportTicket.last_reply_at] = source["last_reply_at"]
            changes[SupportTicket.last_reply_by] = source["last_reply_by"]
        first_src, first_tgt = source["first_staff_reply_at"], target["first_staff_reply_at"]
        if first_src is not None and (first_tgt is None or first_src < first_tgt):
            changes[SupportTicket.first_staff_reply_at] = source["first_staff_reply_at"]
        if target["status"] == TicketStatus.CLOSED and source["status"] != TicketStatus.CLOSED:
            changes[SupportTicket.status] = source["status"]
            changes[SupportTicket.closed_at] = None
        await SupportTicket.update(changes).where(SupportTicket.id == target_id)
        await SupportTicket.update(
            {
                SupportTicket.status: TicketStatus.CLOSED,
                SupportTicket.closed_at: source["closed_at"] or at,
                SupportTicket.merged_into: target_id,
                SupportTicket.updated_at: at,
            }
        ).where(SupportTicket.id == source_id)
        await _note(
            target_id,
            f'Ticket {source["number"]} ("{source["subject"]}") was merged into this ticket: '
            f"its {moved} message{'s' if moved != 1 else ''} are in this thread now.",
            by,
        )
        await _note(source_id, f"This ticket was merged into {target['number']}: its messages are there now.", by)
        await record(
            "support.ticket.merge",
            account_id=target["account"],
            target=f"ticket:{target_id}",
            summary=f"Merged ticket {source['number']} into {target['number']}.",
            details={"source": source_id, "messages": moved},
            **by,
        )


async def split(ticket_id: int, message_ids: Sequence[int], subject: str, *, by: AuditContext = SYSTEM) -> int:
    """Move the chosen messages of a ticket to a new ticket of the same account; returns the new ticket's id.

    The new ticket keeps the department, priority and assignee; its status and
    reply times follow the messages it got (a client's message last: customer
    reply; staff's: answered). At least one message stays behind, and at least one
    moved message must be a reply (not only staff notes). A note on each links them.

    Raises:
        ValidationFailed: keys `messages`, `subject`.
    """
    errors: dict[str, str] = {}
    subject = " ".join((subject or "").split())
    if not subject:
        errors["subject"] = "Give the new ticket a subject."
    elif len(subject) > services.MAX_SUBJECT:
        errors["subject"] = f"Keep the subject to {services.MAX_SUBJECT} characters."
    wanted = set(message_ids)
    async with db.write_transaction():
        ticket = await _ticket(ticket_id)
        rows = (
            await SupportMessage.select(
                SupportMessage.id,
                SupportMessage.author,
                SupportMessage.is_staff,
                SupportMessage.is_internal,
                SupportMessage.created_at,
            )
            .where(SupportMessage.ticket == ticket_id)
            .order_by(SupportMessage.created_at)
            .order_by(SupportMessage.id)
        )
        chosen = [r for r in rows if r["id"] in wanted]
        replies = [r for r in chosen if not r["is_internal"]]
        staying = [r for r in rows if r["id"] not in wanted and not r["is_internal"]]
        if not chosen or len(chosen) != len(wanted):
            errors["messages"] = "Tick the messages of this ticket that should move to the new one."
        elif not replies:
            errors["messages"] = "Tick at least one reply (not only staff notes)."
        elif not staying:
            errors["messages"] = "Leave at least one reply on this ticket."
        if errors:
            raise ValidationFailed(errors)
        last, first = replies[-1], replies[0]
        staff_first = next((r["created_at"] for r in replies if r["is_staff"]), None)
        client_opened = not first["is_staff"]
        at = services.now()
        number = await services.new_number()
        created = await SupportTicket.insert(
            SupportTicket(
                account=ticket["account"],
                department=ticket["department"],
                number=number,
                subject=subject,
                status=_status_after(last["is_staff"], staff_first),
                priority=ticket["priority"],
                opened_by=first["author"] if client_opened else None,
                assigned_to=ticket["assigned_to"],
                created_at=first["created_at"],
                updated_at=at,
                last_reply_at=last["created_at"],
                last_reply_by=ReplyBy.STAFF if last["is_staff"] else ReplyBy.CLIENT,
                first_staff_reply_at=staff_first,
            )
        ).returning(SupportTicket.id)
        new_id = int(created[0]["id"])
        await SupportMessage.update({SupportMessage.ticket: new_id}).where(
            SupportMessage.id.is_in([r["id"] for r in chosen])
        )
        left = staying[-1]
        await SupportTicket.update(
            {
                SupportTicket.last_reply_at: left["created_at"],
                SupportTicket.last_reply_by: ReplyBy.STAFF if left["is_staff"] else ReplyBy.CLIENT,
                SupportTicket.updated_at: at,
            }
        ).where(SupportTicket.id == ticket_id)
        count = len(chosen)
        await _note(
            ticket_id,
            f'{count} message{"s" if count != 1 else ""} moved to the new ticket {number} ("{subject}").',
            by,
        )
        await _note(new_id, f'Split from ticket {ticket["number"]} ("{ticket["subject"]}").', by)
        await record(
            "support.ticket.split",
            account_id=ticket["account"],
            target=f"ticket:{ticket_id}",
            summary=f"Split {count} message{'s' if count != 1 else ''} of ticket {ticket['number']} into {number}.",
            details={"new_ticket": new_id, "messages": [r["id"] for r in chosen]},
            **by,
        )
    return new_id


def _status_after(last_is_staff: bool, staff_first: datetime | None) -> str:
    """The status of a ticket whose last reply is staff's (answered) or the client's."""
    if last_is_staff:
        return TicketStatus.ANSWERED
    return TicketStatus.CUSTOMER_REPLY if staff_first is not None else TicketStatus.OPEN
