"""Staff's downloads editor under /admin/downloads: files (uploads) and categories.

Needs `download:*` on the platform (staff:admin, and staff:support through
`plugin.py`). The upload forms are mounted with a request-size limit taken from the
`max_upload_mb` setting (see `plugin.py` and `config.request_limit`); the guard runs
before a body is read, so only staff can send one that large.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from panel.core import uploads
from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires
from panel.core.downloads import services
from panel.core.downloads.config import AREA, max_upload_bytes
from panel.core.web.pages import allowed, page, redirect
from panel.errors import ValidationFailed

OBJ = "download:*"
LIST = requires(OBJ, "list", scope="platform")
CREATE = requires(OBJ, "create", scope="platform")
UPDATE = requires(OBJ, "update", scope="platform")
DELETE = requires(OBJ, "delete", scope="platform")
READ_FILE = requires("download:{file_id}", "read", scope="platform")

NOTICES = {
    "created": "The file was added.",
    "saved": "The file was saved.",
    "deleted": "The file was deleted.",
    "category_created": "The category was created.",
    "category_saved": "The category was saved.",
    "category_deleted": "The category was deleted.",
}
FILE_FIELDS = ("title", "description", "category", "public")
CATEGORY_FIELDS = ("name", "description", "sort")


def _can(request: Request[Any, Any, Any]) -> dict[str, bool]:
    return {a: allowed(request, OBJ, a, "platform") for a in ("create", "update", "delete")}


def _limit_mb(request: Request[Any, Any, Any]) -> int:
    return max_upload_bytes(request.app.state.settings) // (1024 * 1024)


# -- files -------------------------------------------------------------------------------


@get("/admin/downloads", authz=LIST)
async def file_list(
    request: Request[Any, Any, Any],
    category: FromQuery[str] = "",
    page_no: FromQuery[int] = 1,
    done: FromQuery[str] = "",
) -> Template:
    """Every file with who may get it and its download count, by category, fifty a page."""
    size = services.ADMIN_PAGE_SIZE
    category_id = int(category) if category.isdigit() else None
    found = await services.admin_files(size, (max(page_no, 1) - 1) * size, category_id)
    query = {"category": category} if category else {}
    return await page(
        request,
        "downloads/admin_files.html",
        area="admin",
        found=found,
        categories=await services.all_categories(),
        category=category,
        page_url=lambda n: "/admin/downloads?" + urlencode({**query, "page_no": n}),
        notice=NOTICES.get(done, ""),
        can=_can(request),
    )


async def _file_form(
    request: Request[Any, Any, Any],
    item: services.FileView | None,
    values: dict[str, Any],
    chosen: list[int],
    errors: dict[str, str] | None = None,
) -> Template:
    categories = await services.all_categories()
    return await page(
        request,
        "downloads/admin_file_form.html",
        area="admin",
        status_code=422 if errors else 200,
        item=item,
        v=values,
        e=errors or {},
        chosen=chosen,
        category_choices=[("", "Choose…")] + [(str(c.id), c.name) for c in categories],
        products=await services.product_choices(),
        limit_mb=_limit_mb(request),
        can=_can(request),
    )


async def _read_form(request: Request[Any, Any, Any]) -> tuple[dict[str, Any], list[str], Any]:
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in FILE_FIELDS}
    return values, [str(p) for p in form.getall("products", [])], form.get("file")


def _chosen(product_ids: list[str]) -> list[int]:
    return [int(p) for p in product_ids if p.isdigit()]


@get("/admin/downloads/new", authz=CREATE)
async def new_file(request: Request[Any, Any, Any], category: FromQuery[str] = "") -> Template:
    """An empty file form."""
    return await _file_form(request, None, {"category": category}, [])


@post("/admin/downloads", authz=CREATE)
async def create_file(request: Request[Any, Any, Any]) -> Response[Any]:
    """Upload a file and describe it."""
    values, product_ids, upload = await _read_form(request)
    try:
        await services.save_file(
            None,
            values,
            product_ids,
            upload,
            max_bytes=max_upload_bytes(request.app.state.settings),
            user_id=request.state.user_id,
            by=audit_context(request),
        )
    except ValidationFailed as exc:
        return await _file_form(request, None, values, _chosen(product_ids), exc.errors)
    return redirect(request, "/admin/downloads?done=created")


@get("/admin/downloads/{file_id:int}", authz=UPDATE)
async def edit_file(request: Request[Any, Any, Any], file_id: FromPath[int]) -> Template:
    """The form to change a file's details, who may get it, or its bytes."""
    item = await services.get_file(file_id)
    values = {
        "title": item.title,
        "description": item.description,
        "category": str(item.category_id),
        "public": "on" if item.public else "",
    }
    return await _file_form(request, item, values, item.product_ids)


@post("/admin/downloads/{file_id:int}", authz=UPDATE)
async def update_file(request: Request[Any, Any, Any], file_id: FromPath[int]) -> Response[Any]:
    """Save a file's details; a newly chosen file replaces the stored one."""
    item = await services.get_file(file_id)
    values, product_ids, upload = await _read_form(request)
    try:
        await services.save_file(
            file_id,
            values,
            product_ids,
            upload,
            max_bytes=max_upload_bytes(request.app.state.settings),
            user_id=request.state.user_id,
            by=audit_context(request),
        )
    except ValidationFailed as exc:
        return await _file_form(request, item, values, _chosen(product_ids), exc.errors)
    return redirect(request, "/admin/downloads?done=saved")


@get("/admin/downloads/{file_id:int}/file", authz=READ_FILE)
async def staff_file(request: Request[Any, Any, Any], file_id: FromPath[int]) -> Response[Any]:
    """The stored file, for staff to check (not counted)."""
    item = await services.get_file(file_id)
    return uploads.file_response(AREA, item.stored(), inline=False)


@post("/admin/downloads/{file_id:int}/delete", authz=DELETE)
async def delete_file(request: Request[Any, Any, Any], file_id: FromPath[int]) -> Response[Any]:
    """Delete a file and its bytes."""
    await services.delete_file(file_id, by=audit_context(request))
    return redirect(request, "/admin/downloads?done=deleted")


# -- categories --------------------------------------------------------------------------


async def _categories_page(
    request: Request[Any, Any, Any],
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
) -> Template:
    return await page(
        request,
        "downloads/admin_categories.html",
        area="admin",
        status_code=422 if errors else 200,
        categories=await services.all_categories(),
        v=values or {},
        e=errors or {},
        notice=NOTICES.get(notice, ""),
        can=_can(request),
    )


@get("/admin/downloads/categories", authz=LIST)
async def category_list(request: Request[Any, Any, Any], done: FromQuery[str] = "") -> Template:
    """Categories in display order with their file counts, and a form to add one."""
    return await _categories_page(request, notice=done)


@post("/admin/downloads/categories", authz=CREATE)
async def create_category(request: Request[Any, Any, Any]) -> Response[Any]:
    """Add a category."""
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in CATEGORY_FIELDS}
    try:
        await services.save_category(None, values, by=audit_context(request))
    except ValidationFailed as exc:
        return await _categories_page(request, values, exc.errors)
    return redirect(request, "/admin/downloads/categories?done=category_created")


@get("/admin/downloads/categories/{category_id:int}", authz=UPDATE)
async def edit_category(request: Request[Any, Any, Any], category_id: FromPath[int]) -> Template:
    """The form to change a category."""
    category = await services.get_category(category_id)
    values = {"name": category.name, "description": category.description, "sort": str(category.sort)}
    return await page(
        request,
        "downloads/admin_category_form.html",
        area="admin",
        category=category,
        v=values,
        e={},
        can=_can(request),
    )


@post("/admin/downloads/categories/{category_id:int}", authz=UPDATE)
async def update_category(request: Request[Any, Any, Any], category_id: FromPath[int]) -> Response[Any]:
    """Save a category."""
    category = await services.get_category(category_id)
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in CATEGORY_FIELDS}
    try:
        await services.save_category(category_id, values, by=audit_context(request))
    except ValidationFailed as exc:
        return await page(
            request,
            "downloads/admin_category_form.html",
            area="admin",
            status_code=422,
            category=category,
            v=values,
            e=exc.errors,
            can=_can(request),
        )
    return redirect(request, "/admin/downloads/categories?done=category_saved")


@post("/admin/downloads/categories/{category_id:int}/delete", authz=DELETE)
async def delete_category(request: Request[Any, Any, Any], category_id: FromPath[int]) -> Response[Any]:
    """Delete an empty category; one that holds files is refused with the reason."""
    await services.delete_category(category_id, by=audit_context(request))
    return redirect(request, "/admin/downloads/categories?done=category_deleted")


UPLOAD_ROUTES = [create_file, update_file]
"""The routes that receive files: mounted with the upload size limit."""

ROUTES = [
    file_list,
    new_file,
    edit_file,
    staff_file,
    delete_file,
    category_list,
    create_category,
    edit_category,
    update_category,
    delete_category,
]
