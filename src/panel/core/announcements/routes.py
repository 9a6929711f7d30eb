"""Announcement pages: the public list and page, and staff's editor under /admin/announcements.

Reading is open to everyone (logged-out visitors included); members see the pages in
the client area's frame when the rules engine lets them read `announcement:*` in the
current account. Writing needs `announcement:*` on the platform (staff:admin and
staff:support, see `plugin.py`).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from panel.core.announcements import services
from panel.core.audit.context import audit_context
from panel.core.authz.guard import PUBLIC, requires
from panel.core.content.forms import form_page, markdown_preview, submit_or_preview
from panel.core.web.pages import allowed, page, redirect

OBJ = "announcement:*"
ADMIN_LIST = requires(OBJ, "list", scope="platform")
ADMIN_CREATE = requires(OBJ, "create", scope="platform")
ADMIN_UPDATE = requires("announcement:{announcement_id}", "update", scope="platform")
ADMIN_DELETE = requires("announcement:{announcement_id}", "delete", scope="platform")

NOTICES = {
    "created": "The announcement was created.",
    "saved": "The announcement was saved.",
    "deleted": "The announcement was deleted.",
}
FIELDS = ("title", "body", "publish_at", "published")


def reader_area(request: Request[Any, Any, Any]) -> str:
    """The client area's frame for members who may read announcements here, else the public one."""
    account_id = request.state.get("account_id")
    if account_id is not None and allowed(request, OBJ, "read", f"acct:{account_id}"):
        return "client"
    return "public"


# -- everyone ----------------------------------------------------------------------------


@get("/announcements", authz=PUBLIC)
async def announcement_list(request: Request[Any, Any, Any], page_no: FromQuery[int] = 1) -> Template:
    """Published announcements, newest first, ten a page."""
    size = services.PAGE_SIZE
    found = await services.visible_page(size, (max(page_no, 1) - 1) * size)
    return await page(
        request,
        "announcements/list.html",
        area=reader_area(request),
        found=found,
        page_url=lambda n: f"/announcements?page_no={n}",
    )


@get("/announcements/{announcement_id:int}", authz=PUBLIC)
async def announcement_page(request: Request[Any, Any, Any], announcement_id: FromPath[int]) -> Template:
    """One published announcement; a draft or one scheduled for later is 404."""
    item = await services.get_visible(announcement_id)
    return await page(request, "announcements/detail.html", area=reader_area(request), item=item)


# -- staff -------------------------------------------------------------------------------


@get("/admin/announcements", authz=ADMIN_LIST)
async def admin_list(
    request: Request[Any, Any, Any], page_no: FromQuery[int] = 1, done: FromQuery[str] = ""
) -> Template:
    """Every announcement with its state (draft, scheduled, published), fifty a page."""
    size = services.ADMIN_PAGE_SIZE
    found = await services.admin_page(size, (max(page_no, 1) - 1) * size)
    return await page(
        request,
        "announcements/admin_list.html",
        area="admin",
        found=found,
        now=services.utc_now(),
        page_url=lambda n: f"/admin/announcements?page_no={n}",
        notice=NOTICES.get(done, ""),
        can_create=allowed(request, OBJ, "create", "platform"),
    )


async def _form_page(
    request: Request[Any, Any, Any],
    item: services.AnnouncementView | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    preview: bool = False,
) -> Template:
    return await form_page(
        request,
        "announcements/admin_form.html",
        values,
        errors,
        item=item,
        preview=markdown_preview(values) if preview else None,
        can_delete=item is not None and allowed(request, f"announcement:{item.id}", "delete", "platform"),
    )


async def _submit(request: Request[Any, Any, Any], item: services.AnnouncementView | None) -> Response[Any]:
    """Save the posted form as a new (`item` None) or changed announcement, or preview its text."""
    item_id = item.id if item is not None else None
    return await submit_or_preview(
        request,
        FIELDS,
        "announcements/_preview.html",
        lambda values, errors, preview: _form_page(request, item, values, errors, preview),
        lambda values: services.save(item_id, values, user_id=request.state.user_id, by=audit_context(request)),
        "/admin/announcements?done=saved" if item is not None else _created,
    )


def _created(new_id: int) -> str:
    return f"/admin/announcements?done=created#announcement-{new_id}"


@get("/admin/announcements/new", authz=ADMIN_CREATE)
async def new_form(request: Request[Any, Any, Any]) -> Template:
    """An empty announcement form (publish time: now)."""
    values = {"publish_at": services.utc_now().strftime(services.INPUT_FORMAT), "published": "on"}
    return await _form_page(request, None, values)


@post("/admin/announcements", authz=ADMIN_CREATE)
async def create(request: Request[Any, Any, Any]) -> Response[Any]:
    """Create an announcement, or show a preview of the text (the `Preview` button)."""
    return await _submit(request, None)


@get("/admin/announcements/{announcement_id:int}", authz=ADMIN_UPDATE)
async def edit_form(request: Request[Any, Any, Any], announcement_id: FromPath[int]) -> Template:
    """The form to change an announcement, drafts and scheduled ones included."""
    item = await services.get(announcement_id)
    values = {
        "title": item.title,
        "body": item.body,
        "publish_at": item.publish_at_input,
        "published": "on" if item.published else "",
    }
    return await _form_page(request, item, values)


@post("/admin/announcements/{announcement_id:int}", authz=ADMIN_UPDATE)
async def update(request: Request[Any, Any, Any], announcement_id: FromPath[int]) -> Response[Any]:
    """Save an announcement, or show a preview of the text."""
    return await _submit(request, await services.get(announcement_id))


@post("/admin/announcements/{announcement_id:int}/delete", authz=ADMIN_DELETE)
async def delete(request: Request[Any, Any, Any], announcement_id: FromPath[int]) -> Response[Any]:
    """Delete an announcement."""
    await services.delete(announcement_id, by=audit_context(request))
    return redirect(request, "/admin/announcements?done=deleted")


ROUTES = [announcement_list, announcement_page, admin_list, new_form, create, edit_form, update, delete]
