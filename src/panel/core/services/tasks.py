"""Staff tasks: work a product type left for people, e.g. "set up this hosting plan by hand".

A task is opened by provisioning (`provisioning.py`) when a type answers `waiting`.
Staff complete it with a note and the details of what they set up (username, server,
control-panel address); those are stored in the service's data, and a pending service
becomes active.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from panel.core import db
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.paging import Page
from panel.core.services.events import fire
from panel.core.services.lifecycle import ServiceRefused, load_state
from panel.core.services.provisioning import activate
from panel.core.services.tables import Service, ServiceStatus, StaffTask, TaskStatus
from panel.errors import NotFound, ValidationFailed

PAGE_SIZE = 50

TASK_FIELDS: dict[str, str] = {
    "username": "Username",
    "server": "Server",
    "client_area_url": "Control panel address",
}
"""What staff may record when completing a task, by key in `Service.data`."""


@dataclass(frozen=True)
class TaskRow:
    """An open task as the staff list shows it."""

    id: int
    kind: str
    title: str
    created_at: datetime
    service_id: int
    service_label: str
    service_status: str
    account_id: int
    account_name: str


class TaskPage(Page[TaskRow]):
    """One page of open tasks, oldest first, and how many are open."""


_TASK_COLUMNS = (
    StaffTask.id,
    StaffTask.kind,
    StaffTask.title,
    StaffTask.created_at,
    StaffTask.service.id.as_alias("service_id"),
    StaffTask.service.label.as_alias("service_label"),
    StaffTask.service.status.as_alias("service_status"),
    StaffTask.service._.account._.id.as_alias("account_id"),
    StaffTask.service._.account._.name.as_alias("account_name"),
)


def _task(r: Mapping[str, object]) -> TaskRow:
    return TaskRow(
        id=int(str(r["id"])),
        kind=str(r["kind"]),
        title=str(r["title"]),
        created_at=r["created_at"],  # type: ignore[arg-type]
        service_id=int(str(r["service_id"])),
        service_label=str(r["service_label"] or ""),
        service_status=str(r["service_status"]),
        account_id=int(str(r["account_id"])),
        account_name=str(r["account_name"] or ""),
    )


async def open_tasks(limit: int = PAGE_SIZE, offset: int = 0) -> TaskPage:
    """Open tasks, oldest first, with their service and account joined in (two queries)."""
    limit, offset = max(1, min(limit, 200)), max(0, offset)
    where = StaffTask.status == TaskStatus.OPEN
    rows = await StaffTask.select(*_TASK_COLUMNS).where(where).order_by(StaffTask.id).limit(limit).offset(offset)
    total = await StaffTask.count().where(where)
    return TaskPage([_task(r) for r in rows], int(total), limit, offset)


async def open_tasks_of_service(service_id: int) -> list[TaskRow]:
    """The open tasks of one service, oldest first."""
    rows = (
        await StaffTask.select(*_TASK_COLUMNS)
        .where((StaffTask.service == service_id) & (StaffTask.status == TaskStatus.OPEN))
        .order_by(StaffTask.id)
    )
    return [_task(r) for r in rows]


async def get_task(task_id: int) -> TaskRow:
    """One open task, or `NotFound`."""
    row = (
        await StaffTask.select(*_TASK_COLUMNS)
        .where((StaffTask.id == task_id) & (StaffTask.status == TaskStatus.OPEN))
        .first()
    )
    if row is None:
        raise NotFound("No such open task.")
    return _task(row)


def clean_task_values(values: Mapping[str, str]) -> dict[str, str]:
    """The details staff entered, trimmed; blank ones dropped; the address must be http(s)."""
    cleaned = {k: str(values.get(k) or "").strip()[:255] for k in TASK_FIELDS}
    url = cleaned.get("client_area_url", "")
    if url and not url.lower().startswith(("https://", "http://")):
        raise ValidationFailed({"client_area_url": "Enter an address starting with https://."})
    return {k: v for k, v in cleaned.items() if v}


async def complete_task(
    task_id: int, note: str, values: Mapping[str, str], *, user_id: int | None, by: AuditContext = SYSTEM
) -> int:
    """Close an open task, store the entered details in the service's data, activate a pending service.

    Returns the service id. A task completed meanwhile by someone else is refused
    (409), so the service is activated once. A service that is no longer pending
    (cancelled meanwhile) keeps its status; the task is closed all the same.
    """
    details = clean_task_values(values)
    note = note.strip()[:5000]
    async with db.write_transaction():
        claimed = (
            await StaffTask.update(
                {
                    StaffTask.status: TaskStatus.DONE,
                    StaffTask.note: note,
                    StaffTask.done_by: user_id,
                    StaffTask.done_at: datetime.now(UTC),
                }
            )
            .where((StaffTask.id == task_id) & (StaffTask.status == TaskStatus.OPEN))
            .returning(StaffTask.service, StaffTask.title)
        )
        if not claimed:
            if await StaffTask.exists().where(StaffTask.id == task_id):
                raise ServiceRefused("This task was already completed.")
            raise NotFound("No such open task.")
        service_id = int(claimed[0]["service"])
        state = await load_state(service_id)
        if state is None:
            raise NotFound("The task's service no longer exists.")
        data = {**state.data, **details}
        await record(
            "service.task_complete",
            account_id=state.account_id,
            target=f"service:{service_id}",
            summary=f"Completed the task for {state.label}: {claimed[0]['title']}"[:500],
            details={"task": task_id, "note": note, "values": details},
            **by,
        )
        activated = state.status == ServiceStatus.PENDING
        if activated:
            await activate(service_id, state, data, by, "set up by staff.")
        elif details:
            await Service.update({Service.data: data}).where(Service.id == service_id)
    if activated:
        await fire("provisioned", service_id, state.account_id, state.product_type)
    return service_id
