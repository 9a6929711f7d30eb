"""Email: the one way the panel sends it, and what the history and outbox pages show.

`send` renders a message from templates and queues it in the outbox, inside the
caller's transaction; the deliverer sends it after the transaction commits. See
docs/email.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.utils import make_msgid, parseaddr
from typing import Any

from piccolo.query.functions.aggregate import Count

from panel.core.mail.delivery import as_utc, utc_now
from panel.core.mail.mailer import Mailer
from panel.core.mail.tables import EmailStatus, OutgoingEmail
from panel.errors import NotFound, PanelError, ValidationFailed

PER_PAGE = 25
MAX_RECIPIENTS = 50
ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")

_mailer: Mailer | None = None


def install(mailer: Mailer) -> None:
    """Make `mailer` the one `send` uses in this process (done by the app's start-up)."""
    global _mailer
    _mailer = mailer


def uninstall(mailer: Mailer) -> None:
    """Forget `mailer` if it is still the installed one (done at shutdown)."""
    global _mailer
    if _mailer is mailer:
        _mailer = None


def active_mailer() -> Mailer:
    """The mailer of the running app."""
    if _mailer is None:
        raise RuntimeError("email needs a started panel app (or panel.core.mail.services.install(Mailer(...)))")
    return _mailer


# -- sending ------------------------------------------------------------------------


def _one_address(raw: str, field: str) -> str:
    """One address as a header shows it (`Name <a@b>`, quoted when needed, not encoded)."""
    if "\r" in raw or "\n" in raw:
        raise ValidationFailed({field: "An email address cannot contain a line break."})
    name, addr = parseaddr(raw.strip())
    refused = ValidationFailed({field: f"{raw.strip() or 'An empty value'} is not an email address."})
    if not ADDRESS.match(addr):
        raise refused
    try:
        return str(Address(display_name=name, addr_spec=addr))
    except (ValueError, IndexError, HeaderParseError):
        raise refused from None


def recipients_header(to: str | list[str]) -> str:
    """The To header for one address or several; `ValidationFailed` on the field `to`."""
    items = [to] if isinstance(to, str) else list(to)
    items = [i for i in items if i.strip()]
    if not items:
        raise ValidationFailed({"to": "Give an email address."})
    if len(items) > MAX_RECIPIENTS:
        raise ValidationFailed({"to": f"Send to at most {MAX_RECIPIENTS} addresses at once."})
    return ", ".join(_one_address(i, "to") for i in items)


async def send(
    template: str,
    to: str | list[str],
    context: Mapping[str, Any],
    *,
    account_id: int | None = None,
    reply_to: str = "",
) -> int:
    """Render an email and queue it; returns its id in the outbox.

    Renders `mail/<template>.subject.txt`, `mail/<template>.txt` and, if it exists,
    `mail/<template>.html` with `context` (plus `base_url`). The row joins the
    caller's transaction: if that rolls back, nothing is sent. With `account_id`
    the message appears in that account's email history.

    Raises:
        ValidationFailed: `to` or `reply_to` is not an email address.
        jinja2.TemplateNotFound: the subject or text template does not exist.
    """
    mailer = active_mailer()
    header = recipients_header(to)
    reply = _one_address(reply_to, "reply_to") if reply_to.strip() else ""
    rendered = mailer.render(template, context)
    domain = mailer.config.sender_address.rpartition("@")[2] or "localhost"
    now = utc_now()
    row = await OutgoingEmail.insert(
        OutgoingEmail(
            account=account_id,
            template=template,
            recipients=header,
            reply_to=reply,
            subject=rendered.subject,
            text_body=rendered.text,
            html_body=rendered.html,
            message_id=make_msgid(domain=domain),
            status=EmailStatus.QUEUED,
            next_attempt_at=now,
            created_at=now,
        )
    ).returning(OutgoingEmail.id)
    mailer.wake_after_commit()
    return int(row[0]["id"])


async def send_test(to: str, requested_by: str) -> int:
    """Queue the test email of the admin area (proves the SMTP settings work)."""
    return await send("test", to, {"requested_by": requested_by})


# -- the account's history -------------------------------------------------------------


@dataclass(frozen=True)
class EmailSummary:
    """A message as the history list shows it."""

    id: int
    to: str
    subject: str
    status: str
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class EmailDetail:
    """One message with its content."""

    id: int
    to: str
    reply_to: str
    subject: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    text: str
    html: str


@dataclass(frozen=True)
class PageOf:
    """One page of a list, with what the pager needs."""

    items: list[Any]
    page: int
    pages: int
    total: int


async def account_emails(account_id: int, page: int = 1, per_page: int = PER_PAGE) -> PageOf:
    """Messages of an account, newest first (two queries, whatever the page size)."""
    where = OutgoingEmail.account == account_id
    total = await OutgoingEmail.count().where(where)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    rows = (
        await OutgoingEmail.select(
            OutgoingEmail.id,
            OutgoingEmail.recipients,
            OutgoingEmail.subject,
            OutgoingEmail.status,
            OutgoingEmail.created_at,
            OutgoingEmail.sent_at,
        )
        .where(where)
        .order_by(OutgoingEmail.id, ascending=False)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    items = [
        EmailSummary(r["id"], r["recipients"], r["subject"], r["status"], r["created_at"], r["sent_at"]) for r in rows
    ]
    return PageOf(items, page, pages, total)


async def account_email(account_id: int, email_id: int) -> EmailDetail:
    """One message of an account; `NotFound` for another account's message."""
    r = (
        await OutgoingEmail.select()
        .where((OutgoingEmail.id == email_id) & (OutgoingEmail.account == account_id))
        .first()
    )
    if r is None:
        raise NotFound("No such email in this account.")
    return EmailDetail(
        r["id"],
        r["recipients"],
        r["reply_to"],
        r["subject"],
        r["status"],
        r["created_at"],
        r["sent_at"],
        r["text_body"],
        r["html_body"],
    )


# -- the outbox (staff) -----------------------------------------------------------------


@dataclass(frozen=True)
class OutboxRow:
    """A message as the staff outbox shows it (no content: it may hold one-time links)."""

    id: int
    account_id: int | None
    account_name: str
    to: str
    subject: str
    template: str
    status: str
    attempts: int
    last_error: str
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None


_OUTBOX_COLUMNS = (
    OutgoingEmail.id,
    OutgoingEmail.account,
    OutgoingEmail.account.name,
    OutgoingEmail.recipients,
    OutgoingEmail.subject,
    OutgoingEmail.template,
    OutgoingEmail.status,
    OutgoingEmail.attempts,
    OutgoingEmail.last_error,
    OutgoingEmail.next_attempt_at,
    OutgoingEmail.created_at,
    OutgoingEmail.sent_at,
)


def _outbox_row(r: dict[str, Any]) -> OutboxRow:
    return OutboxRow(
        r["id"],
        r["account"],
        r["account.name"] or "",
        r["recipients"],
        r["subject"],
        r["template"],
        r["status"],
        r["attempts"],
        r["last_error"],
        r["next_attempt_at"],
        r["created_at"],
        r["sent_at"],
    )


def check_status(status: str) -> str:
    """A status filter value, '' for all; `ValidationFailed` for anything else."""
    if status and status not in EmailStatus.ALL:
        raise ValidationFailed({"status": f"Choose one of: {', '.join(EmailStatus.ALL)}."})
    return status


async def outbox(status: str = "", page: int = 1, per_page: int = PER_PAGE) -> PageOf:
    """Every message, newest first, optionally of one status (two queries, one join)."""
    check_status(status)
    count = OutgoingEmail.count()
    query = OutgoingEmail.select(*_OUTBOX_COLUMNS)
    if status:
        count = count.where(OutgoingEmail.status == status)
        query = query.where(OutgoingEmail.status == status)
    total = await count
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    rows = await query.order_by(OutgoingEmail.id, ascending=False).limit(per_page).offset((page - 1) * per_page)
    return PageOf([_outbox_row(r) for r in rows], page, pages, total)


async def status_counts() -> dict[str, int]:
    """How many messages are in each status (one query)."""
    counts = dict.fromkeys(EmailStatus.ALL, 0)
    for r in await OutgoingEmail.select(OutgoingEmail.status, Count(alias="n")).group_by(OutgoingEmail.status):
        counts[r["status"]] = r["n"]
    return counts


async def retry(email_id: int, now: datetime | None = None) -> OutboxRow:
    """Queue a failed message again, from a fresh set of attempts; wakes the deliverer.

    Raises:
        NotFound: no such message.
        PanelError: the message has not failed (it is queued, being sent, or sent).
    """
    when = as_utc(now) if now is not None else utc_now()
    changed = (
        await OutgoingEmail.update(
            {OutgoingEmail.status: EmailStatus.QUEUED, OutgoingEmail.attempts: 0, OutgoingEmail.next_attempt_at: when}
        )
        .where((OutgoingEmail.id == email_id) & (OutgoingEmail.status == EmailStatus.FAILED))
        .returning(OutgoingEmail.id)
    )
    row = await OutgoingEmail.select(*_OUTBOX_COLUMNS).where(OutgoingEmail.id == email_id).first()
    if row is None:
        raise NotFound("No such email.")
    if not changed:
        raise PanelError(f"Only a failed email can be retried; this one is {row['status']}.")
    if _mailer is not None:
        _mailer.wake_after_commit()
    return _outbox_row(row)
