"""The knowledgebase: categories and articles as readers see them and as staff write them.

Readers only ever get published articles; an unpublished one answers 404 like one
that does not exist. Search is in `search.py`, helpful votes in `votes.py`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from panel.core import db
from panel.core.audit.services import AuditContext, record
from panel.core.content import categories as shared_categories
from panel.core.content.categories import CategoryKind, category_fields, write_category
from panel.core.knowledgebase.tables import KbArticle, KbCategory
from panel.core.paging import Page
from panel.core.stores.validation import as_bool
from panel.errors import NotFound, ValidationFailed
from panel.markdown import plain, render

PAGE_SIZE = 20
ADMIN_PAGE_SIZE = 50
MAX_CATEGORIES = 500  # the index and the article form show every category; more is not a knowledgebase
MAX_BODY = 200_000
MAX_TAGS = 300
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,118}[a-z0-9])?$")
RESERVED_SLUGS = frozenset({"search", "article"})  # /knowledgebase/search and /knowledgebase/article/...
MARKS = ("\ue000", "\ue001")  # search snippets mark matches with these; they never occur in indexed text


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def slugify(text: str, limit: int = 80) -> str:
    """Lower-case ASCII words joined by dashes: `Setting up DNS` -> `setting-up-dns`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-")


def words_of(body: str) -> str:
    """The words of a Markdown body without markup: what search indexes and quotes."""
    text = plain(body, limit=MAX_BODY)
    return text.replace(MARKS[0], " ").replace(MARKS[1], " ")


def clean_tags(raw: str) -> str:
    """Tags as stored: lower case, comma separated, each once, in the order given."""
    seen: list[str] = []
    for part in raw.split(","):
        tag = " ".join(part.strip().lower().split())
        if tag and tag not in seen:
            seen.append(tag)
    return ",".join(seen)


# -- views -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryView:
    """A category with how many published articles it holds (its own, not its children's)."""

    id: int
    name: str
    slug: str
    description: str
    sort: int
    parent_id: int | None
    articles: int = 0
    children: list[CategoryView] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Published articles here and in its sub-categories."""
        return self.articles + sum(c.total for c in self.children)


@dataclass(frozen=True)
class ArticleRow:
    """An article in a list."""

    id: int
    title: str
    slug: str
    summary: str
    published: bool
    category_name: str
    views: int
    helpful_yes: int
    helpful_no: int
    updated_at: datetime


@dataclass(frozen=True)
class ArticleView:
    """An article as its page shows it."""

    id: int
    title: str
    slug: str
    body: str
    tags: list[str]
    published: bool
    views: int
    helpful_yes: int
    helpful_no: int
    updated_at: datetime
    category: CategoryView

    @property
    def html(self) -> Markup:
        """The body as safe HTML."""
        return render(self.body)


def _aware(value: Any) -> datetime:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _category(row: Mapping[str, Any], articles: int = 0) -> CategoryView:
    return CategoryView(
        id=row["id"],
        name=row["name"],
        slug=row["slug"],
        description=row["description"],
        sort=row["sort"],
        parent_id=row["parent"],
        articles=articles,
    )


CATEGORIES = CategoryKind(
    KbCategory, KbArticle.category, "kb.category", "knowledgebase:category", "Knowledgebase category", "article"
)

CATEGORY_COLUMNS = (
    KbCategory.id,
    KbCategory.name,
    KbCategory.slug,
    KbCategory.description,
    KbCategory.sort,
    KbCategory.parent,
)


# -- categories --------------------------------------------------------------------------


async def category_tree() -> list[CategoryView]:
    """Top-level categories, each with its sub-categories, with published-article counts (one query)."""
    sql = (
        "SELECT c.id, c.name, c.slug, c.description, c.sort, c.parent,"
        " (SELECT count(*) FROM panel_kb_article a WHERE a.category = c.id AND a.published = {}) AS articles"
        " FROM panel_kb_category c ORDER BY c.sort, c.name, c.id LIMIT {}"
    )
    rows = await KbCategory.raw(sql, True, MAX_CATEGORIES)
    views = {r["id"]: _category(r, int(r["articles"])) for r in rows}
    top: list[CategoryView] = []
    for view in views.values():
        parent = views.get(view.parent_id) if view.parent_id is not None else None
        (parent.children if parent is not None and parent is not view else top).append(view)
    return top


async def all_categories() -> list[CategoryView]:
    """Every category, in display order (for choosing one; one query)."""
    rows = (
        await KbCategory.select(*CATEGORY_COLUMNS)
        .order_by(KbCategory.sort)
        .order_by(KbCategory.name)
        .limit(MAX_CATEGORIES)
    )
    return [_category(r) for r in rows]


async def categories_page(limit: int, offset: int) -> Page[CategoryView]:
    """Categories in display order with their published-article counts, for staff (two queries)."""
    sql = (
        "SELECT c.id, c.name, c.slug, c.description, c.sort, c.parent,"
        " (SELECT count(*) FROM panel_kb_article a WHERE a.category = c.id) AS articles"
        " FROM panel_kb_category c ORDER BY c.sort, c.name, c.id LIMIT {} OFFSET {}"
    )
    rows = await KbCategory.raw(sql, limit, offset)
    return Page([_category(r, int(r["articles"])) for r in rows], await KbCategory.count(), limit, offset)


async def get_category(category_id: int) -> CategoryView:
    """One category; NotFound if there is none."""
    row = await KbCategory.select(*CATEGORY_COLUMNS).where(KbCategory.id == category_id).first()
    if row is None:
        raise NotFound("There is no such category.")
    return _category(row)


async def category_by_slug(slug: str) -> tuple[CategoryView, CategoryView | None, list[CategoryView]]:
    """A category by its address, its parent (or None) and its sub-categories with counts (two queries)."""
    row = await KbCategory.select(*CATEGORY_COLUMNS).where(KbCategory.slug == slug).first()
    if row is None:
        raise NotFound("There is no such category.")
    category = _category(row)
    sql = (
        "SELECT c.id, c.name, c.slug, c.description, c.sort, c.parent,"
        " (SELECT count(*) FROM panel_kb_article a WHERE a.category = c.id AND a.published = {}) AS articles"
        " FROM panel_kb_category c WHERE c.parent = {} OR c.id = {} ORDER BY c.sort, c.name, c.id LIMIT {}"
    )
    related = await KbCategory.raw(sql, True, category.id, category.parent_id or 0, MAX_CATEGORIES)
    parent = next((_category(r) for r in related if r["id"] == category.parent_id), None)
    children = [_category(r, int(r["articles"])) for r in related if r["parent"] == category.id]
    return category, parent, children


async def _check_parent(category_id: int | None, parent_id: int | None, errors: dict[str, str]) -> None:
    """The parent must exist and must not be the category itself or one of its descendants."""
    seen: set[int] = set()
    current = parent_id
    while current is not None and current not in seen:
        if current == category_id:
            errors["parent"] = "A category cannot sit inside itself."
            return
        seen.add(current)
        row = await KbCategory.select(KbCategory.parent).where(KbCategory.id == current).first()
        if row is None:
            errors["parent"] = "Choose a category from the list."
            return
        current = row["parent"]


async def save_category(category_id: int | None, values: Mapping[str, Any], *, by: AuditContext) -> int:
    """Create (id None) or change a category from form values; returns its id."""
    errors: dict[str, str] = {}
    data = category_fields(values, errors)
    slug = str(values.get("slug") or "").strip().lower() or slugify(data["name"])
    raw_parent = str(values.get("parent") or "").strip()
    parent_id = int(raw_parent) if raw_parent.isdigit() else None
    if not SLUG_RE.match(slug) or len(slug) > 80:
        errors["slug"] = "Use 1 to 80 lower-case letters, digits and dashes (not at either end), like getting-started."
    elif slug in RESERVED_SLUGS:
        errors["slug"] = f"“{slug}” is taken by the knowledgebase itself; choose another address."
    else:
        clash = await KbCategory.select(KbCategory.id).where(KbCategory.slug == slug).first()
        if clash is not None and clash["id"] != category_id:
            errors["slug"] = "Another category has this address."
    await _check_parent(category_id, parent_id, errors)
    if errors:
        raise ValidationFailed(errors)
    return await write_category(CATEGORIES, category_id, {**data, "slug": slug, "parent": parent_id}, by=by)


async def delete_category(category_id: int, *, by: AuditContext) -> None:
    """Delete an empty category (its sub-categories move to the top level); InUse if it holds articles."""
    await shared_categories.delete_category(CATEGORIES, category_id, by=by)


# -- articles ----------------------------------------------------------------------------

_LIST_SQL = (
    "SELECT a.id, a.title, a.slug, substr(a.search_text, 1, 400) AS words, a.published, a.views,"
    " a.helpful_yes, a.helpful_no, a.updated_at, c.name AS category_name"
    " FROM panel_kb_article a JOIN panel_kb_category c ON c.id = a.category"
)


def _row(r: Mapping[str, Any]) -> ArticleRow:
    words = " ".join(str(r["words"] or "").split())
    summary = words if len(words) <= 200 else words[:199].rstrip() + "…"
    return ArticleRow(
        id=r["id"],
        title=r["title"],
        slug=r["slug"],
        summary=summary,
        published=bool(r["published"]),
        category_name=r["category_name"],
        views=int(r["views"]),
        helpful_yes=int(r["helpful_yes"]),
        helpful_no=int(r["helpful_no"]),
        updated_at=_aware(r["updated_at"]),
    )


async def category_articles(category_id: int, limit: int, offset: int) -> Page[ArticleRow]:
    """A category's published articles by title (two queries)."""
    sql = f"{_LIST_SQL} WHERE a.category = {{}} AND a.published = {{}} ORDER BY a.title, a.id LIMIT {{}} OFFSET {{}}"
    rows = await KbArticle.raw(sql, category_id, True, limit, offset)
    total = await KbArticle.count().where((KbArticle.category == category_id) & (KbArticle.published == True))  # noqa: E712
    return Page([_row(r) for r in rows], total, limit, offset)


async def admin_articles(limit: int, offset: int, category_id: int | None = None) -> Page[ArticleRow]:
    """Every article, drafts included, latest change first, optionally of one category (two queries)."""
    where, args = ("WHERE a.category = {}", [category_id]) if category_id else ("", [])
    sql = f"{_LIST_SQL} {where} ORDER BY a.updated_at DESC, a.id DESC LIMIT {{}} OFFSET {{}}"
    rows = await KbArticle.raw(sql, *args, limit, offset)
    counting = KbArticle.count()
    total = await (counting.where(KbArticle.category == category_id) if category_id else counting)
    return Page([_row(r) for r in rows], total, limit, offset)


ARTICLE_COLUMNS = (
    KbArticle.id,
    KbArticle.title,
    KbArticle.slug,
    KbArticle.body,
    KbArticle.tags,
    KbArticle.published,
    KbArticle.views,
    KbArticle.helpful_yes,
    KbArticle.helpful_no,
    KbArticle.updated_at,
    KbArticle.category.id.as_alias("c_id"),
    KbArticle.category.name.as_alias("c_name"),
    KbArticle.category.slug.as_alias("c_slug"),
    KbArticle.category.description.as_alias("c_description"),
    KbArticle.category.sort.as_alias("c_sort"),
    KbArticle.category.parent.as_alias("c_parent"),
)


def _article(row: Mapping[str, Any]) -> ArticleView:
    category = CategoryView(
        id=row["c_id"],
        name=row["c_name"],
        slug=row["c_slug"],
        description=row["c_description"],
        sort=row["c_sort"],
        parent_id=row["c_parent"],
    )
    return ArticleView(
        id=row["id"],
        title=row["title"],
        slug=row["slug"],
        body=row["body"],
        tags=[t for t in str(row["tags"] or "").split(",") if t],
        published=bool(row["published"]),
        views=int(row["views"]),
        helpful_yes=int(row["helpful_yes"]),
        helpful_no=int(row["helpful_no"]),
        updated_at=_aware(row["updated_at"]),
        category=category,
    )


async def published_article(slug: str) -> ArticleView:
    """A published article by its address (one query); NotFound for a draft or an unknown address."""
    row = (
        await KbArticle.select(*ARTICLE_COLUMNS)
        .where((KbArticle.slug == slug) & (KbArticle.published == True))  # noqa: E712
        .first()
    )
    if row is None:
        raise NotFound("There is no such article.")
    return _article(row)


async def get_article(article_id: int) -> ArticleView:
    """Any article, drafts included (staff)."""
    row = await KbArticle.select(*ARTICLE_COLUMNS).where(KbArticle.id == article_id).first()
    if row is None:
        raise NotFound("There is no such article.")
    return _article(row)


async def count_view(article_id: int) -> None:
    """Add one to the article's views (one UPDATE; the search index is not touched)."""
    await KbArticle.update({KbArticle.views: KbArticle.views + 1}).where(KbArticle.id == article_id)


async def _free_slug(base: str, article_id: int | None) -> str:
    """`base`, or `base-2`, `base-3` ... whichever no other article uses."""
    taken = {
        r["slug"]
        for r in await KbArticle.select(KbArticle.slug, KbArticle.id).where(KbArticle.slug.like(f"{base}%"))
        if r["id"] != article_id
    }
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


async def clean_article(article_id: int | None, values: Mapping[str, Any]) -> dict[str, Any]:
    """The article form's values checked and typed; raises ValidationFailed naming each bad field."""
    errors: dict[str, str] = {}
    title = str(values.get("title") or "").strip()
    body = str(values.get("body") or "").replace("\r\n", "\n")
    given_slug = str(values.get("slug") or "").strip().lower()
    raw_category = str(values.get("category") or "").strip()
    tags = clean_tags(str(values.get("tags") or ""))
    if not title or len(title) > 200:
        errors["title"] = "Give a title of 1 to 200 characters."
    if len(body) > MAX_BODY:
        errors["body"] = f"Keep the text to {MAX_BODY:,} characters."
    if len(tags) > MAX_TAGS:
        errors["tags"] = f"Keep the tags to {MAX_TAGS} characters in all."
    category_id = int(raw_category) if raw_category.isdigit() else None
    if category_id is None or await KbCategory.count().where(KbCategory.id == category_id) == 0:
        errors["category"] = "Choose a category."
    slug = given_slug
    if given_slug:
        if not SLUG_RE.match(given_slug):
            errors["slug"] = "Use lower-case letters, digits and dashes (not at either end), like reset-your-password."
        else:
            clash = await KbArticle.select(KbArticle.id).where(KbArticle.slug == given_slug).first()
            if clash is not None and clash["id"] != article_id:
                errors["slug"] = "Another article has this address."
    elif title:
        slug = await _free_slug(slugify(title, 110) or "article", article_id)
    if errors:
        raise ValidationFailed(errors)
    return {
        "title": title,
        "slug": slug,
        "body": body,
        "search_text": words_of(body),
        "tags": tags,
        "category": category_id,
        "published": as_bool(values.get("published")),
    }


async def save_article(
    article_id: int | None, values: Mapping[str, Any], *, user_id: int | None, by: AuditContext
) -> int:
    """Create (id None) or change an article from form values; returns its id."""
    data = await clean_article(article_id, values)
    async with db.write_transaction():
        if article_id is None:
            row = await KbArticle.insert(KbArticle(**data, author=user_id)).returning(KbArticle.id)
            article_id = int(row[0]["id"])
            action, verb = "kb.article.create", "created"
        else:
            await get_article(article_id)
            changes: dict[Any, Any] = {**data, KbArticle.updated_at: utc_now()}
            await KbArticle.update(changes).where(KbArticle.id == article_id)
            action, verb = "kb.article.update", "changed"
        await record(
            action, account_id=None, target=f"knowledgebase:article:{article_id}",
            summary=f"Knowledgebase article “{data['title']}” {verb}",
            details={"published": data["published"], "slug": data["slug"]}, **by,
        )  # fmt: skip
    return article_id


async def delete_article(article_id: int, *, by: AuditContext) -> None:
    """Delete an article and its votes."""
    async with db.write_transaction():
        article = await get_article(article_id)
        await KbArticle.delete().where(KbArticle.id == article_id)
        await record(
            "kb.article.delete", account_id=None, target=f"knowledgebase:article:{article_id}",
            summary=f"Knowledgebase article “{article.title}” deleted", **by,
        )  # fmt: skip
