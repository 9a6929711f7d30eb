"""The knowledgebase: categories (optionally nested) and Markdown articles, with helpful votes.

Search needs more than these columns: a raw migration adds an FTS5 table kept in step
by triggers (SQLite) or a generated `tsvector` column with a GIN index (PostgreSQL),
both over `title`, `tags` and `search_text`. See `search.py`.
"""

from __future__ import annotations

from typing import Any

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from panel.core.auth.tables import User


class KbCategory(Table, tablename="panel_kb_category"):
    """A heading of the knowledgebase; `parent` nests it under another (one level is usual)."""

    id: Serial  # added by Piccolo; declared for type checkers

    name = Varchar(length=120)
    slug = Varchar(length=80, unique=True, index=True)
    description = Text(default="")
    sort = Integer(default=0)
    parent: ForeignKey[Any] = ForeignKey(
        references="self", on_delete=OnDelete.set_null, null=True, default=None, index=True
    )
    created_at = Timestamptz(default=TimestamptzNow())


class KbArticle(Table, tablename="panel_kb_article"):
    """One article: Markdown `body`, shown (and found by search) only when `published`."""

    id: Serial  # added by Piccolo; declared for type checkers

    category = ForeignKey(references=KbCategory, on_delete=OnDelete.restrict, index=True)
    title = Varchar(length=200)
    slug = Varchar(length=120, unique=True, index=True)
    body = Text(default="")
    # the body's words without Markdown, written on save: what search indexes and quotes
    search_text = Text(default="")
    tags = Varchar(length=300, default="")  # comma separated, lower case
    published = Boolean(default=False)
    views = Integer(default=0)
    helpful_yes = Integer(default=0)
    helpful_no = Integer(default=0)
    author = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class KbVote(Table, tablename="panel_kb_vote"):
    """One reader's answer to "Was this helpful?": unique per (article, voter)."""

    id: Serial  # added by Piccolo; declared for type checkers

    article = ForeignKey(references=KbArticle, on_delete=OnDelete.cascade, index=True)
    voter = Varchar(length=80)  # "user:<id>", or "visitor:<hash of the visitor cookie>"
    helpful = Boolean()
    created_at = Timestamptz(default=TimestamptzNow())
