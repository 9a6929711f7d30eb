"""The outbox: every email the panel sends, queued, sent or failed.

One row is one message, rendered when it was queued (so a later template change
does not rewrite history). The same rows are the account's email history.
"""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from panel.core.accounts.tables import Account


class EmailStatus:
    """Values of `OutgoingEmail.status`."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"

    ALL = (QUEUED, SENDING, SENT, FAILED)


class OutgoingEmail(Table, tablename="panel_mail_outbox"):
    """A message in the outbox.

    `status` moves queued -> sending (claimed by one deliverer) -> sent, or back to
    queued with a later `next_attempt_at` after a temporary failure, or to failed.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    # Kept (unlinked) if the account is deleted: a message in flight is never lost.
    account = ForeignKey(references=Account, on_delete=OnDelete.set_null, null=True, index=True)
    template = Varchar(length=200, default="")
    recipients = Text(default="")  # the To header, as sent
    reply_to = Varchar(length=254, default="")
    subject = Text(default="")
    text_body = Text(default="")
    html_body = Text(default="")
    message_id = Varchar(length=255, default="")  # the Message-ID header, the same on every attempt
    status = Varchar(length=10, default=EmailStatus.QUEUED, index=True)
    attempts = Integer(default=0)
    last_error = Text(default="")
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    claimed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
