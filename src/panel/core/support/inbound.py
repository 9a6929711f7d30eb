"""Tickets by email: what an incoming message becomes, and when it is refused.

The receiver (`inbound_server`) hands every message to `deliver`, one recipient at a
time, and answers the sending server with the `Outcome`'s SMTP reply:

- To a ticket's reply address (`addresses.reply_address`): a reply on that ticket
  (or on the ticket it was merged into), via "email", from the sender. The sender
  (the From header) must be a user of the ticket's account whom the rules engine
  lets reply to tickets, one of the account's contacts, or the staff user the ticket
  is assigned to (a staff reply). Anyone else is refused with 550 and a log line;
  nothing of theirs is stored.
- To an active department's email address: a new ticket for the account of the
  user or contact who sent it; unknown senders are refused the same way.
- Quoted text and signatures are cut (`inbound_parse.strip_quoted`); HTML-only mail
  is turned into text. Files go through the upload store one by one: a refused one
  (type, size, too many) is left out and named in a line added to the message.
- A Message-ID already on the desk is accepted again without adding anything, so a
  message delivered twice (a retry after a lost reply) is stored once.
- Out-of-office and other automatic replies are accepted and dropped (no mail loops).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from litestar.datastructures import UploadFile
from piccolo.columns.combination import WhereRaw

from panel.core import db, uploads
from panel.core.accounts.tables import AccountStatus, Membership
from panel.core.auth.services import user_id_by_email
from panel.core.authz.engine import Authorizer, AuthzRequest
from panel.core.contacts.tables import Contact
from panel.core.support import services
from panel.core.support.addresses import ticket_from_address
from panel.core.support.config import UPLOAD_AREA, current
from panel.core.support.inbound_parse import Attachment, ParsedMail, parse_mail
from panel.core.support.tables import SupportDepartment, SupportMessage, SupportTicket, Via
from panel.errors import ValidationFailed

log = logging.getLogger("panel.support.inbound")

MAX_MERGE_HOPS = 20
NO_TEXT = "(This email had no text.)"
NO_SUBJECT = "(no subject)"


@dataclass(frozen=True)
class Outcome:
    """What became of one message: the SMTP reply to give, and what was stored."""

    reply: str
    ticket_id: int | None = None
    message_id: int | None = None
    duplicate: bool = False

    @property
    def accepted(self) -> bool:
        """Whether the sending server is told the message was taken (2xx)."""
        return self.reply.startswith("2")


@dataclass(frozen=True)
class Sender:
    """Who a message is from, as the desk records it."""

    user_id: int | None
    name: str
    email: str
    is_staff: bool = False


@dataclass(frozen=True)
class Target:
    """Where a recipient address leads: a ticket, or a department that opens one."""

    ticket_id: int | None = None
    department_id: int | None = None


def _refused(reason: str, parsed: ParsedMail | None, recipient: str) -> Outcome:
    sender = parsed.sender if parsed else "?"
    log.warning("inbound mail refused: from %s to %s: %s", sender or "(no From)", recipient, reason)
    return Outcome(f"550 5.7.1 {reason}")


# -- where a message goes -------------------------------------------------------------------


async def target_of(recipient: str) -> Target | None:
    """The ticket or department a recipient address stands for; None if it is neither.

    Cheap enough for the RCPT command: a reply address is checked by its code, without
    the database; a department address with one indexed-size query.
    """
    ticket_id = ticket_from_address(recipient)
    if ticket_id is not None:
        return Target(ticket_id=ticket_id)
    address = recipient.strip().strip("<>").lower()
    if not address or "@" not in address:
        return None
    row = (
        await SupportDepartment.select(SupportDepartment.id)
        .where(SupportDepartment.is_active.eq(True) & WhereRaw("lower(email) = {}", address))
        .order_by(SupportDepartment.id)
        .first()
    )
    return Target(department_id=int(row["id"])) if row else None


async def _live_ticket(ticket_id: int) -> dict[str, Any] | None:
    """The ticket a reply belongs on: this one, or the one it was merged into (followed to the end)."""
    seen: set[int] = set()
    current_id: int | None = ticket_id
    while current_id is not None and current_id not in seen and len(seen) < MAX_MERGE_HOPS:
        seen.add(current_id)
        row = (
            await SupportTicket.select(
                SupportTicket.id,
                SupportTicket.account,
                SupportTicket.assigned_to,
                SupportTicket.assigned_to.email.as_alias("assignee_email"),
                SupportTicket.assigned_to.name.as_alias("assignee_name"),
                SupportTicket.merged_into,
            )
            .where(SupportTicket.id == current_id)
            .first()
        )
        if row is None:
            return None
        if row["merged_into"] is None:
            return row
        current_id = row["merged_into"]
    return None


# -- who sent it ----------------------------------------------------------------------------


def _may(authz: Authorizer, user_id: int, account_id: int, obj: str, action: str) -> bool:
    return authz.allowed(AuthzRequest(f"user:{user_id}", "", f"acct:{account_id}", obj, action))


async def _account_people(account_id: int, address: str, authz: Authorizer, obj: str, action: str) -> Sender | None:
    """The account's user (allowed `action` on `obj`) or contact with this address."""
    members = await Membership.select(
        Membership.user,
        Membership.user.email.as_alias("email"),
        Membership.user.name.as_alias("name"),
        Membership.user.is_active.as_alias("active"),
    ).where(Membership.account == account_id)
    for m in members:
        if (m["email"] or "").lower() == address and m["active"] and _may(authz, m["user"], account_id, obj, action):
            return Sender(int(m["user"]), m["name"] or m["email"], m["email"])
    # Contacts are no logins, so the rules engine has no say: they count while the account is active
    # (as members of a suspended account lose their access).
    contacts = await Contact.select(Contact.name, Contact.email).where(
        (Contact.account == account_id) & (Contact.account.status == AccountStatus.ACTIVE)
    )
    for c in contacts:
        if (c["email"] or "").strip().lower() == address:
            return Sender(None, c["name"] or c["email"], c["email"])
    return None


async def _reply_sender(ticket: dict[str, Any], address: str, authz: Authorizer) -> Sender | None:
    if not address:
        return None
    if ticket["assigned_to"] is not None and (ticket["assignee_email"] or "").lower() == address:
        return Sender(int(ticket["assigned_to"]), ticket["assignee_name"] or address, address, is_staff=True)
    return await _account_people(int(ticket["account"]), address, authz, f"ticket:{ticket['id']}", "reply")


async def _opening_sender(address: str, authz: Authorizer) -> tuple[int, Sender] | None:
    """The account a new ticket by email is for, and who opens it: the sender's own account first.

    A user who belongs to several accounts opens it in the one they own (the oldest),
    else in the oldest account whose rules let them open tickets; a contact (no user)
    in the account it belongs to (the oldest, if the address is on several).
    """
    if not address:
        return None
    user_id = await user_id_by_email(address)
    rows: list[dict[str, Any]] = []
    if user_id is not None:
        rows = (
            await Membership.select(
                Membership.account,
                Membership.user,
                Membership.user.name.as_alias("name"),
                Membership.user.email.as_alias("email"),
                Membership.user.is_active.as_alias("active"),
                Membership.account.owner.as_alias("owner"),
            )
            .where(Membership.user == user_id)
            .order_by(Membership.account)
        )
    allowed = [r for r in rows if r["active"] and _may(authz, r["user"], r["account"], "ticket:*", "create")]
    allowed.sort(key=lambda r: (r["owner"] != r["user"], r["account"]))
    if allowed:
        r = allowed[0]
        return int(r["account"]), Sender(int(r["user"]), r["name"] or r["email"], r["email"])
    contact = (
        await Contact.select(Contact.account, Contact.name, Contact.email)
        .where(WhereRaw('lower("panel_contacts_contact"."email") = {}', address))
        .where(Contact.account.status == AccountStatus.ACTIVE)
        .order_by(Contact.account)
        .first()
    )
    if contact is not None:
        return int(contact["account"]), Sender(None, contact["name"] or contact["email"], contact["email"])
    return None


# -- files ----------------------------------------------------------------------------------


async def _store_files(files: Sequence[Attachment]) -> tuple[list[uploads.StoredFile], list[str]]:
    """Store what the upload rules accept; returns the stored files and a line for each one left out."""
    config = current()
    stored: list[uploads.StoredFile] = []
    dropped: list[str] = []
    for item in files:
        name = uploads.clean_filename(item.filename)
        if len(stored) >= config.max_attachments:
            most = config.max_attachments
            dropped.append(
                f"{name}: only {most} files are accepted on one message" if most else f"{name}: files are not accepted"
            )
            continue
        try:
            stored.append(
                await uploads.store(
                    UploadFile(item.content_type, item.filename, item.data),
                    area=UPLOAD_AREA,
                    max_bytes=config.max_attachment_bytes,
                )
            )
        except ValidationFailed as exc:
            dropped.append(exc.message)
    return stored, dropped


def _body(parsed: ParsedMail, dropped: Sequence[str]) -> str:
    body = parsed.body.strip() or NO_TEXT
    if dropped:
        body += "\n\n" + "\n".join(f"[Attachment not accepted: {line}]" for line in dropped)
    return body[: services.MAX_BODY]


async def _seen(message_id: str) -> bool:
    """Whether a message with this Message-ID is already on the desk (serialised per id on PostgreSQL)."""
    if not message_id:
        return False
    if not db.is_sqlite():
        # Two deliveries of one message at once: the second waits here until the first commits.
        await SupportMessage.raw("SELECT pg_advisory_xact_lock(hashtext({}))", message_id)
    return bool(await SupportMessage.exists().where(SupportMessage.email_message_id == message_id))


# -- delivering -----------------------------------------------------------------------------


async def deliver(raw: bytes, recipient: str, authz: Authorizer) -> Outcome:
    """File one received message for one recipient; returns the SMTP reply to give (never raises for bad mail)."""
    try:
        parsed = parse_mail(raw)
    except Exception:  # a message the parser cannot read at all
        log.warning("inbound mail refused: to %s: the message could not be parsed", recipient, exc_info=True)
        return Outcome("550 5.6.0 The message could not be read.")
    target = await target_of(recipient)
    if target is None:
        return _refused(f"<{recipient}> is not a ticket or department address here.", parsed, recipient)
    if parsed.auto_reply:
        log.info("inbound mail dropped: automatic reply from %s to %s", parsed.sender, recipient)
        return Outcome("250 2.0.0 Automatic reply ignored.")
    await authz.sync_if_due(time.monotonic())
    if parsed.message_id and await SupportMessage.exists().where(SupportMessage.email_message_id == parsed.message_id):
        return Outcome("250 2.0.0 Already delivered.", duplicate=True)
    try:
        if target.ticket_id is not None:
            return await _reply(parsed, target.ticket_id, recipient, authz)
        assert target.department_id is not None
        return await _open(parsed, target.department_id, recipient, authz)
    except ValidationFailed as exc:  # the desk's own rules refused it (e.g. a message far too long)
        return _refused(exc.message, parsed, recipient)


async def _reply(parsed: ParsedMail, ticket_id: int, recipient: str, authz: Authorizer) -> Outcome:
    ticket = await _live_ticket(ticket_id)
    if ticket is None:
        return _refused(f"<{recipient}>: that ticket does not exist.", parsed, recipient)
    sender = await _reply_sender(ticket, parsed.sender, authz)
    if sender is None:
        return _refused(
            f"{parsed.sender or 'The sender'} may not write to this ticket: send from the address on the account.",
            parsed,
            recipient,
        )
    stored, dropped = await _store_files(parsed.attachments)
    try:
        async with db.write_transaction():
            if await _seen(parsed.message_id):
                _remove(stored)
                return Outcome("250 2.0.0 Already delivered.", ticket_id=int(ticket["id"]), duplicate=True)
            message_id = await services.reply(
                int(ticket["id"]),
                author_id=sender.user_id,
                body=_body(parsed, dropped),
                is_staff=sender.is_staff,
                via=Via.EMAIL,
                email_message_id=parsed.message_id,
                author_name=sender.name,
                author_email=sender.email,
            )
            await services.attach_files(message_id, stored)
    except BaseException:
        _remove(stored)
        raise
    log.info("inbound mail from %s added to ticket %s as message %s", parsed.sender, ticket["id"], message_id)
    return Outcome("250 2.0.0 Added to the ticket.", ticket_id=int(ticket["id"]), message_id=message_id)


async def _open(parsed: ParsedMail, department_id: int, recipient: str, authz: Authorizer) -> Outcome:
    found = await _opening_sender(parsed.sender, authz)
    if found is None:
        return _refused(
            f"{parsed.sender or 'The sender'} is not a client here: open tickets from the address on your account.",
            parsed,
            recipient,
        )
    account_id, sender = found
    stored, dropped = await _store_files(parsed.attachments)
    try:
        async with db.write_transaction():
            if await _seen(parsed.message_id):
                _remove(stored)
                return Outcome("250 2.0.0 Already delivered.", duplicate=True)
            ticket_id = await services.open_ticket(
                account_id,
                sender.user_id,
                department_id,
                parsed.subject or NO_SUBJECT,
                _body(parsed, dropped),
                "medium",
                via=Via.EMAIL,
                author_name=sender.name,
                author_email=sender.email,
                email_message_id=parsed.message_id,
            )
            first = (
                await SupportMessage.select(SupportMessage.id)
                .where(SupportMessage.ticket == ticket_id)
                .order_by(SupportMessage.id)
                .first()
            )
            assert first is not None
            await services.attach_files(int(first["id"]), stored)
    except BaseException:
        _remove(stored)
        raise
    log.info("inbound mail from %s opened ticket %s in account %s", parsed.sender, ticket_id, account_id)
    return Outcome("250 2.0.0 Ticket opened.", ticket_id=ticket_id, message_id=int(first["id"]))


def _remove(stored: Sequence[uploads.StoredFile]) -> None:
    for item in stored:
        with contextlib.suppress(OSError):
            uploads.remove(UPLOAD_AREA, item.key)
