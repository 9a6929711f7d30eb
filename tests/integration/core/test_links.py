"""Single-use links: each can be used once, before it expires, for its own purpose."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from panel.core.auth import links


async def test_a_link_works_once(client):
    _, secret = await links.issue("reset", timedelta(hours=1), email="a@example.com", payload={"x": 1})
    assert (await links.peek("reset", secret)).payload == {"x": 1}
    used = await links.consume("reset", secret)
    assert used.email == "a@example.com"
    with pytest.raises(links.LinkInvalid, match="already used"):
        await links.consume("reset", secret)


async def test_expired_unknown_and_wrong_purpose_links_are_refused(client):
    _, old = await links.issue("invite", timedelta(seconds=-1))
    with pytest.raises(links.LinkInvalid, match="expired"):
        await links.consume("invite", old)
    with pytest.raises(links.LinkInvalid, match="not valid"):
        await links.consume("invite", "made-up")
    _, reset = await links.issue("reset", timedelta(hours=1))
    with pytest.raises(links.LinkInvalid, match="not valid"):
        await links.consume("invite", reset)


async def test_two_simultaneous_uses_only_one_wins(client):
    _, secret = await links.issue("invite", timedelta(days=7))
    results = await asyncio.gather(*(links.consume("invite", secret) for _ in range(5)), return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) == 1


async def test_cancelled_links_stop_working(client):
    token_id, one = await links.issue("invite", timedelta(days=7), email="b@example.com")
    await links.cancel(token_id)
    with pytest.raises(links.LinkInvalid):
        await links.consume("invite", one)
    _, two = await links.issue("reset", timedelta(hours=1), user_id=5)
    await links.cancel_all("reset", user_id=5)
    with pytest.raises(links.LinkInvalid):
        await links.consume("reset", two)
