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
from panel.core.content.category_routes import CategoryPages, category_routes
from panel.core.content.forms import form_page, markdown_preview, staff_can, submit_or_preview
from panel.core.knowledgebase import services
from panel.core.web.pages import page, redirect

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
ARTICLE_FIELDS = ("title", "slug", "category", "tags", "body", "published")
CATEGORY_FIELDS = ("name", "slug", "description", "sort", "parent")


def _can(request: Request[Any, Any, Any]) -> dict[str, bool]:
    return staff_can(request, OBJ)


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
    return await form_page(
        request,
        "knowledgebase/admin_article_form.html",
        values,
        errors,
        article=article,
        category_choices=[("", "Choose…")] + [(str(c.id), c.name) for c in categories],
        preview=markdown_preview(values) if preview else None,
        can=_can(request),
    )


async def _submit_article(request: Request[Any, Any, Any], article: services.ArticleView | None) -> Response[Any]:
    """Save the posted form as a new (`article` None) or changed article, or preview its text."""
    article_id = article.id if article is not None else None
    return await submit_or_preview(
        request,
        ARTICLE_FIELDS,
        "knowledgebase/_preview.html",
        lambda values, errors, preview: _article_form(request, article, values, errors, preview),
        lambda values: services.save_article(
            article_id, values, user_id=request.state.user_id, by=audit_context(request)
        ),
        f"/admin/knowledgebase?done={'saved' if article is not None else 'created'}",
    )


@get("/admin/knowledgebase/articles/new", authz=CREATE)
async def new_article(request: Request[Any, Any, Any], category: FromQuery[str] = "") -> Template:
    """An empty article form."""
    return await _article_form(request, None, {"category": category})


@post("/admin/knowledgebase/articles", authz=CREATE)
async def create_article(request: Request[Any, Any, Any]) -> Response[Any]:
    """Create an article, or preview its text (the `Preview` button)."""
    return await _submit_article(request, None)


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
    return await _submit_article(request, await services.get_article(article_id))


@post("/admin/knowledgebase/articles/{article_id:int}/delete", authz=DELETE)
async def delete_article(request: Request[Any, Any, Any], article_id: FromPath[int]) -> Response[Any]:
    """Delete an article and its votes."""
    await services.delete_article(article_id, by=audit_context(request))
    return redirect(request, "/admin/knowledgebase?done=deleted")


# -- categories --------------------------------------------------------------------------


async def _list_context(page_no: int) -> dict[str, Any]:
    size = services.ADMIN_PAGE_SIZE
    everything = await services.all_categories()
    return {
        "found": await services.categories_page(size, (max(page_no, 1) - 1) * size),
        "names": {c.id: c.name for c in everything},
        "parent_choices": [("", "(top level)")] + [(str(c.id), c.name) for c in everything],
        "page_url": lambda n: f"/admin/knowledgebase/categories?page_no={n}",
    }


async def _edit_context(category: services.CategoryView) -> dict[str, Any]:
    everything = await services.all_categories()
    return {"parent_choices": [("", "(top level)")] + [(str(c.id), c.name) for c in everything if c.id != category.id]}


def _current(category: services.CategoryView) -> dict[str, str]:
    return {
        "name": category.name,
        "slug": category.slug,
        "description": category.description,
        "sort": str(category.sort),
        "parent": str(category.parent_id or ""),
    }


CATEGORY_PAGES = CategoryPages(
    path="/admin/knowledgebase/categories",
    obj=OBJ,
    fields=CATEGORY_FIELDS,
    notices=NOTICES,
    get=services.get_category,
    save=services.save_category,
    delete=services.delete_category,
    current=_current,
    list_template="knowledgebase/admin_categories.html",
    list_context=_list_context,
    edit_template="knowledgebase/admin_category_form.html",
    edit_context=_edit_context,
)

ROUTES = [
    article_list,
    new_article,
    create_article,
    edit_article,
    update_article,
    delete_article,
    *category_routes(CATEGORY_PAGES),
]
