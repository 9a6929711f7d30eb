"""Run tests on either job-queue backend (import as `jobs_support`).

    @pytest.fixture(params=jobs_support.BACKENDS)
    def settings(migrated, tmp_path, request):
        return make_settings(migrated, tmp_path, PANEL_CORE_JOBS_WORKER="false", **backend_env(request.param))

    ran = await drain(settings, handlers)   # what `panel worker --once` does

The SAQ backend keeps its jobs in PostgreSQL at `PANEL_TEST_PG_URL` (a database of its
own per test process, dropped at the end) in both test runs: with
PANEL_TEST_DATABASE=sqlite the panel's tables are in SQLite and SAQ's in PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from support import _create_pg_database, _worker, need_service

from panel.core.jobs.queue import JobHandler
from panel.settings import Settings

BACKENDS = ("embedded", "saq")

_saq_url = ""


def saq_test_url() -> str:
    """This test process's SAQ database (created on first use); needs PANEL_TEST_PG_URL."""
    global _saq_url
    if not _saq_url:
        base = os.environ.get("PANEL_TEST_PG_URL")
        if not base:
            need_service("PostgreSQL (PANEL_TEST_PG_URL) for the SAQ backend")
            raise AssertionError("unreachable")  # need_service skips or fails
        # callers may be inside a running event loop, where asyncio.run() is refused
        with ThreadPoolExecutor(1) as pool:
            _saq_url = pool.submit(asyncio.run, _create_pg_database(base, f"hostpanel_saq_{_worker()}")).result()
    return _saq_url


def _empty_saq_queue(url: str) -> None:
    import psycopg
    from psycopg import sql

    from panel.core.jobs.saq_backend import JOBS_TABLE

    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass(%s)", (JOBS_TABLE,)).fetchone() != (None,):
            conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(JOBS_TABLE)))


def backend_env(backend: str) -> dict[str, str]:
    """The PANEL_CORE_JOBS_* entries for `support.make_settings(..., **env)` that select `backend`.

    For "saq" it also empties SAQ's queue, so the test starts with no jobs (as the `app`
    fixture empties the panel's tables, the embedded jobs among them).
    """
    if backend == "embedded":
        return {"PANEL_CORE_JOBS_BACKEND": "embedded"}
    if backend != "saq":
        raise ValueError(f"unknown job backend {backend!r}; one of {BACKENDS}")
    url = saq_test_url()
    _empty_saq_queue(url)
    return {"PANEL_CORE_JOBS_BACKEND": "saq", "PANEL_CORE_JOBS_SAQ_URL": url}


async def drain(
    settings: Settings, handlers: Mapping[str, JobHandler], schedule: Mapping[str, str] | None = None
) -> int:
    """Tick `schedule` once (if given) and run every due job to completion; how many ran.

    A job scheduled for later (a retry waiting out its back-off) is not due. Closes the
    SAQ connections this event loop opened, so a test needs no clean-up of its own.
    """
    from panel.core.jobs.services import close_connections, run_due

    try:
        return await run_due(settings, handlers, schedule)
    finally:
        await close_connections()
