"""Settings of the wordpress plugin (`PANEL_WORDPRESS_*`, or `[plugins.wordpress]` in panel.toml)."""

from __future__ import annotations

from dataclasses import dataclass

from panel.settings import Setting, Settings, parse_bool, parse_int, parse_list

PLUGIN = "wordpress"

HEALTH_TESTS = (
    "https-status",
    "loopback-requests",
    "authorization-header",
    "background-updates",
    "dotorg-communication",
)


def _timeout(value: int) -> None:
    if not 1 <= value <= 300:
        raise ValueError("must be between 1 and 300 (seconds)")


def _name(value: str) -> None:
    if not 1 <= len(value) <= 60:
        raise ValueError("must have 1 to 60 characters")


def _tests(value: list[str]) -> None:
    for name in value:
        if not name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"{name!r} is not a site health test name (e.g. https-status)")


SETTINGS = (
    Setting("timeout", "Seconds to wait for a WordPress site to answer.", 20, parse=parse_int, validate=_timeout),
    Setting(
        "app_password_name",
        "Name of the application password the panel creates on a site when given an administrator login.",
        "hostpanel",
        validate=_name,
    ),
    Setting(
        "install_connector",
        "Upload the connector as a plugin when a site is connected with an administrator login and lacks it.",
        True,
        parse=parse_bool,
    ),
    Setting(
        "upgrade_connector",
        "On a refresh, replace an older connector on a site by the one this panel ships (if the site allows it).",
        True,
        parse=parse_bool,
    ),
    Setting(
        "allow_private_hosts",
        "Accept site addresses on loopback and private networks (off: the panel never calls into its own network).",
        False,
        parse=parse_bool,
    ),
    Setting(
        "health_tests",
        "Site health tests run on every refresh (names of /wp-site-health/v1/tests/<name>), comma separated.",
        list(HEALTH_TESTS),
        parse=parse_list,
        validate=_tests,
    ),
)


@dataclass(frozen=True)
class WordpressConfig:
    """The plugin's settings, typed."""

    timeout: int
    app_password_name: str
    install_connector: bool
    upgrade_connector: bool
    allow_private_hosts: bool
    health_tests: tuple[str, ...]


def config_of(settings: Settings) -> WordpressConfig:
    """The wordpress settings of a running panel (defaults when the plugin's values are absent)."""
    values = {s.name: s.default for s in SETTINGS} | settings.for_plugin(PLUGIN)
    return WordpressConfig(
        timeout=int(values["timeout"]),
        app_password_name=str(values["app_password_name"]),
        install_connector=bool(values["install_connector"]),
        upgrade_connector=bool(values["upgrade_connector"]),
        allow_private_hosts=bool(values["allow_private_hosts"]),
        health_tests=tuple(values["health_tests"]),
    )
