"""A plugin that `panel worker` subprocesses load (as an installed plugin) in the worker-process tests.

Its job `workerjobs.hold` records each start in a folder, waits while the folder holds
a file named `hold`, then writes `done` (set, not added: running it twice is safe). A
payload without a folder (a scheduled run) does nothing.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

from panel.core.jobs.queue import JobContext, JobHandler
from panel.plugin import PluginMeta, hookimpl

PLUGIN_META = PluginMeta(name="workerjobs", version="0.1.0", summary="Jobs for worker-process tests.")


async def _hold(ctx: JobContext) -> None:
    folder = ctx.payload.get("folder")
    if not folder:
        return
    where = Path(folder)
    (where / f"started-{ctx.attempt}-{os.getpid()}").touch()
    while (where / "hold").exists():  # noqa: ASYNC110 (the test process removes the file)
        await asyncio.sleep(0.05)
    (where / "done").write_text(f"{os.getpid()} {ctx.attempt}")


@hookimpl
def panel_register_jobs(register: Callable[[JobHandler], None]) -> None:
    register(JobHandler("workerjobs.hold", _hold, "Waits while a hold file exists; safe to run twice."))
