"""Settings: environment variables over `panel.toml` over defaults.

Core and plugins declare their settings the same way, with `Setting`. A value comes
from the environment (`PANEL_<NAME>` for core, `PANEL_<PLUGIN>_<NAME>` for a
plugin), else from `panel.toml` (`[panel]` for core, `[plugins.<plugin>]` for a
plugin), else from the default. A missing or invalid value raises `SettingsError`
whose message is one line naming the variable, so start-up can stop with it.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from panel.errors import SettingsError

Parser = Callable[[str], Any]


def parse_bool(raw: str) -> bool:
    """Read the usual spellings of yes and no."""
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true or false")


def parse_int(raw: str) -> int:
    """Read a whole number."""
    return int(raw.strip())


def parse_float(raw: str) -> float:
    """Read a finite number, e.g. 0.5."""
    value = float(raw.strip())
    if not math.isfinite(value):
        raise ValueError("expected a finite number")
    return value


def parse_list(raw: str) -> list[str]:
    """Read a comma-separated list, dropping blanks."""
    return [part.strip() for part in raw.split(",") if part.strip()]


@dataclass(frozen=True)
class Setting:
    """One declared setting.

    `parse` turns the raw text (from the environment or TOML) into a value and raises
    `ValueError` with a short reason when it cannot; `validate` checks the parsed
    value the same way. `required` settings have no default.
    """

    name: str
    help: str
    default: Any = None
    required: bool = False
    parse: Parser = str
    validate: Callable[[Any], None] | None = None
    secret: bool = False


def _check_database_url(url: str) -> None:
    if not url:
        return
    scheme = urlsplit(url).scheme
    if scheme not in {"sqlite", "postgres", "postgresql"}:
        raise ValueError("must start with sqlite:/// or postgresql://")


def _check_smtp_url(url: str) -> None:
    if url and urlsplit(url).scheme not in {"smtp", "smtps", "smtp+starttls"}:
        raise ValueError("must look like smtp://host:port")


def _check_secret(value: str) -> None:
    if len(value) < 32:
        raise ValueError("must be at least 32 characters")


def _check_not_negative(value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValueError("must be a number >= 0")


def _check_port(value: int) -> None:
    if not 0 < value < 65536:
        raise ValueError("must be between 1 and 65535")


CORE_SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", "Folder for the SQLite database, secret key and uploads.", default="data"),
    Setting(
        "database_url",
        "sqlite:///path or postgresql://user:pass@host:port/db; default: SQLite in data_dir.",
        default="",
        validate=_check_database_url,
    ),
    Setting(
        "secret_key",
        "Signs tokens and cookies. Falls back to <data_dir>/secret.key if that file exists.",
        default="",
        secret=True,
    ),
    Setting(
        "plugins",
        "Comma-separated plugin names to enable, or 'all' for every installed plugin.",
        default=["all"],
        parse=parse_list,
    ),
    Setting(
        "database_pool",
        "Keep a PostgreSQL connection pool (off only for tools that use several event loops).",
        default=True,
        parse=parse_bool,
    ),
    Setting("smtp_url", "Where email goes, e.g. smtp://127.0.0.1:1025.", default="", validate=_check_smtp_url),
    Setting("mail_from", "Sender address of the panel's email.", default="panel@localhost"),
    Setting("base_url", "Public address of the panel, for links in email.", default="http://127.0.0.1:8000"),
    Setting("host", "Address `panel serve` binds to.", default="127.0.0.1"),
    Setting("port", "Port `panel serve` listens on.", default=8000, parse=parse_int, validate=_check_port),
    Setting("debug", "Show tracebacks in error pages.", default=False, parse=parse_bool),
    Setting("secure_cookies", "Send cookies only over HTTPS (turn on in production).", default=False, parse=parse_bool),
    Setting("session_days", "Days a login lasts without activity.", default=14, parse=parse_int),
    Setting("login_limit_address", "Failed logins allowed per address per 15 minutes.", default=30, parse=parse_int),
    Setting("login_limit_account", "Failed logins allowed per email per 15 minutes.", default=5, parse=parse_int),
    Setting("trusted_proxies", "Peer addresses whose X-Forwarded-For is believed.", default=[], parse=parse_list),
    Setting("policies_dir", "Folder with model.conf and policy.csv; default: the shipped policies.", default=""),
    Setting("hook_trace", "Log every plugin hook call.", default=False, parse=parse_bool),
    Setting(
        "authz_sync_seconds",
        "Most seconds before grant changes made by other processes (workers, the CLI) apply; 0: every request.",
        default=1.0,
        parse=parse_float,
        validate=_check_not_negative,
    ),
)


@dataclass
class Settings:
    """Resolved settings: core values as attributes, plugin values by plugin name."""

    values: dict[str, Any]
    plugin_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: Path | None = None

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def data_path(self) -> Path:
        """The data folder as an absolute path."""
        return Path(self.values["data_dir"]).expanduser().resolve()

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data folder."""
        url: str = self.values["database_url"]
        return url or f"sqlite:///{self.data_path / 'panel.sqlite3'}"

    def for_plugin(self, plugin: str) -> dict[str, Any]:
        """The validated settings of one plugin."""
        return self.plugin_values.get(plugin, {})

    def with_overrides(self, **values: Any) -> Settings:
        """A copy with some core values replaced (tests and CLI options)."""
        return Settings({**self.values, **values}, dict(self.plugin_values), self.source)


def env_name(setting: str, plugin: str | None = None) -> str:
    """The environment variable that sets a setting."""
    prefix = f"PANEL_{plugin.upper()}_" if plugin else "PANEL_"
    return prefix + setting.upper()


def _resolve(
    specs: Sequence[Setting],
    environ: Mapping[str, str],
    table: Mapping[str, Any],
    plugin: str | None,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in specs:
        var = env_name(spec.name, plugin)
        where = var
        try:
            if var in environ:
                value = spec.parse(environ[var])
            elif spec.name in table:
                raw = table[spec.name]
                where = f"{var} (panel.toml {'plugins.' + plugin if plugin else 'panel'}.{spec.name})"
                value = spec.parse(raw) if isinstance(raw, str) else raw
            elif spec.required:
                raise SettingsError(f"{var} is not set: {spec.help}")
            else:
                value = spec.default
            if spec.validate is not None:
                spec.validate(value)
        except (ValueError, TypeError) as exc:
            raise SettingsError(f"{where} is invalid: {exc}") from None
        out[spec.name] = value
    return out


def _read_toml(path: Path | None) -> dict[str, Any]:
    if path is None or not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path} is not valid TOML: {exc}") from None


def find_config(environ: Mapping[str, str]) -> Path | None:
    """The `panel.toml` in use: `PANEL_CONFIG`, else one in the working folder."""
    if "PANEL_CONFIG" in environ:
        path = Path(environ["PANEL_CONFIG"])
        if not path.exists():
            raise SettingsError(f"PANEL_CONFIG points to {path}, which does not exist")
        return path
    local = Path("panel.toml")
    return local if local.exists() else None


def load_settings(environ: Mapping[str, str] | None = None, config: Path | None = None) -> Settings:
    """Read core settings; plugin settings are added by `resolve_plugin_settings`."""
    env = os.environ if environ is None else environ
    path = config or find_config(env)
    doc = _read_toml(path)
    values = _resolve(CORE_SETTINGS, env, doc.get("panel", {}), None)
    settings = Settings(values, {}, path)
    settings.values["_environ"] = dict(env)
    settings.values["_toml"] = doc
    return settings


def resolve_plugin_settings(settings: Settings, plugin: str, specs: Sequence[Setting]) -> dict[str, Any]:
    """Validate one plugin's declared settings and store them on `settings`."""
    env: Mapping[str, str] = settings.values.get("_environ", os.environ)
    table = settings.values.get("_toml", {}).get("plugins", {}).get(plugin, {})
    values = _resolve(specs, env, table, plugin)
    settings.plugin_values[plugin] = values
    return values


def require_secret_key(settings: Settings) -> str:
    """The secret key, from the setting or the data folder's key file."""
    key: str = settings.values.get("secret_key") or ""
    if not key:
        key_file = settings.data_path / "secret.key"
        if key_file.exists():
            key = key_file.read_text().strip()
    if not key:
        raise SettingsError(
            "PANEL_SECRET_KEY is not set: set it (32+ characters) or run `panel init` to create data/secret.key"
        )
    try:
        _check_secret(key)
    except ValueError as exc:
        raise SettingsError(f"PANEL_SECRET_KEY is invalid: {exc}") from None
    return key
