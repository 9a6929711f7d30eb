"""Sending what is due: one call works through the outbox once.

`deliver_due` is the whole delivery step; the background loop in `deliverer.py`
only calls it (and a job queue can call it instead). Several callers, in one
process or many, may run it at the same time: each message is claimed with an
UPDATE that only one of them can win, so none is sent twice by two deliverers.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from typing import Any

from panel.core.mail.config import MailConfig
from panel.core.mail.tables import EmailStatus, OutgoingEmail
from panel.core.mail.transport import MESSAGE_ERRORS, SmtpTransport

log = logging.getLogger("panel.mail")

STALE_AFTER = timedelta(minutes=15)
"""A message claimed longer ago than this is queued again: its deliverer died mid-send."""

ERROR_LENGTH = 500


@dataclass
class DeliveryReport:
    """What one `deliver_due` call did, by message id."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        """Messages this call tried to send."""
        return len(self.sent) + len(self.retrying) + len(self.failed)


def utc_now() -> datetime:
    """The current time in UTC (the outbox stores and compares UTC only)."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive value is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def compose(row: dict[str, Any], config: MailConfig) -> EmailMessage:
    """The MIME message of an outbox row: text, plus an HTML alternative when there is one."""
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = row["recipients"]
    if row["reply_to"]:
        message["Reply-To"] = row["reply_to"]
    message["Subject"] = row["subject"]
    message["Date"] = format_datetime(as_utc(row["created_at"]))
    message["Message-ID"] = row["message_id"]
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row["text_body"])
    if row["html_body"]:
        message.add_alternative(row["html_body"], subtype="html")
    return message


def envelope_recipients(header: str) -> list[str]:
    """The bare addresses of a To header."""
    return [addr for _, addr in getaddresses([header]) if addr]


def describe(exc: BaseException, config: MailConfig) -> str:
    """A one-line error for staff; never contains the SMTP password."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [f"{rcpt} ({code} {_text(msg)})" for rcpt, (code, msg) in exc.recipients.items()]
        text = "recipients refused: " + ", ".join(parts)
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}"
    elif isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException):
        where = config.smtp.display if config.smtp else "the SMTP server"
        text = f"cannot reach {where}: {exc.strerror or exc}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())[:ERROR_LENGTH]


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def is_permanent(exc: BaseException) -> bool:
    """A 5xx answer about this message: retrying would get the same answer."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPDataError):
        return exc.smtp_code >= 500
    return False


async def release_stale(now: datetime) -> None:
    """Queue again messages claimed by a deliverer that never finished (it died)."""
    stale = (OutgoingEmail.status == EmailStatus.SENDING) & (OutgoingEmail.claimed_at < now - STALE_AFTER)
    if await OutgoingEmail.exists().where(stale):  # a read first: an idle look takes no write lock
        await OutgoingEmail.update({OutgoingEmail.status: EmailStatus.QUEUED}).where(stale)


async def claim(email_id: int, now: datetime) -> dict[str, Any] | None:
    """Take one due message for this deliverer; None if another one took it first."""
    rows = (
        await OutgoingEmail.update(
            {
                OutgoingEmail.status: EmailStatus.SENDING,
                OutgoingEmail.attempts: OutgoingEmail.attempts + 1,
                OutgoingEmail.claimed_at: now,
            }
        )
        .where(
            (OutgoingEmail.id == email_id)
            & (OutgoingEmail.status == EmailStatus.QUEUED)
            & (OutgoingEmail.next_attempt_at <= now)
        )
        .returning(
            OutgoingEmail.id,
            OutgoingEmail.recipients,
            OutgoingEmail.reply_to,
            OutgoingEmail.subject,
            OutgoingEmail.text_body,
            OutgoingEmail.html_body,
            OutgoingEmail.message_id,
            OutgoingEmail.created_at,
            OutgoingEmail.attempts,
        )
    )
    return rows[0] if rows else None


async def _finish(email_id: int, values: dict[Any, Any]) -> None:
    await OutgoingEmail.update(values).where(
        (OutgoingEmail.id == email_id) & (OutgoingEmail.status == EmailStatus.SENDING)
    )


async def _record_failure(
    row: dict[str, Any], exc: BaseException, now: datetime, config: MailConfig, report: DeliveryReport
) -> None:
    attempts: int = row["attempts"]
    error = describe(exc, config)
    if is_permanent(exc) or attempts > len(config.retry_delays):
        await _finish(row["id"], {OutgoingEmail.status: EmailStatus.FAILED, OutgoingEmail.last_error: error})
        report.failed.append(row["id"])
        log.warning("email %s failed for good after %s attempt(s): %s", row["id"], attempts, error)
        return
    delay = timedelta(seconds=config.retry_delays[attempts - 1])
    await _finish(
        row["id"],
        {
            OutgoingEmail.status: EmailStatus.QUEUED,
            OutgoingEmail.last_error: error,
            OutgoingEmail.next_attempt_at: now + delay,
        },
    )
    report.retrying.append(row["id"])
    log.info("email %s not sent (attempt %s), retrying in %s: %s", row["id"], attempts, delay, error)


async def deliver_due(config: MailConfig, now: datetime | None = None, limit: int | None = None) -> DeliveryReport:
    """Send every message due at `now` (default: the current time), up to `limit` of them.

    Does nothing without an SMTP server configured: messages stay queued. A
    temporary failure queues the message again after the next delay of
    `config.retry_delays`; a 5xx answer about the message, or a failure after the
    last delay, marks it failed. A failure that is not about one message (the
    server is unreachable, refuses the login...) ends this call early, so the rest
    wait for the next one instead of each waiting for the same timeout.
    """
    report = DeliveryReport()
    if config.smtp is None:
        return report
    clock: Callable[[], datetime] = (lambda: as_utc(now)) if now is not None else utc_now
    start = clock()
    await release_stale(start)
    due = (
        await OutgoingEmail.select(OutgoingEmail.id)
        .where((OutgoingEmail.status == EmailStatus.QUEUED) & (OutgoingEmail.next_attempt_at <= start))
        .order_by(OutgoingEmail.next_attempt_at, OutgoingEmail.id)
        .limit(limit or config.batch_size)
    )
    transport = SmtpTransport(config.smtp, config.smtp_timeout)
    try:
        for candidate in due:
            row = await claim(candidate["id"], clock())
            if row is None:
                continue  # another deliverer has it
            try:
                message = compose(row, config)
                refused = await asyncio.to_thread(
                    transport.send, message, config.sender_address, envelope_recipients(row["recipients"])
                )
            except MESSAGE_ERRORS as exc:
                await _record_failure(row, exc, clock(), config, report)
                continue
            except (smtplib.SMTPException, OSError) as exc:
                await _record_failure(row, exc, clock(), config, report)
                break
            except Exception as exc:  # a message that cannot even be composed will never go
                log.exception("email %s cannot be sent", row["id"])
                await _finish(
                    row["id"],
                    {OutgoingEmail.status: EmailStatus.FAILED, OutgoingEmail.last_error: describe(exc, config)},
                )
                report.failed.append(row["id"])
                continue
            note = describe(smtplib.SMTPRecipientsRefused(refused), config) if refused else ""
            await _finish(
                row["id"],
                {
                    OutgoingEmail.status: EmailStatus.SENT,
                    OutgoingEmail.sent_at: clock(),
                    OutgoingEmail.last_error: note,
                },
            )
            report.sent.append(row["id"])
    finally:
        await asyncio.to_thread(transport.close)
    return report
