"""Settings of the update digests (`PANEL_WORDPRESS_PROVIDER_DIGEST_*`), part of the plugin's settings."""

from __future__ import annotations

from dataclasses import dataclass

from panel.settings import Setting, Settings, parse_list

from panel_wordpress.config import PLUGIN
from panel_wordpress.digest_tables import DigestSchedule


def _addresses(value: list[str]) -> None:
    from panel.core.mail.services import recipients_header
    from panel.errors import ValidationFailed

    if not value:
        return
    try:
        recipients_header(value)
    except ValidationFailed as exc:
        raise ValueError(next(iter(exc.errors.values()))) from None


def _schedule(value: str) -> None:
    if value not in DigestSchedule.ALL:
        raise ValueError("must be daily, weekly or off")


DIGEST_SETTINGS = (
    Setting(
        "provider_digest_to",
        "Staff addresses that get the provider's digest of every client's pending WordPress updates, comma "
        "separated; empty: no provider digest.",
        [],
        parse=parse_list,
        validate=_addresses,
    ),
    Setting(
        "provider_digest_schedule",
        "How often the provider's digest goes out: daily, weekly or off.",
        DigestSchedule.DEFAULT,
        validate=_schedule,
    ),
)


@dataclass(frozen=True)
class DigestConfig:
    """The digest settings, typed."""

    provider_to: tuple[str, ...]
    provider_schedule: str


def digest_config_of(settings: Settings) -> DigestConfig:
    """The digest settings of a running panel (defaults when absent)."""
    values = {s.name: s.default for s in DIGEST_SETTINGS} | settings.for_plugin(PLUGIN)
    return DigestConfig(
        provider_to=tuple(values["provider_digest_to"]),
        provider_schedule=str(values["provider_digest_schedule"]),
    )
