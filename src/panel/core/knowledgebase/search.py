"""Full-text search over published knowledgebase articles, ranked, with highlighted snippets.

Each database does it its own way (chosen by `panel.core.db.is_sqlite()`), both over
the article's title, tags and `search_text` (its words without Markdown), and both
stemming English words (`installing` finds `install`):

* SQLite: an external-content FTS5 table (`panel_kb_article_fts`, porter tokenizer)
  kept in step by triggers; ranked by `bm25()` with the title weighing most, then
  tags. The reader's words never reach FTS5's query language: `fts5_query` keeps
  only word characters and wraps each word (or quoted phrase) in double quotes, so
  `"foo`, `a AND (`, `*`, `NEAR(` are plain words or nothing at all. A word with a
  leading `-` is left out of the results (`NOT`), as PostgreSQL does.
* PostgreSQL: a stored generated `tsvector` column (title weight A, tags B, words C)
  with a GIN index, queried with `websearch_to_tsquery('english', ...)` (which
  accepts any text without a syntax error) and ranked by `ts_rank`.

Snippets come back with matches between private-use marker characters; `_marked`
escapes the text first and only then turns the markers into `<mark>` tags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import nh3
from markupsafe import Markup, escape

from panel.core import db
from panel.core.knowledgebase.services import MARKS
from panel.core.knowledgebase.tables import KbArticle
from panel.core.paging import Page

PAGE_SIZE = 20
MAX_QUERY = 200
MAX_TERMS = 12
LANGUAGE = "english"
WORD_RE = re.compile(r"\w+", re.UNICODE)
CHUNK_RE = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')

# title, search_text, tags: a match in the title counts ten times one in the text
BM25_WEIGHTS = "10.0, 1.0, 4.0"
HEADLINE_OPTIONS = (
    f'StartSel={MARKS[0]}, StopSel={MARKS[1]}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'
)


@dataclass(frozen=True)
class SearchHit:
    """One article found: where it is, a snippet with the matches marked, and its rank."""

    id: int
    title: str
    slug: str
    category_name: str
    category_slug: str
    snippet: Markup
    rank: float


def _quoted(words: list[str]) -> str:
    # word characters only, so there is never a quote inside to escape
    return '"' + " ".join(words) + '"'


def fts5_query(text: str) -> str:
    """The reader's text as a safe FTS5 query: quoted terms ANDed, `-word` terms NOTed; '' if no word.

    `backup "mail server" -imap` becomes `("backup" AND "mail server") NOT ("imap")`.
    """
    wanted: list[str] = []
    unwanted: list[str] = []
    for match in CHUNK_RE.finditer(text[:MAX_QUERY]):
        negative = bool(match.group(1) or match.group(3))
        phrase = match.group(2)
        chunk = phrase if phrase is not None else match.group(4)
        words = WORD_RE.findall(chunk or "")
        if not words:
            continue
        terms = [_quoted(words)] if phrase is not None else [_quoted([w]) for w in words]
        (unwanted if negative else wanted).extend(terms)
    wanted, unwanted = wanted[:MAX_TERMS], unwanted[:MAX_TERMS]
    if not wanted:
        return ""  # FTS5 cannot ask for "everything but x"; nothing to find
    query = "(" + " AND ".join(wanted) + ")"
    if unwanted:
        query += " NOT (" + " OR ".join(unwanted) + ")"
    return query


def _marked(snippet: str) -> Markup:
    """A snippet escaped, then its markers turned into <mark> (balanced by the sanitizer)."""
    html = str(escape(snippet)).replace(MARKS[0], "<mark>").replace(MARKS[1], "</mark>")
    return Markup(nh3.clean(html, tags={"mark"}, attributes={}))  # noqa: S704 (escaped, only <mark> left)


def _hits(rows: list[dict[str, Any]]) -> list[SearchHit]:
    return [
        SearchHit(
            id=r["id"],
            title=r["title"],
            slug=r["slug"],
            category_name=r["category_name"],
            category_slug=r["category_slug"],
            snippet=_marked(str(r["snippet"] or "")),
            rank=float(r["rank"] or 0),
        )
        for r in rows
    ]


async def _sqlite(text: str, limit: int, offset: int, count: bool) -> Page[SearchHit]:
    query = fts5_query(text)
    if not query:
        return Page([], 0, limit, offset)
    base = (
        " FROM panel_kb_article_fts JOIN panel_kb_article a ON a.id = panel_kb_article_fts.rowid"
        " JOIN panel_kb_category c ON c.id = a.category"
        " WHERE panel_kb_article_fts MATCH {} AND a.published = {}"
    )
    sql = (
        "SELECT a.id, a.title, a.slug, c.name AS category_name, c.slug AS category_slug,"
        " snippet(panel_kb_article_fts, 1, {}, {}, ' … ', 24) AS snippet,"
        f" bm25(panel_kb_article_fts, {BM25_WEIGHTS}) AS rank{base}"
        " ORDER BY rank, a.id LIMIT {} OFFSET {}"
    )
    rows = await KbArticle.raw(sql, MARKS[0], MARKS[1], query, True, limit, offset)
    total = await KbArticle.raw(f"SELECT count(*) AS n{base}", query, True) if count else [{"n": len(rows)}]
    # bm25 is lower for better matches; flip it so a higher rank is better on both databases
    hits = [{**r, "rank": -float(r["rank"] or 0)} for r in rows]
    return Page(_hits(hits), int(total[0]["n"]), limit, offset)


async def _postgres(text: str, limit: int, offset: int, count: bool) -> Page[SearchHit]:
    # the headline is costly: work it out only for the page's rows, after ranking
    sql = (
        "WITH q AS (SELECT websearch_to_tsquery('english', {}) AS query),"
        " found AS (SELECT a.id, ts_rank(a.search_vector, q.query) AS rank FROM panel_kb_article a, q"
        "  WHERE a.search_vector @@ q.query AND a.published = {} ORDER BY rank DESC, a.id LIMIT {} OFFSET {})"
        " SELECT a.id, a.title, a.slug, c.name AS category_name, c.slug AS category_slug, found.rank,"
        "  ts_headline('english', a.search_text, q.query, {}) AS snippet"
        " FROM found JOIN panel_kb_article a ON a.id = found.id JOIN panel_kb_category c ON c.id = a.category, q"
        " ORDER BY found.rank DESC, a.id"
    )
    rows = await KbArticle.raw(sql, text, True, limit, offset, HEADLINE_OPTIONS)
    if not count:
        return Page(_hits(rows), len(rows), limit, offset)
    total = await KbArticle.raw(
        "SELECT count(*) AS n FROM panel_kb_article a"
        " WHERE a.search_vector @@ websearch_to_tsquery('english', {}) AND a.published = {}",
        text,
        True,
    )
    return Page(_hits(rows), int(total[0]["n"]), limit, offset)


async def search(text: str, limit: int = PAGE_SIZE, offset: int = 0, *, count: bool = True) -> Page[SearchHit]:
    """Published articles matching the reader's `text`, best first (two queries; one without `count`).

    Text without a word to look for (empty, `*`, only `-excluded` words) finds nothing.
    Without `count` the page's `total` is only its own rows (for a top few, as the
    client-area search box shows).
    """
    cleaned = " ".join(text.split())[:MAX_QUERY]
    if not fts5_query(cleaned):
        # no word to look for (`*`, `-x` alone): nothing, on either database
        return Page([], 0, limit, offset)
    if db.is_sqlite():
        return await _sqlite(cleaned, limit, offset, count)
    return await _postgres(cleaned, limit, offset, count)
