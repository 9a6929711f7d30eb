"""Builders and scheduler steps shared by the lifecycle tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import factories as f
from services import commerce  # tests/integration/services (its folder is on the path)

from panel.core.jobs.scheduler import tick
from panel.core.jobs.services import enqueue, queue_for
from panel.core.services import provisioning
from panel.core.services.tables import Service
from panel.core.stores.tables import Store

SCHEDULE = {
    "lifecycle.renewals": "0 3 * * *",
    "lifecycle.reminders": "0 4 * * *",
    "lifecycle.overdue": "0 5 * * *",
    "lifecycle.cancellations": "0 6 * * *",
}
PRICE = 1500


@dataclass(frozen=True)
class Client:
    """An account with an owner, bound to a store that sells `dummy.thing`."""

    owner: int
    account: int
    store: int
    product: int


async def client_with_store(app: Any, email: str = "owner@example.com", **policy: Any) -> Client:
    """A store with `policy` columns (money_back_days=30, ...), its product, and an account of its own."""
    store = await commerce.store(default=True)
    if policy:
        await Store.update(policy).where(Store.id == store)
    product = await commerce.product("dummy.thing", "Thing")
    owner, account = await f.client_of(app.state.authz, email, store)
    return Client(owner, account, store, product)


async def active_service(app: Any, c: Client, label: str = "thing.example", amount: int = PRICE, **item: Any) -> int:
    """A paid order's service, provisioned by its job: active, due one cycle from today."""
    order_id, [sid] = await commerce.order(
        c.account, c.store, [{"product": c.product, "type": "dummy.thing", "label": label, "amount": amount, **item}]
    )
    await provisioning.enqueue_order(app.state.settings, order_id)
    await f.run_jobs(app)
    return sid


async def day(app: Any, when: date) -> int:
    """The scheduler's tick at 07:00 UTC on `when`, then every job it queued."""
    await tick(queue_for(app.state.settings), SCHEDULE, datetime.combine(when, time(7), tzinfo=UTC))
    return await f.run_jobs(app)


async def again(app: Any, when: date, tasks: tuple[str, ...] = tuple(SCHEDULE)) -> None:
    """Each daily task once more for the same day, as a second worker or a rerun after a crash would."""
    for task in tasks:
        await enqueue(app.state.settings, task, {"period": f"{when.isoformat()}T03:00"}, key=f"rerun:{task}@{when}")
    await f.run_jobs(app)


async def service(service_id: int) -> dict[str, Any]:
    """The service's row."""
    row = await Service.select().where(Service.id == service_id).first()
    assert row is not None
    return dict(row)


async def wait_for_subject(smtp: Any, subject: str, timeout: float = 5) -> None:  # noqa: ASYNC109
    """Wait until an email with exactly this subject arrived (others may arrive in any order)."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while subject not in [str(m["Subject"]) for m in smtp.messages]:
        if loop.time() > deadline:
            raise AssertionError(f"no email {subject!r}; got {[str(m['Subject']) for m in smtp.messages]}")
        await asyncio.sleep(0.02)
