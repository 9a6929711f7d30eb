"""The staff desk's settings: departments (with the staff on them) and canned responses, read and written.

Writes run in `db.write_transaction()` with their audit event. Nothing here checks who
may do what: the routes (`staff_settings_routes`) ask the rules engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.table import Table

from panel.core import db
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.authz.engine import Authorizer
from panel.core.mail.services import ADDRESS
from panel.core.support import services
from panel.core.support.staff_queries import StaffUser, desk_staff
from panel.core.support.tables import SupportCannedResponse, SupportDepartment, SupportDepartmentStaff, SupportTicket
from panel.errors import InUse, NotFound, ValidationFailed

MAX_NAME = 100
MAX_DESCRIPTION = 2000
MAX_TITLE = 200


# -- departments ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentRow:
    """A department as the desk's settings list it, with its staff."""

    id: int
    name: str
    description: str
    email: str
    is_active: bool
    sort_order: int
    staff: list[StaffUser] = field(default_factory=list)

    @property
    def staff_ids(self) -> list[int]:
        """The ids of its staff."""
        return [s.id for s in self.staff]


async def departments() -> list[DepartmentRow]:
    """Every department (inactive too) in its order, with its staff: two queries."""
    rows = (
        await SupportDepartment.select(
            SupportDepartment.id,
            SupportDepartment.name,
            SupportDepartment.description,
            SupportDepartment.email,
            SupportDepartment.is_active,
            SupportDepartment.sort_order,
        )
        .order_by(SupportDepartment.sort_order)
        .order_by(SupportDepartment.name)
    )
    links = await SupportDepartmentStaff.select(
        SupportDepartmentStaff.department,
        SupportDepartmentStaff.user,
        SupportDepartmentStaff.user.name.as_alias("name"),
        SupportDepartmentStaff.user.email.as_alias("email"),
    ).order_by(SupportDepartmentStaff.user.email)
    staff: dict[int, list[StaffUser]] = {}
    for link in links:
        staff.setdefault(link["department"], []).append(StaffUser(link["user"], link["name"] or "", link["email"]))
    return [
        DepartmentRow(
            r["id"], r["name"], r["description"], r["email"], r["is_active"], r["sort_order"], staff.get(r["id"], [])
        )
        for r in rows
    ]


async def department(department_id: int) -> DepartmentRow:
    """One department with its staff; `NotFound` if there is none."""
    found = next((d for d in await departments() if d.id == department_id), None)
    if found is None:
        raise NotFound("That department does not exist.")
    return found


def _text(values: Mapping[str, Any], key: str) -> str:
    return str(values.get(key) or "").strip()


def _flag(value: Any) -> bool:
    return str(value or "").lower() in ("1", "true", "on", "yes")


async def save_department(
    department_id: int | None,
    values: Mapping[str, Any],
    staff_ids: Sequence[int],
    authz: Authorizer,
    *,
    by: AuditContext = SYSTEM,
) -> int:
    """Create (`department_id` None) or change a department and set who is on it; returns its id.

    `values`: name, description, email (its own address: mail to it opens tickets),
    sort_order, is_active. Staff must be users who may answer tickets.

    Raises:
        ValidationFailed: keys name, description, email, sort_order, staff.
        NotFound: no such department.
    """
    errors: dict[str, str] = {}
    name = " ".join(_text(values, "name").split())
    if not name:
        errors["name"] = "Give the department a name."
    elif len(name) > MAX_NAME:
        errors["name"] = f"Keep the name to {MAX_NAME} characters."
    description = _text(values, "description")
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = f"Keep the description to {MAX_DESCRIPTION} characters."
    email = _text(values, "email").lower()
    if email and not ADDRESS.match(email):
        errors["email"] = f"{email} is not an email address."
    elif email and await SupportDepartment.exists().where(
        WhereRaw("lower(email) = {}", email) & (SupportDepartment.id != (department_id or 0))
    ):
        errors["email"] = "Another department has this address."
    raw_order = _text(values, "sort_order") or "0"
    try:
        sort_order = int(raw_order)
    except ValueError:
        errors["sort_order"] = "Give a whole number."
        sort_order = 0
    staff = {s.id: s for s in await desk_staff(authz)}
    chosen = sorted(set(staff_ids))
    if any(i not in staff for i in chosen):
        errors["staff"] = "Choose staff who answer tickets."
    if errors:
        raise ValidationFailed(errors)
    columns: dict[Any, Any] = {
        SupportDepartment.name: name,
        SupportDepartment.description: description,
        SupportDepartment.email: email,
        SupportDepartment.sort_order: sort_order,
        SupportDepartment.is_active: _flag(values.get("is_active")),
    }
    async with db.write_transaction():
        if department_id is None:
            rows = await SupportDepartment.insert(SupportDepartment(columns)).returning(SupportDepartment.id)
            department_id = int(rows[0]["id"])
            action = "support.department.create"
        else:
            if not await SupportDepartment.exists().where(SupportDepartment.id == department_id):
                raise NotFound("That department does not exist.")
            await SupportDepartment.update(columns).where(SupportDepartment.id == department_id)
            action = "support.department.update"
        await SupportDepartmentStaff.delete().where(SupportDepartmentStaff.department == department_id)
        if chosen:
            await SupportDepartmentStaff.insert(
                *[SupportDepartmentStaff(department=department_id, user=i) for i in chosen]
            )
        await record(
            action,
            account_id=None,
            target=f"ticket:department:{department_id}",
            summary=f"Saved the support department {name}.",
            details={"email": email, "active": columns[SupportDepartment.is_active], "staff": chosen},
            **by,
        )
    return department_id


async def _delete(table: type[Table], row_id: int, action: str, target: str, summary: str, by: AuditContext) -> None:
    """Delete one row and write its audit event (`<target>:<id>`), in one transaction."""
    async with db.write_transaction():
        await table.delete().where(table._meta.primary_key == row_id)
        await record(action, account_id=None, target=f"{target}:{row_id}", summary=summary, **by)


async def delete_department(department_id: int, *, by: AuditContext = SYSTEM) -> None:
    """Delete a department that never had a ticket (`InUse` otherwise: deactivate it instead)."""
    row = await SupportDepartment.select(SupportDepartment.name).where(SupportDepartment.id == department_id).first()
    if row is None:
        raise NotFound("That department does not exist.")
    if await SupportTicket.exists().where(SupportTicket.department == department_id):
        raise InUse("This department has tickets: make it inactive instead, or move its tickets first.")
    summary = f"Deleted the support department {row['name']}."
    await _delete(SupportDepartment, department_id, "support.department.delete", "ticket:department", summary, by)


# -- canned responses -----------------------------------------------------------------------


async def save_canned(canned_id: int | None, values: Mapping[str, Any], *, by: AuditContext = SYSTEM) -> int:
    """Create or change a canned response (title, body, department: '' for every department); returns its id.

    Raises:
        ValidationFailed: keys title, body, department.
        NotFound: no such canned response.
    """
    errors: dict[str, str] = {}
    title = " ".join(_text(values, "title").split())
    if not title:
        errors["title"] = "Give it a title."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Keep the title to {MAX_TITLE} characters."
    body = str(values.get("body") or "").replace("\r\n", "\n").strip("\n")
    if not body.strip():
        errors["body"] = "Write the response."
    elif len(body) > services.MAX_BODY:
        errors["body"] = f"Keep the response to {services.MAX_BODY:,} characters."
    raw_department = _text(values, "department")
    department_id = int(raw_department) if raw_department.isdigit() else None
    if raw_department and (
        department_id is None or not await SupportDepartment.exists().where(SupportDepartment.id == department_id)
    ):
        errors["department"] = "Choose a department, or every department."
    if errors:
        raise ValidationFailed(errors)
    columns: dict[Any, Any] = {
        SupportCannedResponse.title: title,
        SupportCannedResponse.body: body,
        SupportCannedResponse.department: department_id,
    }
    async with db.write_transaction():
        if canned_id is None:
            rows = await SupportCannedResponse.insert(SupportCannedResponse(columns)).returning(
                SupportCannedResponse.id
            )
            canned_id = int(rows[0]["id"])
            action = "support.canned.create"
        else:
            if not await SupportCannedResponse.exists().where(SupportCannedResponse.id == canned_id):
                raise NotFound("That canned response does not exist.")
            await SupportCannedResponse.update(columns).where(SupportCannedResponse.id == canned_id)
            action = "support.canned.update"
        await record(
            action, account_id=None, target=f"ticket:canned:{canned_id}", summary=f"Saved the reply {title}.", **by
        )
    return canned_id


async def delete_canned(canned_id: int, *, by: AuditContext = SYSTEM) -> None:
    """Delete a canned response."""
    row = (
        await SupportCannedResponse.select(SupportCannedResponse.title)
        .where(SupportCannedResponse.id == canned_id)
        .first()
    )
    if row is None:
        raise NotFound("That canned response does not exist.")
    summary = f"Deleted the reply {row['title']}."
    await _delete(SupportCannedResponse, canned_id, "support.canned.delete", "ticket:canned", summary, by)


def with_canned(body: str, canned: str) -> str:
    """The reply text with a canned response added at the end (after a blank line when there is text)."""
    body = body.rstrip()
    return f"{body}\n\n{canned}" if body else canned


@dataclass(frozen=True)
class CannedRow:
    """A canned response; `department_id` None means it is offered everywhere."""

    id: int
    title: str
    body: str
    department_id: int | None
    department: str


async def canned_responses(department_id: int | None = None, *, every: bool = False) -> list[CannedRow]:
    """Canned responses by title: all of them with `every`, else those for `department_id` plus the global ones."""
    query = SupportCannedResponse.select(
        SupportCannedResponse.id,
        SupportCannedResponse.title,
        SupportCannedResponse.body,
        SupportCannedResponse.department,
        SupportCannedResponse.department.name.as_alias("department_name"),
    )
    if not every:
        where: Any = SupportCannedResponse.department.is_null()
        if department_id is not None:
            where = where | (SupportCannedResponse.department == department_id)
        query = query.where(where)
    rows = await query.order_by(SupportCannedResponse.title).order_by(SupportCannedResponse.id)
    return [CannedRow(r["id"], r["title"], r["body"], r["department"], r["department_name"] or "") for r in rows]


async def canned_response(canned_id: int) -> CannedRow:
    """One canned response; `NotFound` if there is none."""
    r = (
        await SupportCannedResponse.select(
            SupportCannedResponse.id,
            SupportCannedResponse.title,
            SupportCannedResponse.body,
            SupportCannedResponse.department,
            SupportCannedResponse.department.name.as_alias("department_name"),
        )
        .where(SupportCannedResponse.id == canned_id)
        .first()
    )
    if r is None:
        raise NotFound("That canned response does not exist.")
    return CannedRow(r["id"], r["title"], r["body"], r["department"], r["department_name"] or "")
