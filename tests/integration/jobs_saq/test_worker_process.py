"""Real `panel worker` processes on both backends: a killed worker's job is finished by another; --once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from jobs_support import BACKENDS
from support import SECRET

from panel.core.jobs.services import close_connections, queue_for
from panel.settings import Settings

from .conftest import WorkerProcesses, job_settings


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, migrated: str, tmp_path: Path) -> Settings:
    """Settings of either backend (the SAQ queue emptied); the embedded jobs are emptied by `app`."""
    return job_settings(migrated, tmp_path, request.param)


@pytest.fixture
async def backend_settings(app: object, settings: Settings) -> AsyncIterator[Settings]:
    """The settings, on emptied queues; this loop's SAQ connections are closed afterwards."""
    try:
        yield settings
    finally:
        await close_connections()


async def _until(check: Callable[[], Awaitable[bool]], timeout: float = 60) -> None:  # noqa: ASYNC109 (a deadline)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_a_job_of_a_killed_worker_is_run_to_success_by_another(
    backend_settings: Settings, tmp_path: Path
) -> None:
    processes = WorkerProcesses(backend_settings, tmp_path)
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "hold").touch()
    queue = queue_for(backend_settings)
    try:
        job_id = await queue.enqueue("workerjobs.hold", {"folder": str(folder)}, key="hold-1")
        first = processes.start("--name", "first")

        async def started() -> bool:
            assert first.poll() is None, first.stdout.read() if first.stdout else ""
            return any(folder.glob(f"started-1-{first.pid}"))

        await _until(started)
        first.send_signal(signal.SIGKILL)  # mid-job: no chance to record anything
        first.wait(10)
        assert (await queue.get(job_id)).state == "running", "the dead worker's job still looks taken"
        (folder / "hold").unlink()
        second = processes.start("--name", "second")

        async def finished() -> bool:
            return (await queue.get(job_id)).state == "succeeded"

        await _until(finished)
        job = await queue.get(job_id)
        assert job.attempts == 2, "the lost attempt counts"
        assert job.locked_by.startswith("second")
        assert (folder / "done").read_text() == f"{second.pid} 2"
        assert len(list(folder.glob("started-*"))) == 2
    finally:
        processes.end_all()


async def test_panel_worker_once_runs_the_due_jobs_and_the_schedule(backend_settings: Settings, tmp_path: Path) -> None:
    processes = WorkerProcesses(backend_settings, tmp_path)
    folders = [tmp_path / "a", tmp_path / "b"]
    queue = queue_for(backend_settings)
    for folder in folders:
        folder.mkdir()
    ids = [await queue.enqueue("workerjobs.hold", {"folder": str(folder)}) for folder in folders]

    only_ours = _only("workerjobs.hold=0 0 1 1 *", backend_settings)
    out = processes.run("--once", PANEL_CORE_JOBS_SCHEDULE=only_ours)

    assert "ran 3 job(s)" in out, out
    assert [(await queue.get(i)).state for i in ids] == ["succeeded", "succeeded"]
    assert all((folder / "done").exists() for folder in folders)
    page = await queue.list("succeeded")
    assert page.total == 3 and any("period" in j.payload for j in page.jobs)
    assert "ran 0 job(s)" in processes.run("--once", PANEL_CORE_JOBS_SCHEDULE=only_ours)


def _only(schedule: str, settings: Settings) -> str:
    """`schedule`, with the built-in tasks' default schedules (daily lifecycle runs ...) turned off."""
    from panel.core.plugins import PanelPlugins

    defaults = [h.name for h in PanelPlugins(settings).job_handlers().values() if h.schedule]
    return ";".join([schedule, *(f"{name}=off" for name in defaults)])


def test_panel_worker_refuses_saq_without_postgresql(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANEL_")}
    env.update(
        PANEL_DATABASE_URL=f"sqlite:///{tmp_path / 'panel.sqlite3'}",
        PANEL_SECRET_KEY=SECRET,
        PANEL_DATA_DIR=str(tmp_path / "data"),
        PANEL_CORE_JOBS_BACKEND="saq",
    )

    done = subprocess.run(
        [sys.executable, "-m", "panel", "worker", "--once"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 2
    assert "PANEL_CORE_JOBS_BACKEND=saq needs PostgreSQL" in done.stderr
    assert "PANEL_CORE_JOBS_SAQ_URL" in done.stderr
