"""Helpful votes ("Was this helpful?"): one per reader and article, counted on the article.

A reader is the logged-in user (`user:<id>`), else the visitor cookie
(`visitor:<hash>`; the cookie holds a random token, the table only its hash). A
reader who answers again changes their answer: the counts move, they never grow
twice. `panel_kb_vote_unique` on (article, voter) keeps that true when two requests
race.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from panel.core import db
from panel.core.knowledgebase.services import utc_now
from panel.core.knowledgebase.tables import KbArticle, KbVote

COOKIE = "panel_kb_visitor"
COOKIE_DAYS = 365


@dataclass(frozen=True)
class Tally:
    """An article's counts, and what this reader answered (None: not yet)."""

    yes: int
    no: int
    mine: bool | None


def new_visitor_token() -> str:
    """A random token for the visitor cookie."""
    return secrets.token_urlsafe(24)


def voter_of(user_id: int | None, visitor_token: str) -> str | None:
    """Who votes: the user, else the visitor cookie's holder, else nobody (no cookie yet)."""
    if user_id is not None:
        return f"user:{user_id}"
    if visitor_token:
        return "visitor:" + hashlib.sha256(visitor_token.encode()).hexdigest()[:40]
    return None


async def my_vote(article_id: int, voter: str | None) -> bool | None:
    """What this reader answered for the article, or None (one query; none without a voter)."""
    if voter is None:
        return None
    row = await KbVote.select(KbVote.helpful).where((KbVote.article == article_id) & (KbVote.voter == voter)).first()
    return None if row is None else bool(row["helpful"])


async def vote(article_id: int, voter: str, helpful: bool) -> Tally:
    """Record the reader's answer (a first one, or a changed one) and return the article's counts."""
    yes_col, no_col = KbArticle.helpful_yes, KbArticle.helpful_no
    async with db.write_transaction():
        inserted = await KbVote.raw(
            "INSERT INTO panel_kb_vote (article, voter, helpful, created_at) VALUES ({}, {}, {}, {})"
            " ON CONFLICT (article, voter) DO NOTHING RETURNING id",
            article_id,
            voter,
            helpful,
            utc_now(),
        )
        if inserted:
            column = yes_col if helpful else no_col
            await KbArticle.update({column: column + 1}).where(KbArticle.id == article_id)
        else:
            # only a changed answer moves the counts; the WHERE makes a racing twin change nothing
            changed = await KbVote.raw(
                "UPDATE panel_kb_vote SET helpful = {} WHERE article = {} AND voter = {} AND helpful <> {}"
                " RETURNING id",
                helpful,
                article_id,
                voter,
                helpful,
            )
            if changed:
                up, down = (yes_col, no_col) if helpful else (no_col, yes_col)
                await KbArticle.update({up: up + 1, down: down - 1}).where(KbArticle.id == article_id)
        row = await KbArticle.select(yes_col, no_col).where(KbArticle.id == article_id).first()
    assert row is not None
    return Tally(int(row["helpful_yes"]), int(row["helpful_no"]), helpful)
