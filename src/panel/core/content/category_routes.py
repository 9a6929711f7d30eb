"""Staff's category pages, the same for the knowledgebase and downloads: list, add, change, delete.

A feature describes its pages in a `CategoryPages` (where they live, its rules-engine
object, its services, its two templates and what else they show) and mounts
`category_routes(...)`.
The handlers are the same five either way:

* `GET <path>`: the categories and a form to add one (needs `list`);
* `POST <path>`: add one (`create`); refused, the list again with the errors;
* `GET <path>/{id}` and `POST <path>/{id}`: the form to change one, and saving it (`update`);
* `POST <path>/{id}/delete`: delete an empty one (`delete`); one that holds something
  answers 409 with the reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from panel.core.audit.context import audit_context
from panel.core.audit.services import AuditContext
from panel.core.authz.guard import requires
from panel.core.content.forms import form_page, form_values, staff_can, submit
from panel.core.web.pages import redirect

C = TypeVar("C")


class SaveCategory(Protocol):
    """`save(category_id, values, by=...)`: create (id None) or change a category; its id."""

    def __call__(self, category_id: int | None, values: Mapping[str, Any], *, by: AuditContext) -> Awaitable[int]:
        """Save the category; ValidationFailed names each bad field."""
        ...


class DeleteCategory(Protocol):
    """`delete(category_id, by=...)`: delete an empty category (InUse otherwise)."""

    def __call__(self, category_id: int, *, by: AuditContext) -> Awaitable[None]:
        """Delete the category."""
        ...


@dataclass(frozen=True)
class CategoryPages(Generic[C]):
    """One feature's category pages: address, rules-engine object, form fields, services and pages.

    `current(category)` is the edit form's values for a category as it is. Both pages
    get `v`, `e`, `can` (create/update/delete buttons) and, for the list, `notice`;
    `list_context(page_no)` and `edit_context(category)` add what else the feature's
    templates show (the categories, choices for a parent ...).
    """

    path: str
    obj: str
    fields: tuple[str, ...]
    notices: Mapping[str, str]
    get: Callable[[int], Awaitable[C]]
    save: SaveCategory
    delete: DeleteCategory
    current: Callable[[C], dict[str, str]]
    list_template: str
    list_context: Callable[[int], Awaitable[dict[str, Any]]]
    edit_template: str
    edit_context: Callable[[C], Awaitable[dict[str, Any]]]


def category_routes(pages: CategoryPages[C]) -> list[HTTPRouteHandler]:
    """The five category handlers of `pages`, guarded by the rules engine on `pages.obj`."""
    path = pages.path

    async def list_page(
        request: Request[Any, Any, Any],
        page_no: int = 1,
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        notice: str = "",
    ) -> Template:
        return await form_page(
            request,
            pages.list_template,
            values or {},
            errors,
            notice=pages.notices.get(notice, ""),
            can=staff_can(request, pages.obj),
            **await pages.list_context(page_no),
        )

    async def edit_page(
        request: Request[Any, Any, Any], category: C, values: dict[str, Any], errors: dict[str, str] | None = None
    ) -> Template:
        return await form_page(
            request,
            pages.edit_template,
            values,
            errors,
            category=category,
            can=staff_can(request, pages.obj),
            **await pages.edit_context(category),
        )

    @get(path, authz=requires(pages.obj, "list", scope="platform"))
    async def category_list(
        request: Request[Any, Any, Any], page_no: FromQuery[int] = 1, done: FromQuery[str] = ""
    ) -> Template:
        """Categories in display order with what each holds, and a form to add one."""
        return await list_page(request, page_no, notice=done)

    @post(path, authz=requires(pages.obj, "create", scope="platform"))
    async def create_category(request: Request[Any, Any, Any]) -> Response[Any]:
        """Add a category."""
        values = await form_values(request, pages.fields)
        return await submit(
            request,
            lambda: pages.save(None, values, by=audit_context(request)),
            lambda errors: list_page(request, values=values, errors=errors),
            f"{path}?done=category_created",
        )

    @get(f"{path}/{{category_id:int}}", authz=requires(pages.obj, "update", scope="platform"))
    async def edit_category(request: Request[Any, Any, Any], category_id: FromPath[int]) -> Template:
        """The form to change a category."""
        category = await pages.get(category_id)
        return await edit_page(request, category, pages.current(category))

    @post(f"{path}/{{category_id:int}}", authz=requires(pages.obj, "update", scope="platform"))
    async def update_category(request: Request[Any, Any, Any], category_id: FromPath[int]) -> Response[Any]:
        """Save a category."""
        category = await pages.get(category_id)
        values = await form_values(request, pages.fields)
        return await submit(
            request,
            lambda: pages.save(category_id, values, by=audit_context(request)),
            lambda errors: edit_page(request, category, values, errors),
            f"{path}?done=category_saved",
        )

    @post(f"{path}/{{category_id:int}}/delete", authz=requires(pages.obj, "delete", scope="platform"))
    async def delete_category(request: Request[Any, Any, Any], category_id: FromPath[int]) -> Response[Any]:
        """Delete an empty category; one that still holds something is refused with the reason."""
        await pages.delete(category_id, by=audit_context(request))
        return redirect(request, f"{path}?done=category_deleted")

    return [category_list, create_category, edit_category, update_category, delete_category]
