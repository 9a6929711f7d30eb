"""The admin pages on the SAQ backend: list with counts, live progress, retry a dead job, cancel a waiting one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import factories as f
from jobs_support import drain
from litestar import Litestar
from litestar.testing import AsyncTestClient

from panel.core.jobs.queue import JobContext, JobHandler
from panel.core.jobs.saq_backend import SaqQueue
from panel.core.jobs.services import backend_of, make_worker
from panel.settings import Settings


async def _refused(ctx: JobContext) -> None:
    raise ConnectionRefusedError("SMTP server refused the connection")


async def test_admin_retries_a_dead_job_and_cancels_a_waiting_one(
    client: AsyncTestClient[Litestar],
    authz: Any,
    staff_login: Callable[..., Any],
    queue: SaqQueue,
    settings: Settings,
) -> None:
    assert backend_of(client.app.state.settings) == "saq", "the app itself runs on the SAQ backend"
    await staff_login(client, authz, "admin")
    handlers = {"mail.send": JobHandler("mail.send", _refused)}
    dead = await queue.enqueue("mail.send", {"to": "ann@example.com"}, max_attempts=1)
    assert await drain(settings, handlers) == 1
    waiting = await queue.enqueue("mail.send", key="later")

    listed = await client.get("/admin/jobs")
    only_dead = await client.get("/admin/jobs?state=dead")
    page = await client.get(f"/admin/jobs/{dead}")
    assert listed.status_code == 200
    assert "dead (1)" in listed.text and "queued (1)" in listed.text
    assert f'href="/admin/jobs/{dead}"' in only_dead.text and f'href="/admin/jobs/{waiting}"' not in only_dead.text
    assert "ConnectionRefusedError: SMTP server refused the connection" in page.text
    assert "Retry now" in page.text and "ann@example.com" in page.text

    retried = await f.post_form(client, f"/admin/jobs/{dead}/retry")
    cancelled = await f.post_form(client, f"/admin/jobs/{waiting}/cancel")
    again = await f.post_form(client, f"/admin/jobs/{waiting}/cancel")

    assert retried.status_code == 303 and retried.headers["location"] == f"/admin/jobs/{dead}?done=retried"
    job = await queue.get(dead)
    assert (job.state, job.attempts) == ("queued", 0)
    assert cancelled.status_code == 303
    assert (await queue.get(waiting)).state == "cancelled"
    assert again.status_code == 409 and "cancelled job cannot be cancelled" in again.text
    assert (await f.post_form(client, "/admin/jobs/999999/retry")).status_code == 404

    async def works(ctx: JobContext) -> None:
        await ctx.progress(50, "sending")

    assert await drain(settings, {"mail.send": JobHandler("mail.send", works)}) == 1
    done = await client.get(f"/admin/jobs/{dead}")
    assert "succeeded" in done.text and 'value="100"' in done.text


async def test_the_job_page_shows_live_progress(
    client: AsyncTestClient[Litestar],
    authz: Any,
    staff_login: Callable[..., Any],
    queue: SaqQueue,
    settings: Settings,
) -> None:
    await staff_login(client, authz, "admin")
    reached, finish = asyncio.Event(), asyncio.Event()

    async def backup(ctx: JobContext) -> None:
        await ctx.progress(60, "copying database")
        reached.set()
        await finish.wait()

    job_id = await queue.enqueue("site.backup", {"site": "example.org"})
    worker = make_worker(settings, {"site.backup": JobHandler("site.backup", backup)})
    running = asyncio.create_task(worker.run_until_idle())
    await asyncio.wait_for(reached.wait(), 10)

    detail = await client.get(f"/admin/jobs/{job_id}")
    fragment = await client.get(f"/admin/jobs/{job_id}/progress", headers={"hx-request": "true"})
    finish.set()
    assert await running == 1

    assert 'value="60"' in detail.text and "copying database" in detail.text
    assert 'hx-trigger="every 1s"' in detail.text and "example.org" in detail.text
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'value="60"' in fragment.text
    finished = await client.get(f"/admin/jobs/{job_id}")
    assert 'value="100"' in finished.text and "every 1s" not in finished.text
