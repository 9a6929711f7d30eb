"""Two requests writing grants at once never wait on each other's locks."""

from __future__ import annotations

import asyncio

import factories as f

from panel.core import db


async def test_grant_write_inside_a_transaction_does_not_deadlock_with_a_plain_one(client, authz):
    owner = await f.user(authz, "lock@example.com")

    async def in_transaction() -> None:
        async with authz.atomic(), db.write_transaction():
            await asyncio.sleep(0.05)  # holds the database write lock while the other starts
            await authz.add_grant("g", f"user:{owner}", "perm:tickets", "acct:1")

    async def plain() -> None:
        await asyncio.sleep(0.01)
        await authz.add_grant("g", f"user:{owner}", "perm:invoices", "acct:1")

    await asyncio.wait_for(asyncio.gather(in_transaction(), plain()), timeout=10)
    roles = {g[2] for g in authz.grants_for(f"user:{owner}", "acct:1")}
    assert {"perm:tickets", "perm:invoices"} <= roles
