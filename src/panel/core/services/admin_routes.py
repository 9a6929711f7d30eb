"""Admin-area pages of services and staff tasks (platform staff only).

Staff admins may do everything; support reads services and works on tasks (see the
services plugin's policy lines). Each page offers only what the rules engine allows
the viewer; each route declares what it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Template

from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires
from panel.core.services import lifecycle, provisioning, services, tasks
from panel.core.services.services import PAGE_SIZE, ServiceFilters
from panel.core.services.tables import ServiceStatus
from panel.core.web.pages import allowed, page, redirect
from panel.errors import ValidationFailed

NOTICES = {
    "retried": "Provisioning was tried again.",
    "link": "The client-area link setting was saved.",
    "suspended": "The service is suspended.",
    "unsuspended": "The service is active again.",
    "terminated": "The service is terminated.",
    "task": "The task is complete.",
}

LIST = requires("service:*", "list", scope="platform")
READ = requires("service:{service_id}", "read", scope="platform")
TASKS = requires("admin:tasks", "list", scope="platform")
TASK_READ = requires("admin:tasks", "read", scope="platform")
TASK_DONE = requires("admin:tasks", "update", scope="platform")


def _can(request: Request[Any, Any, Any], service_id: int) -> dict[str, bool]:
    obj = f"service:{service_id}"

    def ok(o: str, action: str) -> bool:
        return allowed(request, o, action, "platform")

    return {
        "retry": ok(obj, "provision"),
        "link": ok(obj, "update"),
        "suspend": ok(obj, "suspend"),
        "unsuspend": ok(obj, "unsuspend"),
        "terminate": ok(obj, "terminate"),
        "tasks": ok("admin:tasks", "update"),
    }


def _number(value: str) -> int | None:
    return int(value) if value.isdigit() else None


@get("/admin/services", authz=LIST)
async def service_list(
    request: Request[Any, Any, Any],
    status: FromQuery[str] = "",
    product_type: FromQuery[str] = "",
    store: FromQuery[str] = "",
    account: FromQuery[str] = "",
    page_no: FromQuery[int] = 1,
) -> Template:
    """Every account's services with status, type, store and account filters, 50 a page."""
    filters = ServiceFilters(status, product_type, _number(store), _number(account))
    found = await services.search_services(filters, PAGE_SIZE, (max(page_no, 1) - 1) * PAGE_SIZE)
    query = {
        k: v
        for k, v in {"status": status, "product_type": product_type, "store": store, "account": account}.items()
        if v
    }
    return await page(
        request,
        "services/admin_list.html",
        area="admin",
        found=found,
        filters=query,
        statuses=ServiceStatus.ALL,
        types=sorted({*request.app.state.product_types, *await services.product_types_in_use()}),
        stores=await services.store_options(),
        page_url=lambda n: "/admin/services?" + urlencode({**query, "page_no": n}),
    )


async def _service_page(
    request: Request[Any, Any, Any],
    service_id: int,
    notice: str = "",
    error: str = "",
    status_code: int = 200,
) -> Template:
    service = await services.get_any_service(service_id)
    product_type = request.app.state.product_types.get(service.product_type)
    return await page(
        request,
        "services/admin_detail.html",
        area="admin",
        status_code=status_code,
        service=service,
        type_label=product_type.label if product_type else "",
        type_enabled=product_type is not None,
        tasks=await tasks.open_tasks_of_service(service_id),
        can=_can(request, service_id),
        notice=NOTICES.get(notice, ""),
        error=error,
    )


@get("/admin/services/{service_id:int}", authz=READ)
async def service_page(
    request: Request[Any, Any, Any], service_id: FromPath[int], done: FromQuery[str] = ""
) -> Template:
    """One service: details, its data, open tasks, and what staff may do with it."""
    return await _service_page(request, service_id, notice=done)


@post("/admin/services/{service_id:int}/retry", authz=requires("service:{service_id}", "provision", scope="platform"))
async def retry(request: Request[Any, Any, Any], service_id: FromPath[int]) -> Response[Any]:
    """Hand a service whose provisioning failed to its product type again."""
    app = request.app.state
    try:
        await provisioning.retry_provisioning(
            app.product_types, service_id, settings=app.settings, by=audit_context(request)
        )
    except lifecycle.ServiceRefused as exc:
        return await _service_page(request, service_id, error=exc.message, status_code=409)
    return redirect(request, f"/admin/services/{service_id}?done=retried")


@dataclass
class LinkForm:
    """The client-area link override: inherit, show or hide."""

    link: str = "inherit"


@post("/admin/services/{service_id:int}/link", authz=requires("service:{service_id}", "update", scope="platform"))
async def set_link(
    request: Request[Any, Any, Any], service_id: FromPath[int], data: URLEncodedBody[LinkForm]
) -> Response[Any]:
    """Override whether the service's page shows the client-area link."""
    try:
        await lifecycle.set_link_override(service_id, data.link, by=audit_context(request))
    except ValidationFailed as exc:
        return await _service_page(request, service_id, error=exc.message, status_code=422)
    return redirect(request, f"/admin/services/{service_id}?done=link")


@dataclass
class ReasonForm:
    """Why the service is suspended (shown in the audit log)."""

    reason: str = ""


@post("/admin/services/{service_id:int}/suspend", authz=requires("service:{service_id}", "suspend", scope="platform"))
async def suspend(
    request: Request[Any, Any, Any], service_id: FromPath[int], data: URLEncodedBody[ReasonForm]
) -> Response[Any]:
    """Suspend an active service through its product type."""
    app = request.app.state
    try:
        await lifecycle.suspend_service(
            app.product_types, service_id, data.reason, by=audit_context(request), settings=app.settings
        )
    except lifecycle.ServiceRefused as exc:
        return await _service_page(request, service_id, error=exc.message, status_code=409)
    return redirect(request, f"/admin/services/{service_id}?done=suspended")


@post(
    "/admin/services/{service_id:int}/unsuspend",
    authz=requires("service:{service_id}", "unsuspend", scope="platform"),
)
async def unsuspend(request: Request[Any, Any, Any], service_id: FromPath[int]) -> Response[Any]:
    """Make a suspended service active again through its product type."""
    app = request.app.state
    try:
        await lifecycle.unsuspend_service(
            app.product_types, service_id, by=audit_context(request), settings=app.settings
        )
    except lifecycle.ServiceRefused as exc:
        return await _service_page(request, service_id, error=exc.message, status_code=409)
    return redirect(request, f"/admin/services/{service_id}?done=unsuspended")


@post(
    "/admin/services/{service_id:int}/terminate",
    authz=requires("service:{service_id}", "terminate", scope="platform"),
)
async def terminate(request: Request[Any, Any, Any], service_id: FromPath[int]) -> Response[Any]:
    """Remove a service for good through its product type."""
    app = request.app.state
    try:
        await lifecycle.terminate_service(
            app.product_types, service_id, by=audit_context(request), settings=app.settings
        )
    except lifecycle.ServiceRefused as exc:
        return await _service_page(request, service_id, error=exc.message, status_code=409)
    return redirect(request, f"/admin/services/{service_id}?done=terminated")


# -- staff tasks --------------------------------------------------------------------------


@get("/admin/tasks", authz=TASKS)
async def task_list(request: Request[Any, Any, Any], page_no: FromQuery[int] = 1) -> Template:
    """Open staff tasks, oldest first."""
    found = await tasks.open_tasks(tasks.PAGE_SIZE, (max(page_no, 1) - 1) * tasks.PAGE_SIZE)
    return await page(
        request,
        "services/tasks.html",
        area="admin",
        found=found,
        page_url=lambda n: "/admin/tasks?" + urlencode({"page_no": n}),
    )


async def _task_page(
    request: Request[Any, Any, Any],
    task_id: int,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    task = await tasks.get_task(task_id)
    return await page(
        request,
        "services/task.html",
        area="admin",
        status_code=status_code,
        task=task,
        task_fields=tasks.TASK_FIELDS,
        values=values or {},
        errors=errors or {},
        can_complete=allowed(request, "admin:tasks", "update", "platform"),
    )


@get("/admin/tasks/{task_id:int}", authz=TASK_READ)
async def task_page(request: Request[Any, Any, Any], task_id: FromPath[int]) -> Template:
    """One open task with the form to complete it."""
    return await _task_page(request, task_id)


@dataclass
class TaskForm:
    """What staff set up: a note and the details the client and staff will need."""

    note: str = ""
    username: str = ""
    server: str = ""
    client_area_url: str = ""


@post("/admin/tasks/{task_id:int}", authz=TASK_DONE)
async def complete_task(
    request: Request[Any, Any, Any], task_id: FromPath[int], data: URLEncodedBody[TaskForm]
) -> Response[Any]:
    """Complete the task: the details go into the service's data and a pending service turns active."""
    values = {"username": data.username, "server": data.server, "client_area_url": data.client_area_url}
    try:
        service_id = await tasks.complete_task(
            task_id, data.note, values, user_id=request.state.user_id, by=audit_context(request)
        )
    except ValidationFailed as exc:
        return await _task_page(request, task_id, {**values, "note": data.note}, exc.errors, 422)
    return redirect(request, f"/admin/services/{service_id}?done=task")


ROUTES = [
    service_list,
    service_page,
    retry,
    set_link,
    suspend,
    unsuspend,
    terminate,
    task_list,
    task_page,
    complete_task,
]
