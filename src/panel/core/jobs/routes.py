"""Admin pages of the job queue under /admin/jobs (platform staff admins only)."""

from __future__ import annotations

from math import ceil
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Template

from panel.core.authz.guard import requires
from panel.core.jobs.queue import STATES
from panel.core.jobs.services import queue_for
from panel.core.web.pages import page, redirect
from panel.errors import PanelError

PAGE_SIZE = 50
LIST = requires("job:*", "list", scope="platform")
READ = requires("job:{job_id}", "read", scope="platform")
RETRY = requires("job:{job_id}", "retry", scope="platform")
CANCEL = requires("job:{job_id}", "cancel", scope="platform")
NOTICES = {"retried": "The job was queued to run again.", "cancelled": "The job was cancelled."}


@get("/admin/jobs", authz=LIST)
async def job_list(
    request: Request[Any, Any, Any],
    wanted: Annotated[str, QueryParameter(name="state")] = "",
    page_no: FromQuery[int] = 1,
) -> Template:
    """Jobs newest first, filtered by state, in pages of 50."""
    state = wanted if wanted in STATES else ""
    number = max(page_no, 1)
    found = await queue_for(request.app.state.settings).list(state, PAGE_SIZE, (number - 1) * PAGE_SIZE)

    def page_url(n: int) -> str:
        return "/admin/jobs?" + urlencode({**({"state": state} if state else {}), "page_no": n})

    return await page(
        request,
        "jobs/list.html",
        area="admin",
        found={"page": number, "pages": max(ceil(found.total / PAGE_SIZE), 1)},
        jobs=found.jobs,
        counts=found.counts,
        total=found.total,
        state=state,
        states=STATES,
        page_url=page_url,
    )


async def _detail(
    request: Request[Any, Any, Any], job_id: int, notice: str = "", refusal: str = "", status_code: int = 200
) -> Template:
    job = await queue_for(request.app.state.settings).get(job_id)
    return await page(
        request, "jobs/detail.html", area="admin", status_code=status_code, job=job, notice=notice, refusal=refusal
    )


@get("/admin/jobs/{job_id:int}", authz=READ)
async def job_detail(request: Request[Any, Any, Any], job_id: FromPath[int], done: FromQuery[str] = "") -> Template:
    """One job: payload, attempts, last error, and its progress (live while it waits or runs)."""
    return await _detail(request, job_id, notice=NOTICES.get(done, ""))


@get("/admin/jobs/{job_id:int}/progress", authz=READ)
async def job_progress(request: Request[Any, Any, Any], job_id: FromPath[int]) -> Template:
    """The progress block alone, which the detail page polls every second with htmx."""
    job = await queue_for(request.app.state.settings).get(job_id)
    return Template(template_name="jobs/_progress.html", context={"job": job})


@post("/admin/jobs/{job_id:int}/retry", authz=RETRY)
async def job_retry(request: Request[Any, Any, Any], job_id: FromPath[int]) -> Response[Any]:
    """Queue a retrying, dead or cancelled job to run again now."""
    try:
        await queue_for(request.app.state.settings).retry(job_id)
    except PanelError as exc:
        if exc.status_code == 404:
            raise
        return await _detail(request, job_id, refusal=str(exc), status_code=409)
    return redirect(request, f"/admin/jobs/{job_id}?done=retried")


@post("/admin/jobs/{job_id:int}/cancel", authz=CANCEL)
async def job_cancel(request: Request[Any, Any, Any], job_id: FromPath[int]) -> Response[Any]:
    """Cancel a job that has not started."""
    try:
        await queue_for(request.app.state.settings).cancel(job_id)
    except PanelError as exc:
        if exc.status_code == 404:
            raise
        return await _detail(request, job_id, refusal=str(exc), status_code=409)
    return redirect(request, f"/admin/jobs/{job_id}?done=cancelled")


ROUTES = [job_list, job_detail, job_progress, job_retry, job_cancel]
