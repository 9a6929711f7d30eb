"""Builders shared by the content tests."""

from __future__ import annotations

import re
from typing import Any

import factories as f

STAFF_PASSWORD = f.PASSWORD


async def member_of_account(
    authz: Any, email: str = "owner@example.com", perms: list[str] | None = None
) -> tuple[int, int]:
    """A logged-in-able user: the owner of a new account, or (with `perms`) a plain member of one; (user, account)."""
    if perms is None:
        user_id = await f.user(authz, email)
        return user_id, await f.account(authz, email.split("@")[0].title(), user_id)
    owner = await f.user(authz, "boss-" + email)
    user_id = await f.user(authz, email)
    return user_id, await f.account(authz, "Shared " + email.split("@")[0], owner, {user_id: perms})


def text_of(html: str) -> str:
    """The page's visible words (tags removed, whitespace squeezed)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def main_of(html: str) -> str:
    """The page's <main> element."""
    match = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    assert match, "page has no <main>"
    return match.group(1)
