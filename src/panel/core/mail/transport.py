"""Talking SMTP with the standard library, one blocking call at a time (run it in a thread).

One `SmtpTransport` serves one batch: it connects on the first message, reuses the
connection for the next ones, and drops it after any error that may have broken it.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from panel.core.mail.config import SmtpTarget

# Errors about one message; the connection is still good (smtplib sent RSET).
MESSAGE_ERRORS: tuple[type[Exception], ...] = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError)


class SmtpTransport:
    """A lazily opened SMTP connection to one server."""

    def __init__(self, target: SmtpTarget, timeout: float) -> None:
        self.target = target
        self.timeout = timeout
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        t = self.target
        conn: smtplib.SMTP
        if t.scheme == "smtps":
            conn = smtplib.SMTP_SSL(t.host, t.port, timeout=self.timeout, context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(t.host, t.port, timeout=self.timeout)
        try:
            if t.scheme == "smtp+starttls":
                conn.starttls(context=ssl.create_default_context())
            if t.username:
                conn.login(t.username, t.password)
        except BaseException:
            conn.close()
            raise
        return conn

    def send(self, message: EmailMessage, sender: str, recipients: list[str]) -> dict[str, tuple[int, bytes]]:
        """Send one message; returns the recipients the server refused (when it took the others)."""
        if self._conn is None:
            self._conn = self._connect()
        try:
            return self._conn.send_message(message, from_addr=sender, to_addrs=recipients)
        except MESSAGE_ERRORS:
            raise
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Say goodbye if connected; never raises."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            conn.close()
