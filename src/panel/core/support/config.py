"""Settings of the support desk (`PANEL_CORE_SUPPORT_*`, or `[plugins.core_support]` in panel.toml)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from panel.settings import Setting, Settings, parse_int

PLUGIN = "core_support"
UPLOAD_AREA = "support"

_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_HOST_PORT = re.compile(r"^[A-Za-z0-9.:\[\]-]+:\d{1,5}$")


def _domain(value: str) -> None:
    if value and not _DOMAIN.match(value):
        raise ValueError("must be a domain name, e.g. support.example.com")


def _size_mb(value: int) -> None:
    if not 1 <= value <= 100:
        raise ValueError("must be between 1 and 100 (MB)")


def _count(value: int) -> None:
    if not 0 <= value <= 20:
        raise ValueError("must be between 0 and 20")


def _hours(value: int) -> None:
    if not 1 <= value <= 720:
        raise ValueError("must be between 1 and 720 (hours)")


def _host_port(value: str) -> None:
    if value and not _HOST_PORT.match(value):
        raise ValueError("must be host:port, e.g. 127.0.0.1:2525 (empty: off)")


SETTINGS = (
    Setting(
        "reply_domain",
        "Domain of the per-ticket reply addresses (support+t<id>-<code>@<domain>); default: the mail sender's domain.",
        "",
        validate=_domain,
    ),
    Setting(
        "max_attachment_mb",
        "Largest attachment accepted on a ticket message, in MB.",
        10,
        parse=parse_int,
        validate=_size_mb,
    ),
    Setting(
        "max_attachments",
        "Most attachments on one ticket message (0: attachments are off).",
        5,
        parse=parse_int,
        validate=_count,
    ),
    Setting(
        "sla_first_reply_hours",
        "Target time to the first staff reply, in hours: the staff queue highlights tickets past it.",
        4,
        parse=parse_int,
        validate=_hours,
    ),
    Setting(
        "inbound_smtp",
        "host:port the inbound mail receiver listens on for replies by email; empty: off.",
        "",
        validate=_host_port,
    ),
)


@dataclass(frozen=True)
class SupportConfig:
    """The settings above, typed; `reply_domain` already falls back to the sender's domain."""

    reply_domain: str = "localhost"
    max_attachment_mb: int = 10
    max_attachments: int = 5
    inbound_smtp: str = ""

    @property
    def max_attachment_bytes(self) -> int:
        """The attachment size limit in bytes."""
        return self.max_attachment_mb * 1024 * 1024


def _sender_domain(settings: Settings) -> str:
    sender = str(settings.values.get("mail_from") or "")
    addr = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    return addr.rpartition("@")[2].strip() or "localhost"


def config_of(settings: Settings | None) -> SupportConfig:
    """The support settings (the defaults when `settings` is None)."""
    if settings is None:
        return SupportConfig()
    values = settings.for_plugin(PLUGIN)
    return SupportConfig(
        reply_domain=str(values.get("reply_domain") or "") or _sender_domain(settings),
        max_attachment_mb=int(values.get("max_attachment_mb", 10)),
        max_attachments=int(values.get("max_attachments", 5)),
        inbound_smtp=str(values.get("inbound_smtp") or ""),
    )


def current() -> SupportConfig:
    """The running panel's support settings."""
    from panel.core import runtime

    return config_of(runtime.current().settings)
