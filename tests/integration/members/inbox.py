"""Reading what the test SMTP server received (import as `from .inbox import ...`)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

BASE = "http://panel.test"


def text_of(message: Any) -> str:
    """The plain-text part of an email."""
    part = message.get_body(preferencelist=("plain",))
    return str(part.get_content())


def html_of(message: Any) -> str:
    """The HTML part of an email."""
    part = message.get_body(preferencelist=("html",))
    return str(part.get_content())


def link_path(message: Any, kind: str = "invitations") -> str:
    """The path of the link to `/<kind>/...` in an email's text (the secret included)."""
    match = re.search(re.escape(BASE) + r"(/" + kind + r"/[A-Za-z0-9_\-/]+)", text_of(message))
    assert match, text_of(message)
    return match.group(1)


async def mail_to(smtp: Any, address: str, count: int = 1) -> list[Any]:
    """Wait for `count` messages to `address` and return them, oldest first."""
    for _ in range(250):
        found = [m for m in smtp.messages if address in str(m["To"])]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"expected {count} email(s) to {address}, got {len(found)}")
