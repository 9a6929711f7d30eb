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
from panel.core.content.category_routes import CategoryPages, category_routes
from panel.core.content.forms import form_ids, form_page, form_values, staff_can, submit
from panel.core.downloads import services
from panel.core.downloads.config import AREA, max_upload_bytes
from panel.core.web.pages import page, redirect

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
    return staff_can(request, OBJ)


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
    return await form_page(
        request,
        "downloads/admin_file_form.html",
        values,
        errors,
        item=item,
        chosen=chosen,
        category_choices=[("", "Choose…")] + [(str(c.id), c.name) for c in categories],
        products=await services.product_choices(),
        limit_mb=_limit_mb(request),
        can=_can(request),
    )


async def _submit_file(request: Request[Any, Any, Any], item: services.FileView | None) -> Response[Any]:
    """Save the posted form (and its upload, if any) as a new (`item` None) or changed file."""
    values = await form_values(request, FILE_FIELDS)
    product_ids = await form_ids(request, "products")
    upload = (await request.form()).get("file")
    file_id = item.id if item is not None else None
    return await submit(
        request,
        lambda: services.save_file(
            file_id,
            values,
            product_ids,
            upload,
            max_bytes=max_upload_bytes(request.app.state.settings),
            user_id=request.state.user_id,
            by=audit_context(request),
        ),
        lambda errors: _file_form(request, item, values, product_ids, errors),
        f"/admin/downloads?done={'saved' if item is not None else 'created'}",
    )


@get("/admin/downloads/new", authz=CREATE)
async def new_file(request: Request[Any, Any, Any], category: FromQuery[str] = "") -> Template:
    """An empty file form."""
    return await _file_form(request, None, {"category": category}, [])


@post("/admin/downloads", authz=CREATE)
async def create_file(request: Request[Any, Any, Any]) -> Response[Any]:
    """Upload a file and describe it."""
    return await _submit_file(request, None)


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
    return await _submit_file(request, await services.get_file(file_id))


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


async def _list_context(page_no: int) -> dict[str, Any]:
    return {"categories": await services.all_categories()}  # at most MAX_CATEGORIES: one page


async def _edit_context(category: services.CategoryView) -> dict[str, Any]:
    return {}


def _current(category: services.CategoryView) -> dict[str, str]:
    return {"name": category.name, "description": category.description, "sort": str(category.sort)}


CATEGORY_PAGES = CategoryPages(
    path="/admin/downloads/categories",
    obj=OBJ,
    fields=CATEGORY_FIELDS,
    notices=NOTICES,
    get=services.get_category,
    save=services.save_category,
    delete=services.delete_category,
    current=_current,
    list_template="downloads/admin_categories.html",
    list_context=_list_context,
    edit_template="downloads/admin_category_form.html",
    edit_context=_edit_context,
)

UPLOAD_ROUTES = [create_file, update_file]
"""The routes that receive files: mounted with the upload size limit."""

ROUTES = [
    file_list,
    new_file,
    edit_file,
    staff_file,
    delete_file,
    *category_routes(CATEGORY_PAGES),
]
