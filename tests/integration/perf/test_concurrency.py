"""Many requests at once over real HTTP: every write is saved, none fails with "database is locked"."""

from __future__ import annotations

import asyncio
from typing import Any

import factories as f
import httpx

from panel.core import db
from panel.core.audit.tables import AuditEvent
from panel.core.auth.tables import User

USERS = 6
SAVES_EACH = 8


async def _logged_in(base_url: str, email: str) -> httpx.AsyncClient:
    """A browser that logged in through the real form."""
    client = httpx.AsyncClient(base_url=base_url, follow_redirects=False, timeout=60)
    await client.get("/login")
    answer = await client.post(
        "/login", data={"email": email, "password": f.PASSWORD, "_csrf_token": client.cookies["csrftoken"]}
    )
    assert answer.status_code == 303, answer.text
    return client


async def test_many_people_saving_their_profile_at_once_are_all_saved_while_others_read(
    seed_authz: Any, serve: Any
) -> None:
    emails = [f"busy{i}@example.com" for i in range(USERS)]
    for i, email in enumerate(emails):
        await f.account(seed_authz, f"Busy {i}", await f.user(seed_authz, email))
    live = serve()
    browsers = [await _logged_in(live.base_url, email) for email in emails]

    async def save(browser: httpx.AsyncClient, i: int, n: int) -> int:
        form = {"name": f"Name {i}.{n}", "language": "en", "_csrf_token": browser.cookies["csrftoken"]}
        return (await browser.post("/me", data=form)).status_code

    async def read(browser: httpx.AsyncClient) -> int:
        return (await browser.get("/")).status_code

    saves = [save(b, i, n) for i, b in enumerate(browsers) for n in range(SAVES_EACH)]
    reads = [read(b) for b in browsers for _ in range(SAVES_EACH)]
    try:
        codes = await asyncio.wait_for(asyncio.gather(*saves, *reads), timeout=120)
    finally:
        for browser in browsers:
            await browser.aclose()

    assert codes[: len(saves)] == [303] * len(saves)  # saved, redirected back to the form
    assert codes[len(saves) :] == [200] * len(reads)
    assert await AuditEvent.count().where(AuditEvent.action == "user.profile_update") == USERS * SAVES_EACH
    for i, email in enumerate(emails):
        row = await User.select(User.name).where(User.email == email).first()
        assert row is not None
        assert row["name"] in {f"Name {i}.{n}" for n in range(SAVES_EACH)}


async def test_a_hundred_read_then_write_transactions_at_once_all_commit(app: Any) -> None:
    owner = await User.insert(User(email="counter@example.com", name="0")).returning(User.id)
    user_id = owner[0]["id"]

    async def bump() -> None:
        async with db.write_transaction():
            row = await User.select(User.name).where(User.id == user_id).first()
            await asyncio.sleep(0)  # let the others start their transactions meanwhile
            await User.update({User.name: str(int(row["name"]) + 1)}).where(User.id == user_id)

    await asyncio.wait_for(asyncio.gather(*(bump() for _ in range(100))), timeout=60)

    final = await User.select(User.name).where(User.id == user_id).first()
    if db.is_sqlite():  # write transactions take turns (IMMEDIATE): none lost
        assert final["name"] == "100"
    else:  # READ COMMITTED lets them overlap: each committed, the counter is only at least 1
        assert int(final["name"]) >= 1


async def test_work_a_transaction_started_that_runs_after_it_ended_never_sees_anothers_uncommitted_rows(
    app: Any,
) -> None:
    go = asyncio.Event()

    async def count_later() -> int:
        await go.wait()
        return int(await User.count())

    async with db.write_transaction():
        later = asyncio.create_task(count_later())  # the task's context still names this transaction
    before = await User.count()
    async with db.write_transaction():
        await User.insert(User(email="uncommitted@example.com", name="Not yet"))
        go.set()
        seen = await asyncio.wait_for(later, timeout=10)
    assert seen == before
    assert await User.count() == before + 1
