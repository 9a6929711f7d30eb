"""The staff desk's settings pages: departments (with their staff) and canned responses.

Objects `ticket:department:<id>` and `ticket:canned:<id>` sit under `ticket:*`, so the
roles that work on tickets manage them; a provider who wants only admins to can add a
deny line for `staff:support` on them.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires
from panel.core.content.forms import form_ids, form_page, form_values, submit
from panel.core.support import staff_queries, staff_settings
from panel.core.web.pages import redirect
from panel.errors import InUse

DEPARTMENTS_READ = requires("ticket:department:*", "list", scope="platform")
DEPARTMENTS_WRITE = requires("ticket:department:*", "update", scope="platform")
CANNED_READ = requires("ticket:canned:*", "list", scope="platform")
CANNED_WRITE = requires("ticket:canned:*", "update", scope="platform")

NOTICES = {
    "saved": "The department was saved.",
    "deleted": "The department was deleted.",
    "canned_saved": "The canned response was saved.",
    "canned_deleted": "The canned response was deleted.",
}
DEPARTMENT_FIELDS = ("name", "description", "email", "sort_order", "is_active")
CANNED_FIELDS = ("title", "body", "department")


async def _department_form(request: Request[Any, Any, Any]) -> tuple[dict[str, str], list[int]]:
    return await form_values(request, DEPARTMENT_FIELDS), await form_ids(request, "staff")


# -- departments ----------------------------------------------------------------------------


async def _departments_page(
    request: Request[Any, Any, Any],
    notice: str = "",
    values: dict[str, Any] | None = None,
    staff_ids: list[int] | None = None,
    errors: dict[str, str] | None = None,
) -> Template:
    return await form_page(
        request,
        "support/admin/departments.html",
        values or {"is_active": "on", "sort_order": "0"},
        errors,
        departments=await staff_settings.departments(),
        staff=await staff_queries.desk_staff(request.app.state.authz),
        picked=staff_ids or [],
        notice=NOTICES.get(notice, ""),
    )


@get("/admin/support/departments", authz=DEPARTMENTS_READ)
async def departments_list(request: Request[Any, Any, Any], done: FromQuery[str] = "") -> Template:
    """Every department with its address, order, state and staff, and the form to add one."""
    return await _departments_page(request, done)


@post("/admin/support/departments", authz=DEPARTMENTS_WRITE)
async def department_create(request: Request[Any, Any, Any]) -> Any:
    """Add a department."""
    values, staff_ids = await _department_form(request)
    return await submit(
        request,
        lambda: staff_settings.save_department(
            None, values, staff_ids, request.app.state.authz, by=audit_context(request)
        ),
        lambda errors: _departments_page(request, values=values, staff_ids=staff_ids, errors=errors),
        "/admin/support/departments?done=saved",
    )


async def _department_page(
    request: Request[Any, Any, Any],
    department_id: int,
    values: dict[str, Any] | None = None,
    staff_ids: list[int] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int | None = None,
) -> Template:
    department = await staff_settings.department(department_id)
    current = {
        "name": department.name,
        "description": department.description,
        "email": department.email,
        "sort_order": str(department.sort_order),
        "is_active": "on" if department.is_active else "",
    }
    return await form_page(
        request,
        "support/admin/department.html",
        values if values is not None else current,
        errors,
        status_code=status_code,
        department=department,
        staff=await staff_queries.desk_staff(request.app.state.authz),
        picked=staff_ids if staff_ids is not None else department.staff_ids,
    )


@get("/admin/support/departments/{department_id:int}", authz=DEPARTMENTS_READ)
async def department_edit(request: Request[Any, Any, Any], department_id: FromPath[int]) -> Template:
    """The form to change a department and who is on it."""
    return await _department_page(request, department_id)


@post("/admin/support/departments/{department_id:int}", authz=DEPARTMENTS_WRITE)
async def department_save(request: Request[Any, Any, Any], department_id: FromPath[int]) -> Any:
    """Save a department."""
    await staff_settings.department(department_id)
    values, staff_ids = await _department_form(request)
    return await submit(
        request,
        lambda: staff_settings.save_department(
            department_id, values, staff_ids, request.app.state.authz, by=audit_context(request)
        ),
        lambda errors: _department_page(request, department_id, values, staff_ids, errors),
        "/admin/support/departments?done=saved",
    )


@post("/admin/support/departments/{department_id:int}/delete", authz=DEPARTMENTS_WRITE)
async def department_delete(request: Request[Any, Any, Any], department_id: FromPath[int]) -> Any:
    """Delete a department without tickets (otherwise the page again, saying to deactivate it)."""
    try:
        await staff_settings.delete_department(department_id, by=audit_context(request))
    except InUse as exc:
        return await _department_page(request, department_id, errors={"delete": exc.message}, status_code=409)
    return redirect(request, "/admin/support/departments?done=deleted")


# -- canned responses -----------------------------------------------------------------------


async def _department_choices() -> list[tuple[str, str]]:
    return [("", "Every department")] + [(str(d.id), d.name) for d in await staff_settings.departments()]


async def _canned_page(
    request: Request[Any, Any, Any],
    notice: str = "",
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Template:
    return await form_page(
        request,
        "support/admin/canned.html",
        values or {},
        errors,
        responses=await staff_settings.canned_responses(every=True),
        department_choices=await _department_choices(),
        notice=NOTICES.get(notice, ""),
    )


@get("/admin/support/canned", authz=CANNED_READ)
async def canned_list(request: Request[Any, Any, Any], done: FromQuery[str] = "") -> Template:
    """Every canned response, and the form to add one."""
    return await _canned_page(request, done)


@post("/admin/support/canned", authz=CANNED_WRITE)
async def canned_create(request: Request[Any, Any, Any]) -> Any:
    """Add a canned response."""
    values = await form_values(request, CANNED_FIELDS)
    return await submit(
        request,
        lambda: staff_settings.save_canned(None, values, by=audit_context(request)),
        lambda errors: _canned_page(request, values=values, errors=errors),
        "/admin/support/canned?done=canned_saved",
    )


async def _canned_edit_page(
    request: Request[Any, Any, Any],
    canned_id: int,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Template:
    canned = await staff_settings.canned_response(canned_id)
    current = {"title": canned.title, "body": canned.body, "department": str(canned.department_id or "")}
    return await form_page(
        request,
        "support/admin/canned_edit.html",
        values if values is not None else current,
        errors,
        canned=canned,
        department_choices=await _department_choices(),
    )


@get("/admin/support/canned/{canned_id:int}", authz=CANNED_READ)
async def canned_edit(request: Request[Any, Any, Any], canned_id: FromPath[int]) -> Template:
    """The form to change a canned response."""
    return await _canned_edit_page(request, canned_id)


@post("/admin/support/canned/{canned_id:int}", authz=CANNED_WRITE)
async def canned_save(request: Request[Any, Any, Any], canned_id: FromPath[int]) -> Any:
    """Save a canned response."""
    await staff_settings.canned_response(canned_id)
    values = await form_values(request, CANNED_FIELDS)
    return await submit(
        request,
        lambda: staff_settings.save_canned(canned_id, values, by=audit_context(request)),
        lambda errors: _canned_edit_page(request, canned_id, values, errors),
        "/admin/support/canned?done=canned_saved",
    )


@post("/admin/support/canned/{canned_id:int}/delete", authz=CANNED_WRITE)
async def canned_delete(request: Request[Any, Any, Any], canned_id: FromPath[int]) -> Response[Any]:
    """Delete a canned response."""
    await staff_settings.delete_canned(canned_id, by=audit_context(request))
    return redirect(request, "/admin/support/canned?done=canned_deleted")


ROUTES = [
    departments_list,
    department_create,
    department_edit,
    department_save,
    department_delete,
    canned_list,
    canned_create,
    canned_edit,
    canned_save,
    canned_delete,
]


def router() -> Router:
    """The desk's settings pages."""
    return Router(path="/", route_handlers=ROUTES, include_in_schema=False)
