"""What the support desk remembers: departments and their staff, tickets, messages, attachments, canned replies.

A ticket belongs to one account and one department; its messages are the thread
(client and staff replies, and staff's internal notes, which clients never see). The
status machine is described in `panel.core.support.services`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from piccolo.columns import BigInt, Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from panel.core.accounts.tables import Account
from panel.core.auth.tables import User
from panel.core.services.tables import Service


class TicketStatus:
    """Values of `SupportTicket.status`."""

    OPEN = "open"  # new, nobody from staff has answered yet
    ANSWERED = "answered"  # staff replied last: waiting for the client
    CUSTOMER_REPLY = "customer_reply"  # the client replied last: waiting for staff
    ON_HOLD = "on_hold"  # staff parked it (waiting on a third party)
    IN_PROGRESS = "in_progress"  # staff are working on it
    CLOSED = "closed"

    ALL = (OPEN, ANSWERED, CUSTOMER_REPLY, ON_HOLD, IN_PROGRESS, CLOSED)
    ACTIVE = (OPEN, ANSWERED, CUSTOMER_REPLY, ON_HOLD, IN_PROGRESS)  # everything not closed
    AWAITING_STAFF = (OPEN, CUSTOMER_REPLY, IN_PROGRESS)  # the desk's "needs a reply" queue
    LABELS: ClassVar[dict[str, str]] = {
        OPEN: "Open",
        ANSWERED: "Answered",
        CUSTOMER_REPLY: "Customer reply",
        ON_HOLD: "On hold",
        IN_PROGRESS: "In progress",
        CLOSED: "Closed",
    }


class TicketPriority:
    """Values of `SupportTicket.priority`, lowest first."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"

    ALL = (LOW, MEDIUM, HIGH, URGENT)
    LABELS: ClassVar[dict[str, str]] = {LOW: "Low", MEDIUM: "Medium", HIGH: "High", URGENT: "Urgent"}


class ReplyBy:
    """Values of `SupportTicket.last_reply_by`."""

    CLIENT = "client"
    STAFF = "staff"


class Via:
    """Values of `SupportMessage.via`: how a message reached the desk."""

    WEB = "web"
    EMAIL = "email"
    API = "api"

    ALL = (WEB, EMAIL, API)


class SupportDepartment(Table, tablename="panel_support_department"):
    """A queue tickets are filed under (Technical support, Billing, ...); clients pick among active ones."""

    id: Serial  # added by Piccolo; declared for type checkers

    name = Varchar(length=100)
    description = Text(default="")
    email = Varchar(length=254, default="")  # the department's own address (piping, notifications' sender name)
    is_active = Boolean(default=True, index=True)
    sort_order = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class SupportDepartmentStaff(Table, tablename="panel_support_department_staff"):
    """A staff user assigned to a department: notified of its unassigned tickets. Unique per pair."""

    id: Serial  # added by Piccolo; declared for type checkers

    department = ForeignKey(references=SupportDepartment, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class SupportTicket(Table, tablename="panel_support_ticket"):
    """One conversation between an account and the desk.

    `number` is the public reference (`TKT-` and 7 random characters), unique.
    `last_reply_at`/`last_reply_by` follow client and staff replies, not internal notes;
    `first_staff_reply_at` is set by the first staff reply and never moves (time to
    first reply). `merged_into` points at the ticket this one was merged into.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    department = ForeignKey(references=SupportDepartment, on_delete=OnDelete.restrict, index=True)
    number = Varchar(length=20, unique=True, index=True)
    subject = Varchar(length=200)
    status = Varchar(length=20, default=TicketStatus.OPEN, index=True)
    priority = Varchar(length=10, default=TicketPriority.MEDIUM)
    opened_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    assigned_to = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    service = ForeignKey(references=Service, on_delete=OnDelete.set_null, null=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    last_reply_at = Timestamptz(default=TimestamptzNow())
    last_reply_by = Varchar(length=10, default=ReplyBy.CLIENT)
    first_staff_reply_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    merged_into: ForeignKey[Any] = ForeignKey(references="self", on_delete=OnDelete.set_null, null=True)


class SupportMessage(Table, tablename="panel_support_message"):
    """One message of a ticket's thread. `body` is plain text as typed; pages escape it.

    `author` is None for mail from an unknown sender (piping) or a deleted user;
    `author_name`/`author_email` keep who wrote it either way. `is_internal` messages
    are staff notes: never shown to, nor mailed to, the client.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    ticket = ForeignKey(references=SupportTicket, on_delete=OnDelete.cascade, index=True)
    author = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    author_name = Varchar(length=200, default="")
    author_email = Varchar(length=254, default="")
    is_staff = Boolean(default=False)
    is_internal = Boolean(default=False)
    body = Text(default="")
    via = Varchar(length=10, default=Via.WEB)
    email_message_id = Varchar(length=255, default="", index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class SupportAttachment(Table, tablename="panel_support_attachment"):
    """A file attached to a message, kept in the upload store's `support` area under `key`."""

    id: Serial  # added by Piccolo; declared for type checkers

    message = ForeignKey(references=SupportMessage, on_delete=OnDelete.cascade, index=True)
    key = Varchar(length=64, unique=True)
    filename = Varchar(length=200)
    content_type = Varchar(length=100)
    size = BigInt(default=0)
    sha256 = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class SupportCannedResponse(Table, tablename="panel_support_canned"):
    """A reply staff can insert; `department` None means it is offered in every department."""

    id: Serial  # added by Piccolo; declared for type checkers

    title = Varchar(length=200)
    body = Text(default="")
    department = ForeignKey(references=SupportDepartment, on_delete=OnDelete.cascade, null=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
