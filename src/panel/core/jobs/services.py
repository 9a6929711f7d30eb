"""The job queue as the rest of the panel uses it: the configured backend, its worker and settings."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from panel.core.jobs.embedded import EmbeddedQueue
from panel.core.jobs.queue import DEFAULT_MAX_ATTEMPTS, JobHandler, JobQueue
from panel.core.jobs.scheduler import OFF, parse_schedule, tick, validate_schedule
from panel.core.jobs.worker import JobWorker, Worker
from panel.errors import SettingsError
from panel.settings import Setting, Settings, parse_bool, parse_float, parse_int, resolve_plugin_settings

PLUGIN = "core_jobs"
BACKENDS = ("embedded", "saq")
POSTGRES = ("postgres", "postgresql")


def _positive(value: float) -> None:
    if value <= 0:
        raise ValueError("must be more than 0")


def _backend(value: str) -> None:
    if value not in BACKENDS:
        raise ValueError(f"must be one of {', '.join(BACKENDS)}")


def _postgres_url(value: str) -> None:
    if value and urlsplit(value).scheme not in POSTGRES:
        raise ValueError("must be a postgresql:// URL")


SETTINGS = (
    Setting(
        "backend",
        "Where jobs are kept: embedded (the panel's database) or saq (SAQ on PostgreSQL, for several machines).",
        "embedded",
        validate=_backend,
    ),
    Setting(
        "saq_url",
        "The SAQ backend's PostgreSQL URL (default: the panel's database, when that is PostgreSQL).",
        "",
        validate=_postgres_url,
        secret=True,
    ),
    Setting(
        "worker", "Run a job worker inside the web app (turn off when `panel worker` runs).", True, parse=parse_bool
    ),
    Setting(
        "schedule",
        "Scheduled tasks: job name = cron expression (env: 'name=CRON;name2=CRON'; panel.toml: a table).",
        {},
        parse=parse_schedule,
        validate=validate_schedule,
    ),
    Setting("poll_interval", "Seconds a worker waits when no job is due.", 1.0, parse=parse_float, validate=_positive),
    Setting(
        "lease_seconds",
        "Seconds a running job may go without a heartbeat; then another worker takes the job over.",
        60.0,
        parse=parse_float,
        validate=_positive,
    ),
    Setting(
        "retry_delay",
        "Seconds before the first retry; each later one waits twice as long.",
        10.0,
        parse=parse_float,
        validate=_positive,
    ),
    Setting(
        "concurrency",
        "SAQ backend: how many jobs one worker runs at once (the embedded worker runs one).",
        10,
        parse=parse_int,
        validate=_positive,
    ),
)


def conf_of(settings: Settings) -> dict[str, Any]:
    """The job queue's settings (read from `settings`' environment and panel.toml if no plugin manager did yet)."""
    return settings.for_plugin(PLUGIN) or resolve_plugin_settings(settings, PLUGIN, SETTINGS)


def backend_of(settings: Settings) -> str:
    """The configured backend: "embedded" or "saq"."""
    return str(conf_of(settings)["backend"])


def saq_url(settings: Settings) -> str:
    """The SAQ backend's PostgreSQL URL; `SettingsError` when there is none."""
    url = str(conf_of(settings)["saq_url"])
    if url:
        return url
    own = settings.resolved_database_url
    if urlsplit(own).scheme in POSTGRES:
        return own
    raise SettingsError(
        "PANEL_CORE_JOBS_BACKEND=saq needs PostgreSQL: set PANEL_CORE_JOBS_SAQ_URL to a postgresql:// URL "
        "(the panel's own database is SQLite)"
    )


def check_backend(settings: Settings) -> None:
    """Fail at start-up, with a clear message, when the configured backend cannot work."""
    if backend_of(settings) == "saq":
        saq_url(settings)


def _embedded(settings: Settings) -> EmbeddedQueue:
    conf = conf_of(settings)
    return EmbeddedQueue(lease_seconds=conf["lease_seconds"], retry_delay=conf["retry_delay"])


def _saq(settings: Settings) -> Any:
    from panel.core.jobs.saq_backend import SaqQueue

    conf = conf_of(settings)
    return SaqQueue(saq_url(settings), lease_seconds=conf["lease_seconds"], retry_delay=conf["retry_delay"])


def queue_for(settings: Settings) -> JobQueue:
    """The job queue configured by `settings` (cheap: SAQ connects on first use, once per event loop)."""
    queue: JobQueue = _saq(settings) if backend_of(settings) == "saq" else _embedded(settings)
    return queue


def make_worker(
    settings: Settings, handlers: Mapping[str, JobHandler], schedule: Mapping[str, str] | None = None, name: str = ""
) -> JobWorker:
    """A worker for the configured backend: the in-app one, `panel worker`, and tests use it."""
    conf = conf_of(settings)
    poll = conf["poll_interval"]
    if backend_of(settings) == "saq":
        from panel.core.jobs.saq_worker import SaqWorker

        return SaqWorker(
            _saq(settings), handlers, schedule, poll_interval=poll, concurrency=conf["concurrency"], name=name
        )
    return Worker(_embedded(settings), handlers, schedule, poll_interval=poll, name=name)


async def run_due(
    settings: Settings, handlers: Mapping[str, JobHandler], schedule: Mapping[str, str] | None = None, name: str = ""
) -> int:
    """Tick the schedule once, then run every due job to completion; the number run (`panel worker --once`)."""
    if schedule:
        await tick(queue_for(settings), schedule)
    return await make_worker(settings, handlers, name=name).run_until_idle()


async def close_connections() -> None:
    """Close the SAQ backend's connections opened in this event loop (nothing to do for the embedded one)."""
    if "panel.core.jobs.saq_backend" in sys.modules:
        from panel.core.jobs.saq_backend import close_stores

        await close_stores()


def schedule_of(settings: Settings, handlers: Mapping[str, JobHandler] | None = None) -> dict[str, str]:
    """Scheduled tasks, job name -> cron expression.

    The handlers' own schedules (`JobHandler.schedule`) are the defaults; the
    `schedule` setting changes them, adds others, or turns one off with "off".
    """
    merged = {name: h.schedule for name, h in (handlers or {}).items() if h.schedule}
    merged.update(dict(conf_of(settings)["schedule"] or {}))
    return {name: cron for name, cron in merged.items() if cron.strip().lower() != OFF}


async def enqueue(
    settings: Settings,
    name: str,
    payload: Mapping[str, Any] | None = None,
    key: str | None = None,
    run_at: datetime | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> int:
    """Queue a job on the configured backend; the same `key` twice answers the first job's id.

    Call it after your transaction committed. The SAQ backend commits the job at once,
    on its own connection: queued inside a transaction that then rolls back, the job
    would still run (the embedded backend would join the transaction instead; do not
    rely on that). A crash between your commit and this call loses the job, so pass a
    `key` and let a sweep or the next request enqueue it again.
    """
    return await queue_for(settings).enqueue(name, payload, key=key, run_at=run_at, max_attempts=max_attempts)
