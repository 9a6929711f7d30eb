"""The admin pages of the job queue: list, detail with live progress, retry, cancel; admins only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import factories as f
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from panel.core.jobs.embedded import EmbeddedQueue


async def test_admin_lists_jobs_and_filters_by_state(
    client: AsyncTestClient[Litestar], authz: Any, staff_login: Callable[..., Any], queue: EmbeddedQueue
) -> None:
    await staff_login(client, authz, "admin")
    waiting = await queue.enqueue("billing.renewals")
    cancelled = await queue.enqueue("mail.digest")
    await queue.cancel(cancelled)

    everything = await client.get("/admin/jobs")
    only_cancelled = await client.get("/admin/jobs?state=cancelled")

    assert everything.status_code == 200
    assert "billing.renewals" in everything.text and "mail.digest" in everything.text
    assert "cancelled (1)" in everything.text
    assert "mail.digest" in only_cancelled.text
    assert "billing.renewals" not in only_cancelled.text
    assert f'href="/admin/jobs/{waiting}"' in everything.text


async def test_the_job_page_shows_progress_and_polls_while_running(
    client: AsyncTestClient[Litestar], authz: Any, staff_login: Callable[..., Any], queue: EmbeddedQueue
) -> None:
    await staff_login(client, authz, "admin")
    job_id = await queue.enqueue("site.backup", {"site": "example.org"})
    claimed = await queue.claim("w1")
    assert claimed is not None
    await queue.report_progress(job_id, claimed.token, 60, "copying database")

    detail = await client.get(f"/admin/jobs/{job_id}")
    fragment = await client.get(f"/admin/jobs/{job_id}/progress", headers={"hx-request": "true"})

    assert detail.status_code == 200
    assert 'value="60"' in detail.text and "copying database" in detail.text
    assert 'hx-trigger="every 1s"' in detail.text
    assert 'http-equiv="refresh"' in detail.text, "without JavaScript the page reloads itself"
    assert "example.org" in detail.text
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 'value="60"' in fragment.text

    await queue.complete(claimed)
    finished = await client.get(f"/admin/jobs/{job_id}")
    assert 'value="100"' in finished.text
    assert "every 1s" not in finished.text, "a finished job is no longer polled"


async def test_admin_retries_a_dead_job_and_cancels_a_waiting_one(
    client: AsyncTestClient[Litestar], authz: Any, staff_login: Callable[..., Any], queue: EmbeddedQueue
) -> None:
    await staff_login(client, authz, "admin")
    dead = await queue.enqueue("mail.send", max_attempts=1)
    claimed = await queue.claim("w1")
    assert claimed is not None
    await queue.fail(claimed, "SMTPError: refused")
    waiting = await queue.enqueue("mail.send", key="later")

    page = await client.get(f"/admin/jobs/{dead}")
    assert "SMTPError: refused" in page.text and "Retry now" in page.text
    retried = await f.post_form(client, f"/admin/jobs/{dead}/retry")
    cancelled = await f.post_form(client, f"/admin/jobs/{waiting}/cancel")
    again = await f.post_form(client, f"/admin/jobs/{waiting}/cancel")

    assert retried.status_code == 303 and retried.headers["location"] == f"/admin/jobs/{dead}?done=retried"
    assert (await queue.get(dead)).state == "queued"
    assert cancelled.status_code == 303
    assert (await queue.get(waiting)).state == "cancelled"
    assert again.status_code == 409
    assert "cancelled job cannot be cancelled" in again.text
    assert (await f.post_form(client, "/admin/jobs/999999/retry")).status_code == 404


@pytest.mark.parametrize("role", ["support", "billing"])
async def test_other_staff_cannot_see_or_touch_jobs(
    client: AsyncTestClient[Litestar], authz: Any, staff_login: Callable[..., Any], queue: EmbeddedQueue, role: str
) -> None:
    job_id = await queue.enqueue("mail.send", {"to": "secret@example.com"})
    await staff_login(client, authz, role)

    for path in ("/admin/jobs", f"/admin/jobs/{job_id}", f"/admin/jobs/{job_id}/progress"):
        answer = await client.get(path)
        assert answer.status_code == 403, path
        assert "secret@example.com" not in answer.text
    assert (await f.post_form(client, f"/admin/jobs/{job_id}/cancel")).status_code == 403
    assert (await queue.get(job_id)).state == "queued"


async def test_anonymous_visitors_are_sent_to_log_in(client: AsyncTestClient[Litestar], queue: EmbeddedQueue) -> None:
    answer = await client.get("/admin/jobs", follow_redirects=False)

    assert answer.status_code in (302, 303, 401)
