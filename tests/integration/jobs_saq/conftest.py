"""Fixtures of the SAQ backend tests: settings that select it, its queue, and `panel worker` processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from jobs_support import backend_env
from support import make_settings

from panel.core.jobs.saq_backend import SaqQueue
from panel.core.jobs.services import close_connections, queue_for
from panel.settings import Settings

LEASE = 1.0  # SAQ's heartbeat is in whole seconds
RETRY_DELAY = 1.0  # and so is its schedule
HERE = Path(__file__).resolve().parent


def job_settings(migrated: str, tmp_path: Path, backend: str, **extra: str) -> Settings:
    """Settings of a test on `backend`: no in-app worker, short lease and back-off."""
    env = {
        "PANEL_CORE_JOBS_WORKER": "false",
        "PANEL_CORE_JOBS_LEASE_SECONDS": str(LEASE),
        "PANEL_CORE_JOBS_RETRY_DELAY": str(RETRY_DELAY),
        "PANEL_CORE_JOBS_POLL_INTERVAL": "0.1",
        **backend_env(backend),
        **extra,
    }
    return make_settings(migrated, tmp_path, **env)


@pytest.fixture
def settings(migrated: str, tmp_path: Path) -> Settings:
    """Settings on the SAQ backend (its queue emptied); the app built from them uses it too."""
    return job_settings(migrated, tmp_path, "saq")


@pytest.fixture
async def queue(app: object, settings: Settings) -> AsyncIterator[SaqQueue]:
    """The SAQ queue, on an emptied panel database; its connections are closed after the test."""
    found = queue_for(settings)
    assert isinstance(found, SaqQueue)
    try:
        yield found
    finally:
        await close_connections()


class WorkerProcesses:
    """Starts real `panel worker` processes (with the `workerjobs` plugin installed) and ends them."""

    def __init__(self, settings: Settings, tmp_path: Path) -> None:
        site = tmp_path / "site"
        info = site / "workerjobs_test-0.1.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: workerjobs-test\nVersion: 0.1.0\n")
        (info / "entry_points.txt").write_text("[hostpanel.plugins]\nworkerjobs = worker_jobs_plugin\n")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PANEL_")}
        self.env.update(settings.values["_environ"])
        self.env["PYTHONPATH"] = os.pathsep.join([str(site), str(HERE), os.environ.get("PYTHONPATH", "")])
        self.cwd = tmp_path
        self.started: list[subprocess.Popen[str]] = []

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        """`panel worker ARGS` in the background."""
        process = subprocess.Popen(
            [sys.executable, "-m", "panel", "worker", *args],
            env={**self.env, **env},
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.started.append(process)
        return process

    def run(self, *args: str, **env: str) -> str:
        """`panel worker ARGS` to its end; its output (fails the test if it failed)."""
        done = subprocess.run(
            [sys.executable, "-m", "panel", "worker", *args],
            env={**self.env, **env},
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def end_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if process.stdout is not None:
                process.stdout.close()
