"""The in-app worker on the SAQ backend runs the dummy plugin's job; the admin page shows it done."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import dummy_plugin
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from support import build_app, empty_tables

from panel.core import db
from panel.core.jobs.services import close_connections, enqueue, queue_for

from .conftest import job_settings


@pytest.fixture
async def worker_client(migrated: str, tmp_path: Path) -> AsyncIterator[AsyncTestClient[Litestar]]:
    settings = job_settings(migrated, tmp_path, "saq", PANEL_CORE_JOBS_WORKER="true")
    application = build_app(settings, dummy_plugin)
    await db.migrate()
    await empty_tables()
    try:
        async with AsyncTestClient(app=application, base_url="http://testserver.local") as c:
            yield c
    finally:
        await close_connections()
        await empty_tables()


async def test_the_dummy_plugins_job_runs_in_the_app(
    worker_client: AsyncTestClient[Litestar], staff_login: Callable[..., Any]
) -> None:
    dummy_plugin.TOUCHED.clear()
    settings = worker_client.app.state.settings
    job_id = await enqueue(settings, "dummy.touch", {"key": "colour", "value": "green"}, key="touch-1")

    for _ in range(100):
        if (await queue_for(settings).get(job_id)).state == "succeeded":
            break
        await asyncio.sleep(0.05)

    assert dummy_plugin.TOUCHED == {"colour": "green"}
    await staff_login(worker_client, worker_client.app.state.authz, "admin")
    page = await worker_client.get(f"/admin/jobs/{job_id}")
    assert "succeeded" in page.text and "dummy.touch" in page.text
