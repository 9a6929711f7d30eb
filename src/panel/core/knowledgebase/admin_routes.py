"""Staff's knowledgebase editor under /admin/knowledgebase: articles and categories.

Needs `knowledgebase:*` on the platform (staff:admin, and staff:support through
`plugin.py`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires
from panel.core.knowledgebase import services
from panel.core.web.pages import allowed, page, redirect
from panel.errors import ValidationFailed
from panel.markdown import render

OBJ = "knowledgebase:*"
LIST = requires(OBJ, "list", scope="platform")
CREATE = requires(OBJ, "create", scope="platform")
UPDATE = requires(OBJ, "update", scope="platform")
DELETE = requires(OBJ, "delete", scope="platform")

NOTICES = {
    "created": "The article was created.",
    "saved": "The article was saved.",
    "deleted": "The article was deleted.",
    "category_created": "The category was created.",
    "category_saved": "The category was saved.",
    "category_deleted": "The category was deleted.",
}
ARTICLE_FIELDS = ("title", "slug", "category", "tags", "body", "published", "action")
CATEGORY_FIELDS = ("name", "slug", "description", "sort", "parent")


def _can(request: Request[Any, Any, Any]) -> dict[str, bool]:
    return {a: allowed(request, OBJ, a, "platform") for a in ("create", "update", "delete")}


async def _form(request: Request[Any, Any, Any], names: tuple[str, ...]) -> dict[str, Any]:
    form = await request.form()
    return {k: str(form.get(k) or "") for k in names}


# -- articles ----------------------------------------------------------------------------


@get("/admin/knowledgebase", authz=LIST)
async def article_list(
    request: Request[Any, Any, Any],
    category: FromQuery[str] = "",
    page_no: FromQuery[int] = 1,
    done: FromQuery[str] = "",
) -> Template:
    """Every article (drafts too), latest change first, fifty a page, filtered by category."""
    size = services.ADMIN_PAGE_SIZE
    category_id = int(category) if category.isdigit() else None
    found = await services.admin_articles(size, (max(page_no, 1) - 1) * size, category_id)
    return await page(
        request,
        "knowledgebase/admin_articles.html",
        area="admin",
        found=found,
        categories=await services.all_categories(),
        category=category,
        page_url=lambda n: (
            "/admin/knowledgebase?" + urlencode({"category": category, "page_no": n} if category else {"page_no": n})
        ),
        notice=NOTICES.get(done, ""),
        can=_can(request),
    )


async def _article_form(
    request: Request[Any, Any, Any],
    article: services.ArticleView | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    preview: bool = False,
) -> Template:
    categories = await services.all_categories()
    return await page(
        request,
        "knowledgebase/admin_article_form.html",
        area="admin",
        status_code=422 if errors else 200,
        article=article,
        v=values,
        e=errors or {},
        category_choices=[("", "Choose…")] + [(str(c.id), c.name) for c in categories],
        preview=render(str(values.get("body") or "")) if preview else None,
        can=_can(request),
    )


def _preview_fragment(values: dict[str, Any]) -> Template:
    return Template("knowledgebase/_preview.html", context={"preview": render(str(values.get("body") or ""))})


@get("/admin/knowledgebase/articles/new", authz=CREATE)
async def new_article(request: Request[Any, Any, Any], category: FromQuery[str] = "") -> Template:
    """An empty article form."""
    return await _article_form(request, None, {"category": category})


@post("/admin/knowledgebase/articles", authz=CREATE)
async def create_article(request: Request[Any, Any, Any]) -> Response[Any]:
    """Create an article, or preview its text (the `Preview` button)."""
    values = await _form(request, ARTICLE_FIELDS)
    if values["action"] == "preview":
        if request.headers.get("hx-request") == "true":
            return _preview_fragment(values)
        return await _article_form(request, None, values, preview=True)
    try:
        await services.save_article(None, values, user_id=request.state.user_id, by=audit_context(request))
    except ValidationFailed as exc:
        return await _article_form(request, None, values, exc.errors)
    return redirect(request, "/admin/knowledgebase?done=created")


@get("/admin/knowledgebase/articles/{article_id:int}", authz=UPDATE)
async def edit_article(request: Request[Any, Any, Any], article_id: FromPath[int]) -> Template:
    """The form to change an article, with its views and helpful counts."""
    article = await services.get_article(article_id)
    values = {
        "title": article.title,
        "slug": article.slug,
        "category": str(article.category.id),
        "tags": ", ".join(article.tags),
        "body": article.body,
        "published": "on" if article.published else "",
    }
    return await _article_form(request, article, values)


@post("/admin/knowledgebase/articles/{article_id:int}", authz=UPDATE)
async def update_article(request: Request[Any, Any, Any], article_id: FromPath[int]) -> Response[Any]:
    """Save an article, or preview its text."""
    article = await services.get_article(article_id)
    values = await _form(request, ARTICLE_FIELDS)
    if values["action"] == "preview":
        if request.headers.get("hx-request") == "true":
            return _preview_fragment(values)
        return await _article_form(request, article, values, preview=True)
    try:
        await services.save_article(article_id, values, user_id=request.state.user_id, by=audit_context(request))
    except ValidationFailed as exc:
        return await _article_form(request, article, values, exc.errors)
    return redirect(request, "/admin/knowledgebase?done=saved")


@post("/admin/knowledgebase/articles/{article_id:int}/delete", authz=DELETE)
async def delete_article(request: Request[Any, Any, Any], article_id: FromPath[int]) -> Response[Any]:
    """Delete an article and its votes."""
    await services.delete_article(article_id, by=audit_context(request))
    return redirect(request, "/admin/knowledgebase?done=deleted")


# -- categories --------------------------------------------------------------------------


async def _categories_page(
    request: Request[Any, Any, Any],
    page_no: int = 1,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
) -> Template:
    size = services.ADMIN_PAGE_SIZE
    found = await services.categories_page(size, (max(page_no, 1) - 1) * size)
    everything = await services.all_categories()
    return await page(
        request,
        "knowledgebase/admin_categories.html",
        area="admin",
        status_code=422 if errors else 200,
        found=found,
        names={c.id: c.name for c in everything},
        parent_choices=[("", "(top level)")] + [(str(c.id), c.name) for c in everything],
        page_url=lambda n: f"/admin/knowledgebase/categories?page_no={n}",
        v=values or {},
        e=errors or {},
        notice=NOTICES.get(notice, ""),
        can=_can(request),
    )


@get("/admin/knowledgebase/categories", authz=LIST)
async def category_list(
    request: Request[Any, Any, Any], page_no: FromQuery[int] = 1, done: FromQuery[str] = ""
) -> Template:
    """Categories in display order with their article counts, and a form to add one."""
    return await _categories_page(request, page_no, notice=done)


@post("/admin/knowledgebase/categories", authz=CREATE)
async def create_category(request: Request[Any, Any, Any]) -> Response[Any]:
    """Add a category."""
    values = await _form(request, CATEGORY_FIELDS)
    try:
        await services.save_category(None, values, by=audit_context(request))
    except ValidationFailed as exc:
        return await _categories_page(request, values=values, errors=exc.errors)
    return redirect(request, "/admin/knowledgebase/categories?done=category_created")


async def _category_form(
    request: Request[Any, Any, Any],
    category: services.CategoryView,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Template:
    everything = await services.all_categories()
    return await page(
        request,
        "knowledgebase/admin_category_form.html",
        area="admin",
        status_code=422 if errors else 200,
        category=category,
        parent_choices=[("", "(top level)")] + [(str(c.id), c.name) for c in everything if c.id != category.id],
        v=values,
        e=errors or {},
        can=_can(request),
    )


@get("/admin/knowledgebase/categories/{category_id:int}", authz=UPDATE)
async def edit_category(request: Request[Any, Any, Any], category_id: FromPath[int]) -> Template:
    """The form to change a category."""
    category = await services.get_category(category_id)
    values = {
        "name": category.name,
        "slug": category.slug,
        "description": category.description,
        "sort": str(category.sort),
        "parent": str(category.parent_id or ""),
    }
    return await _category_form(request, category, values)


@post("/admin/knowledgebase/categories/{category_id:int}", authz=UPDATE)
async def update_category(request: Request[Any, Any, Any], category_id: FromPath[int]) -> Response[Any]:
    """Save a category."""
    category = await services.get_category(category_id)
    values = await _form(request, CATEGORY_FIELDS)
    try:
        await services.save_category(category_id, values, by=audit_context(request))
    except ValidationFailed as exc:
        return await _category_form(request, category, values, exc.errors)
    return redirect(request, "/admin/knowledgebase/categories?done=category_saved")


@post("/admin/knowledgebase/categories/{category_id:int}/delete", authz=DELETE)
async def delete_category(request: Request[Any, Any, Any], category_id: FromPath[int]) -> Response[Any]:
    """Delete an empty category; one that holds articles is refused with the reason."""
    await services.delete_category(category_id, by=audit_context(request))
    return redirect(request, "/admin/knowledgebase/categories?done=category_deleted")


ROUTES = [
    article_list,
    new_article,
    create_article,
    edit_article,
    update_article,
    delete_article,
    category_list,
    create_category,
    edit_category,
    update_category,
    delete_category,
]
