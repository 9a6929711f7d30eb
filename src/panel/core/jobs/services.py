"""The job queue as the rest of the panel uses it: the configured backend and its settings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from panel.core.jobs.embedded import EmbeddedQueue
from panel.core.jobs.queue import DEFAULT_MAX_ATTEMPTS
from panel.core.jobs.scheduler import parse_schedule, validate_schedule
from panel.settings import Setting, Settings, parse_bool, parse_float

PLUGIN = "core_jobs"


def _positive(value: float) -> None:
    if value <= 0:
        raise ValueError("must be more than 0")


SETTINGS = (
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
        "Seconds a claim lasts without a heartbeat; then another worker takes the job over.",
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
)


def queue_for(settings: Settings) -> EmbeddedQueue:
    """The job queue configured by `settings` (the embedded backend)."""
    conf = settings.for_plugin(PLUGIN)
    return EmbeddedQueue(lease_seconds=conf.get("lease_seconds", 60.0), retry_delay=conf.get("retry_delay", 10.0))


def schedule_of(settings: Settings) -> dict[str, str]:
    """Scheduled tasks, job name -> cron expression."""
    return dict(settings.for_plugin(PLUGIN).get("schedule") or {})


async def enqueue(
    settings: Settings,
    name: str,
    payload: Mapping[str, Any] | None = None,
    key: str | None = None,
    run_at: datetime | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> int:
    """Queue a job on the configured backend; the same `key` twice answers the first job's id."""
    return await queue_for(settings).enqueue(name, payload, key=key, run_at=run_at, max_attempts=max_attempts)
