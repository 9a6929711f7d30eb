"""Handing paid order items to their product types.

Paying an order enqueues one `services.provision` job per pending service
(`enqueue_order`, called by billing's `after_paid` once the payment committed); the
job hands the service to its product type. Every step is idempotent, so a job that
runs again (a retry, a worker that died) changes nothing:

- only `pending` services of a `paid` order are handed over;
- a service waiting for staff (an open provisioning task) is left alone: it never
  gets a second task;
- a service whose provisioning failed keeps its `provision_error` until staff press
  "Retry" (`retry_provisioning`), so a failing type is not called again and again.

The product type is called outside any transaction (it may talk to a server for a
while); its answer is applied in a short write transaction that first takes the
service's row, so two runs at once apply one answer and create one task.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from panel.core import db
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.orders.tables import Order, OrderItem, OrderStatus
from panel.core.services.events import account_recipients, fire
from panel.core.services.lifecycle import (
    ServiceRefused,
    ServiceState,
    context_for,
    load_state,
    next_due,
    type_not_enabled,
    utc_today,
)
from panel.core.services.tables import Service, ServiceStatus, StaffTask, TaskStatus
from panel.errors import NotFound, PanelError
from panel.product_types import OperationResult, ProductType
from panel.settings import Settings

log = logging.getLogger("panel.services")

PROVISION_TASK = "provision"


class Outcome:
    """Values of `ProvisionOutcome.outcome`."""

    ACTIVE = "active"
    WAITING = "waiting"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class ProvisionOutcome:
    """What happened to one service: active, waiting (a staff task), failed, or skipped (nothing to do)."""

    service_id: int
    outcome: str
    message: str = ""


async def provision_order(
    product_types: Mapping[str, ProductType],
    order_id: int,
    *,
    settings: Settings | None = None,
    by: AuditContext = SYSTEM,
) -> list[ProvisionOutcome]:
    """Provision every pending service of a paid order through its product type, in this process.

    What the jobs of `enqueue_order` do, one after the other (the CLI and tests use it).
    Parents before their addons (by id). An order that is not paid, or unknown,
    provisions nothing. Failures are recorded on the service (`provision_error`),
    never raised, so one broken item does not stop the others.
    """
    ids = await pending_of_order(order_id)
    return [await provision_service(product_types, sid, settings=settings, by=by, retry=False) for sid in ids]


PROVISION_JOB = "services.provision"
SWEEP_JOB = "services.provision_pending"


def provision_key(service_id: int) -> str:
    """The idempotency key of a service's first provisioning job."""
    return f"provision:service:{service_id}"


async def pending_of_order(order_id: int) -> list[int]:
    """Ids of the pending services of a paid order (parents first); none if the order is not paid."""
    order = await Order.select(Order.status).where(Order.id == order_id).first()
    if order is None or order["status"] != OrderStatus.PAID:
        return []
    item_ids = [r["id"] for r in await OrderItem.select(OrderItem.id).where(OrderItem.order == order_id)]
    if not item_ids:
        return []
    rows = (
        await Service.select(Service.id)
        .where(Service.order_item_id.is_in(item_ids) & (Service.status == ServiceStatus.PENDING))
        .order_by(Service.id)
    )
    return [int(r["id"]) for r in rows]


async def enqueue_order(settings: Settings, order_id: int) -> list[int]:
    """Queue one provisioning job per pending service of a paid order; returns the job ids.

    Keyed by service, so calling it again (a webhook delivered twice, the sweep) queues
    nothing new.
    """
    from panel.core.jobs.services import enqueue

    return [
        await enqueue(settings, PROVISION_JOB, {"service_id": sid}, key=provision_key(sid))
        for sid in await pending_of_order(order_id)
    ]


async def enqueue_pending(settings: Settings) -> int:
    """The sweep: queue provisioning for every paid, pending service that has no job yet.

    Catches a service whose job was never queued (the process stopped between the
    payment's commit and the enqueue). Failed services and those waiting for staff are
    left alone. Returns how many services it looked at.
    """
    from panel.core.jobs.services import enqueue

    rows = await Service.select(Service.id, Service.order_item_id).where(
        (Service.status == ServiceStatus.PENDING) & (Service.provision_error == "")
    )
    item_ids = [r["order_item_id"] for r in rows if r["order_item_id"] is not None]
    paid_items = {
        r["id"]
        for r in await OrderItem.select(OrderItem.id).where(
            OrderItem.id.is_in(item_ids or [0]) & (OrderItem.order.status == OrderStatus.PAID)
        )
    }
    for r in rows:
        if r["order_item_id"] in paid_items and not await _has_open_task(r["id"]):
            await enqueue(settings, PROVISION_JOB, {"service_id": r["id"]}, key=provision_key(r["id"]))
    return len(rows)


async def retry_provisioning(
    product_types: Mapping[str, ProductType],
    service_id: int,
    *,
    settings: Settings | None = None,
    by: AuditContext = SYSTEM,
) -> ProvisionOutcome:
    """Staff's "Retry": hand a pending service whose provisioning failed to its type again."""
    state = await load_state(service_id)
    if state is None:
        raise NotFound("No such service.")
    if state.status != ServiceStatus.PENDING:
        raise ServiceRefused(f"The service is {state.status}: there is nothing to provision.")
    if await _has_open_task(service_id):
        raise ServiceRefused("The service waits for a staff task: complete the task instead.")
    if not state.provision_error:
        raise ServiceRefused("Provisioning has not failed: the service is provisioned once its order is paid.")
    return await provision_service(product_types, service_id, settings=settings, by=by, retry=True)


async def _has_open_task(service_id: int) -> bool:
    return bool(
        await StaffTask.exists().where(
            (StaffTask.service == service_id)
            & (StaffTask.kind == PROVISION_TASK)
            & (StaffTask.status == TaskStatus.OPEN)
        )
    )


def _skip(state: ServiceState | None, retry: bool) -> bool:
    return state is None or state.status != ServiceStatus.PENDING or (bool(state.provision_error) and not retry)


async def provision_service(
    product_types: Mapping[str, ProductType],
    service_id: int,
    *,
    settings: Settings | None = None,
    by: AuditContext = SYSTEM,
    retry: bool = False,
) -> ProvisionOutcome:
    """Hand one pending service to its product type and record the answer.

    Skipped when the service is not pending, waits for a staff task, or failed before
    (unless `retry`).
    """
    state = await load_state(service_id)
    if state is None or _skip(state, retry) or await _has_open_task(service_id):
        return ProvisionOutcome(service_id, Outcome.SKIPPED)
    product_type = product_types.get(state.product_type)
    result: OperationResult | None = None
    if product_type is None:
        error = type_not_enabled(state.product_type)
    else:
        try:
            result = await product_type.provision(context_for(state, product_type, settings))
            error = "" if result.ok or result.waiting else (result.message or "The product type reported a failure.")
        except PanelError as exc:
            error = exc.message
        except Exception as exc:  # a plugin's bug must not stop the other items
            log.exception("provisioning service %s (%s) failed", service_id, state.product_type)
            error = f"Unexpected error: {type(exc).__name__}: {exc}"
    outcome = await _apply(service_id, result, error[:2000], by, retry)
    if outcome.outcome == Outcome.ACTIVE:
        await fire("provisioned", service_id, state.account_id, state.product_type)
    return outcome


async def _apply(
    service_id: int, result: OperationResult | None, error: str, by: AuditContext, retry: bool
) -> ProvisionOutcome:
    async with db.write_transaction():
        # Taking the row first makes a second run at the same time wait here, then skip.
        await Service.update({Service.status: Service.status}).where(Service.id == service_id)
        state = await load_state(service_id)
        if state is None or _skip(state, retry) or await _has_open_task(service_id):
            return ProvisionOutcome(service_id, Outcome.SKIPPED)
        target = f"service:{service_id}"
        if error or result is None:
            await Service.update({Service.provision_error: error}).where(Service.id == service_id)
            await record(
                "service.provision_failed",
                account_id=state.account_id,
                target=target,
                summary=f"Provisioning {state.label} failed: {error}"[:500],
                details={"product_type": state.product_type, "error": error, "retry": retry},
                **by,
            )
            return ProvisionOutcome(service_id, Outcome.FAILED, error)
        data = {**state.data, **result.data}
        if result.waiting:
            await Service.update({Service.provision_error: "", Service.data: data}).where(Service.id == service_id)
            await StaffTask.insert(
                StaffTask(service=service_id, kind=PROVISION_TASK, title=result.waiting[:255], note="")
            )
            await record(
                "service.provision_waiting",
                account_id=state.account_id,
                target=target,
                summary=f"{state.label} waits for staff: {result.waiting}"[:500],
                details={"product_type": state.product_type, "task": result.waiting},
                **by,
            )
            return ProvisionOutcome(service_id, Outcome.WAITING, result.waiting)
        await activate(service_id, state, data, by, result.message or "Provisioned by its product type.")
        return ProvisionOutcome(service_id, Outcome.ACTIVE, result.message)


async def activate(service_id: int, state: ServiceState, data: dict[str, object], by: AuditContext, why: str) -> None:
    """Make a pending service active now, due again one cycle from today, and queue the welcome email.

    Call in a write transaction: the email joins it (sent by the mail queue once it
    commits, never from the request).
    """
    today = utc_today()
    await Service.update(
        {
            Service.status: ServiceStatus.ACTIVE,
            Service.activated_at: datetime.now(UTC),
            Service.next_due_date: next_due(state.cycle, today),
            Service.data: data,
            Service.provision_error: "",
        }
    ).where(Service.id == service_id)
    await record(
        "service.activate",
        account_id=state.account_id,
        target=f"service:{service_id}",
        summary=f"Activated {state.label}: {why}"[:500],
        details={"status": {"before": state.status, "after": ServiceStatus.ACTIVE}},
        **by,
    )
    await send_welcome(service_id, state, data)


WELCOME_FIELDS = {"username": "Username", "server": "Server", "client_area_url": "Control panel"}


async def send_welcome(service_id: int, state: ServiceState, data: Mapping[str, object]) -> None:
    """Queue the "your service is ready" email to the account (in the caller's transaction)."""
    from panel.core.mail import services as mail

    to = await account_recipients(state.account_id, "technical")
    if not to:
        log.warning("service %s is active but its account has no email address", service_id)
        return
    details = [(label, str(data[key])) for key, label in WELCOME_FIELDS.items() if data.get(key)]
    await mail.send(
        "service_welcome",
        to,
        {
            "label": state.label,
            "service_id": service_id,
            "details": details,
            "next_due": next_due(state.cycle, utc_today()),
        },
        account_id=state.account_id,
    )
