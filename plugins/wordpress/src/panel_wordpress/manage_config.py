"""Settings of bulk changes (updates, installs, users), part of the wordpress plugin's settings.

Declared here and added to `PLUGIN_META.settings`, so `PANEL_WORDPRESS_UPDATE_CONCURRENCY`
and the others are validated at start-up like every plugin setting.
"""

from __future__ import annotations

from dataclasses import dataclass

from panel.settings import Setting, Settings, parse_int

PLUGIN = "wordpress"


def _concurrency(value: int) -> None:
    if not 1 <= value <= 64:
        raise ValueError("must be between 1 and 64 (sites at once)")


def _update_timeout(value: int) -> None:
    if not 10 <= value <= 3600:
        raise ValueError("must be between 10 and 3600 (seconds)")


def _zip_mb(value: int) -> None:
    if not 1 <= value <= 512:
        raise ValueError("must be between 1 and 512 (MB)")


MANAGE_SETTINGS = (
    Setting(
        "update_concurrency",
        "How many sites a bulk update, install or user change works on at once (each site one item at a time).",
        4,
        parse=parse_int,
        validate=_concurrency,
    ),
    Setting(
        "update_timeout",
        "Seconds one update or install may take on a site (download, install, the site check, a rollback).",
        300,
        parse=parse_int,
        validate=_update_timeout,
    ),
    Setting(
        "max_zip_mb", "Largest plugin or theme zip an account may upload, in MB.", 20, parse=parse_int, validate=_zip_mb
    ),
)


@dataclass(frozen=True)
class ManageConfig:
    """The bulk-change settings, typed."""

    concurrency: int
    update_timeout: int
    max_zip_bytes: int


def manage_config(settings: Settings) -> ManageConfig:
    """The bulk-change settings of a running panel (defaults when absent)."""
    values = {s.name: s.default for s in MANAGE_SETTINGS} | settings.for_plugin(PLUGIN)
    return ManageConfig(
        concurrency=int(values["update_concurrency"]),
        update_timeout=int(values["update_timeout"]),
        max_zip_bytes=int(values["max_zip_mb"]) * 1024 * 1024,
    )
