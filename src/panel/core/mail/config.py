"""What delivery needs to know, read once from the settings.

Core settings: `PANEL_SMTP_URL`, `PANEL_MAIL_FROM`, `PANEL_BASE_URL`. The mail
feature's own settings (`PANEL_CORE_MAIL_*`) are declared in `SETTINGS` below and
listed in `PLUGIN_META` of `panel.core.mail.plugin`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any
from urllib.parse import unquote, urlsplit

from panel.errors import SettingsError
from panel.settings import Setting, Settings, parse_bool, parse_float, parse_int, parse_list

PLUGIN_NAME = "core_mail"
SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


def parse_delays(raw: str) -> list[int]:
    """Read a comma-separated list of seconds, e.g. "60,300,1800,7200"."""
    return [int(part) for part in parse_list(raw)]


def _check_delays(value: Any) -> None:
    if not isinstance(value, list | tuple) or not all(isinstance(v, int) and v > 0 for v in value):
        raise ValueError("must be a list of whole numbers of seconds > 0, e.g. 60,300,1800,7200")


def _check_positive(value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError("must be a number > 0")


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "background",
        "Send email from a background task in each web process; off where another process sends it.",
        default=True,
        parse=parse_bool,
    ),
    Setting(
        "poll_seconds",
        "Seconds between looks at the outbox for retries and mail queued by other processes.",
        default=10.0,
        parse=parse_float,
        validate=_check_positive,
    ),
    Setting(
        "retry_delays",
        "Seconds to wait before each retry after a temporary failure; when they are used up the message fails.",
        default=[60, 300, 1800, 7200],
        parse=parse_delays,
        validate=_check_delays,
    ),
    Setting(
        "batch_size",
        "Most messages sent per look at the outbox.",
        default=50,
        parse=parse_int,
        validate=_check_positive,
    ),
    Setting(
        "smtp_timeout",
        "Seconds to wait for the SMTP server before an attempt counts as failed.",
        default=30.0,
        parse=parse_float,
        validate=_check_positive,
    ),
)


@dataclass(frozen=True)
class SmtpTarget:
    """Where to connect, parsed from `PANEL_SMTP_URL`."""

    scheme: str
    host: str
    port: int
    username: str = ""
    password: str = ""

    @property
    def display(self) -> str:
        """The address without credentials, safe to show to staff."""
        return f"{self.scheme}://{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpTarget | None:
    """`smtp://[user:password@]host[:port]`, `smtps://...`, `smtp+starttls://...`; None if empty.

    Raises `SettingsError` naming `PANEL_SMTP_URL` when the URL cannot be used.
    """
    if not url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise SettingsError(f"PANEL_SMTP_URL is invalid: {exc}") from None
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise SettingsError("PANEL_SMTP_URL is invalid: must look like smtp://host:port")
    return SmtpTarget(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port or SCHEMES[parts.scheme],
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


@dataclass(frozen=True)
class MailConfig:
    """Delivery settings: one object handed to the sending function and the loop."""

    smtp: SmtpTarget | None
    sender: str
    base_url: str = ""
    background: bool = True
    poll_seconds: float = 10.0
    retry_delays: Sequence[int] = (60, 300, 1800, 7200)
    batch_size: int = 50
    smtp_timeout: float = 30.0

    @property
    def sender_address(self) -> str:
        """The envelope sender: the address part of `PANEL_MAIL_FROM`."""
        return parseaddr(self.sender)[1] or self.sender

    @classmethod
    def from_settings(cls, settings: Settings) -> MailConfig:
        """Read core and `PANEL_CORE_MAIL_*` settings; an invalid one raises `SettingsError`."""
        own = settings.for_plugin(PLUGIN_NAME)
        sender = settings.values.get("mail_from") or "panel@localhost"
        if "@" not in parseaddr(sender)[1] or "\n" in sender or "\r" in sender:
            raise SettingsError("PANEL_MAIL_FROM is invalid: must be an address like panel@example.com")
        return cls(
            smtp=parse_smtp_url(settings.values.get("smtp_url") or ""),
            sender=sender,
            base_url=str(settings.values.get("base_url") or "").rstrip("/"),
            background=bool(own.get("background", True)),
            poll_seconds=float(own.get("poll_seconds", 10.0)),
            retry_delays=tuple(own.get("retry_delays", (60, 300, 1800, 7200))),
            batch_size=int(own.get("batch_size", 50)),
            smtp_timeout=float(own.get("smtp_timeout", 30.0)),
        )
