"""Fixtures of the job queue tests: apps without the in-process worker, and a small fast queue."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import make_settings

from panel.core.jobs.embedded import EmbeddedQueue
from panel.settings import Settings

LEASE = 0.5
RETRY_DELAY = 0.2


@pytest.fixture
def settings(migrated: str, tmp_path: Path) -> Settings:
    """Settings with the in-process worker off, so each test decides what runs when."""
    return make_settings(
        migrated,
        tmp_path,
        PANEL_CORE_JOBS_WORKER="false",
        PANEL_CORE_JOBS_LEASE_SECONDS=str(LEASE),
        PANEL_CORE_JOBS_RETRY_DELAY=str(RETRY_DELAY),
    )


@pytest.fixture
def queue(app: object) -> EmbeddedQueue:
    """The embedded queue on the emptied test database (short lease and back-off)."""
    return EmbeddedQueue(lease_seconds=LEASE, retry_delay=RETRY_DELAY)
