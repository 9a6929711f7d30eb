"""What the staff desk reads: the ticket list, my queue with its first-reply clock, the staff who answer tickets.

Every list is one query for its rows (accounts, departments and assignees joined in)
plus a count, whatever the page size; the pages add a constant few (departments, staff).
Departments and canned responses are read in `staff_settings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.query import OrderByRaw

from panel.core import db
from panel.core.auth.tables import User
from panel.core.authz.engine import Authorizer, AuthzRequest
from panel.core.authz.tables import CasbinRule
from panel.core.paging import Page
from panel.core.support.config import PLUGIN
from panel.core.support.queries import clamp
from panel.core.support.tables import (
    SupportDepartmentStaff,
    SupportTicket,
    TicketPriority,
    TicketStatus,
)
from panel.settings import Settings

PAGE_SIZE = 25
DEFAULT_SLA_HOURS = 4
AWAITING_REPLY = (TicketStatus.OPEN, TicketStatus.CUSTOMER_REPLY)
STATUS_FILTERS: dict[str, str] = {
    "active": "Not closed",
    "awaiting": "Awaiting reply",
    **TicketStatus.LABELS,
    "all": "All",
}
ASSIGNED_FILTERS = {"": "Anyone", "me": "Assigned to me", "none": "Unassigned"}
SORTS = {"urgency": "Most urgent first", "last_reply": "Latest reply first"}

_PRIORITY_RANK = (
    "CASE \"panel_support_ticket\".\"priority\" WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END"
)
_WAITING_RANK = (
    "CASE WHEN \"panel_support_ticket\".\"status\" IN ('open', 'customer_reply') THEN 0"
    ' WHEN "panel_support_ticket"."status" = \'closed\' THEN 2 ELSE 1 END'
)


def sla_hours(settings: Settings) -> int:
    """The first-reply target of the queue, in hours (`sla_first_reply_hours`, default 4)."""
    raw = settings.for_plugin(PLUGIN).get("sla_first_reply_hours", DEFAULT_SLA_HOURS)
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return DEFAULT_SLA_HOURS


def _int_or_none(raw: Any) -> int | None:
    text = str(raw or "").strip().removeprefix("#")
    return int(text) if text.isdigit() else None


@dataclass(frozen=True)
class DeskFilters:
    """The ticket list's filters, from the query string (unknown values fall back to the default)."""

    status: str = "active"
    department: int | None = None
    priority: str = ""
    assigned: str = ""
    account: int | None = None
    q: str = ""
    sort: str = "urgency"

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> DeskFilters:
        """Filters from raw strings, keeping only values the list knows."""
        status = str(raw.get("status") or "active")
        priority = str(raw.get("priority") or "")
        assigned = str(raw.get("assigned") or "")
        sort = str(raw.get("sort") or "urgency")
        return cls(
            status=status if status in STATUS_FILTERS else "active",
            department=_int_or_none(raw.get("department")),
            priority=priority if priority in TicketPriority.ALL else "",
            assigned=assigned if assigned in ASSIGNED_FILTERS else "",
            account=_int_or_none(raw.get("account")),
            q=" ".join(str(raw.get("q") or "").split())[:100],
            sort=sort if sort in SORTS else "urgency",
        )

    def query_args(self, **changes: Any) -> dict[str, str]:
        """The filters as query-string values (for paging and sorting links), with `changes` applied."""
        values = {**self.__dict__, **changes}
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


@dataclass(frozen=True)
class DeskRow:
    """A ticket as the desk's lists show it."""

    id: int
    number: str
    subject: str
    status: str
    status_label: str
    priority: str
    priority_label: str
    account_id: int
    account_name: str
    department: str
    assignee: str
    created_at: datetime
    last_reply_at: datetime
    last_reply_by: str
    first_staff_reply_at: datetime | None
    waiting: timedelta = timedelta(0)
    first_reply_clock: timedelta | None = None
    over_target: bool = False

    @property
    def waiting_text(self) -> str:
        """How long since the last reply, e.g. `2 d 3 h` or `45 min`."""
        return duration_text(self.waiting)

    @property
    def clock_text(self) -> str:
        """The first-reply clock as text ('' once staff answered)."""
        return duration_text(self.first_reply_clock) if self.first_reply_clock is not None else ""


def duration_text(span: timedelta) -> str:
    """A short human duration: minutes under an hour, hours under two days, then days and hours."""
    minutes = max(0, int(span.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h {minutes % 60:02d} min"
    return f"{hours // 24} d {hours % 24} h"


_COLUMNS = (
    SupportTicket.id,
    SupportTicket.number,
    SupportTicket.subject,
    SupportTicket.status,
    SupportTicket.priority,
    SupportTicket.account,
    SupportTicket.account.name.as_alias("account_name"),
    SupportTicket.department.name.as_alias("department_name"),
    SupportTicket.assigned_to.name.as_alias("assignee_name"),
    SupportTicket.assigned_to.email.as_alias("assignee_email"),
    SupportTicket.created_at,
    SupportTicket.last_reply_at,
    SupportTicket.last_reply_by,
    SupportTicket.first_staff_reply_at,
)


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _row(r: dict[str, Any], now: datetime, target: timedelta | None = None) -> DeskRow:
    row = DeskRow(
        id=r["id"],
        number=r["number"],
        subject=r["subject"],
        status=r["status"],
        status_label=TicketStatus.LABELS.get(r["status"], r["status"]),
        priority=r["priority"],
        priority_label=TicketPriority.LABELS.get(r["priority"], r["priority"]),
        account_id=r["account"],
        account_name=r["account_name"] or "",
        department=r["department_name"] or "",
        assignee=r["assignee_name"] or r["assignee_email"] or "",
        created_at=r["created_at"],
        last_reply_at=r["last_reply_at"],
        last_reply_by=r["last_reply_by"],
        first_staff_reply_at=r["first_staff_reply_at"],
    )
    waiting = now - _as_utc(row.last_reply_at)
    clock = now - _as_utc(row.created_at) if row.first_staff_reply_at is None else None
    over = bool(target is not None and clock is not None and clock > target)
    return replace(row, waiting=waiting, first_reply_clock=clock, over_target=over)


def _where(filters: DeskFilters, me: int) -> Any:
    """The list's WHERE clause (None: every ticket)."""
    parts: list[Any] = []
    if filters.status == "active":
        parts.append(SupportTicket.status.is_in(list(TicketStatus.ACTIVE)))
    elif filters.status == "awaiting":
        parts.append(SupportTicket.status.is_in(list(AWAITING_REPLY)))
    elif filters.status in TicketStatus.ALL:
        parts.append(SupportTicket.status == filters.status)
    if filters.department is not None:
        parts.append(SupportTicket.department == filters.department)
    if filters.priority:
        parts.append(SupportTicket.priority == filters.priority)
    if filters.assigned == "me":
        parts.append(SupportTicket.assigned_to == me)
    elif filters.assigned == "none":
        parts.append(SupportTicket.assigned_to.is_null())
    if filters.account is not None:
        parts.append(SupportTicket.account == filters.account)
    if filters.q:
        pattern = f"%{filters.q}%"
        if db.is_sqlite():  # SQLite's LIKE ignores ASCII case already (and has no ILIKE)
            parts.append(SupportTicket.subject.like(pattern) | SupportTicket.number.like(pattern))
        else:
            parts.append(SupportTicket.subject.ilike(pattern) | SupportTicket.number.ilike(pattern))
    where = parts[0] if parts else None
    for part in parts[1:]:
        where = where & part
    return where


async def desk_tickets(filters: DeskFilters, me: int, limit: int = PAGE_SIZE, offset: int = 0) -> Page[DeskRow]:
    """Tickets of every account matching `filters`, sorted as asked; one query for the rows, one for the count."""
    limit, offset = clamp(limit, offset)
    where = _where(filters, me)
    query = SupportTicket.select(*_COLUMNS)
    count = SupportTicket.count()
    if where is not None:
        query, count = query.where(where), count.where(where)
    if filters.sort == "last_reply":
        query = query.order_by(SupportTicket.last_reply_at, ascending=False)
    else:
        query = query.order_by(OrderByRaw(_WAITING_RANK), OrderByRaw(_PRIORITY_RANK)).order_by(
            SupportTicket.last_reply_at
        )
    rows = await query.order_by(SupportTicket.id).limit(limit).offset(offset)
    total = len(rows) if offset == 0 and len(rows) < limit else await count
    now = datetime.now(UTC)
    return Page([_row(r, now) for r in rows], total, limit, offset)


async def my_departments(user_id: int) -> list[int]:
    """The departments a staff user is assigned to."""
    rows = await SupportDepartmentStaff.select(SupportDepartmentStaff.department).where(
        SupportDepartmentStaff.user == user_id
    )
    return sorted({int(r["department"]) for r in rows})


async def my_queue(user_id: int, target_hours: int, limit: int = PAGE_SIZE, offset: int = 0) -> Page[DeskRow]:
    """Tickets waiting for staff in my departments (unassigned or mine) and those assigned to me, oldest wait first.

    Each row carries the first-reply clock (time since opened while no staff reply
    came) and whether it is over `target_hours`.
    """
    limit, offset = clamp(limit, offset)
    departments = await my_departments(user_id)
    mine: Any = SupportTicket.assigned_to == user_id
    if departments:
        mine = mine | (SupportTicket.department.is_in(departments) & SupportTicket.assigned_to.is_null())
    where = SupportTicket.status.is_in(list(TicketStatus.AWAITING_STAFF)) & mine
    rows = (
        await SupportTicket.select(*_COLUMNS)
        .where(where)
        .order_by(SupportTicket.last_reply_at)
        .order_by(SupportTicket.id)
        .limit(limit)
        .offset(offset)
    )
    total = len(rows) if offset == 0 and len(rows) < limit else await SupportTicket.count().where(where)
    now = datetime.now(UTC)
    target = timedelta(hours=target_hours)
    return Page([_row(r, now, target) for r in rows], total, limit, offset)


async def account_tickets_for_merge(account_id: int, ticket_id: int, limit: int = 50) -> list[DeskRow]:
    """Other tickets of the same account that could be merged into `ticket_id` (not merged already), latest first."""
    rows = (
        await SupportTicket.select(*_COLUMNS)
        .where(
            (SupportTicket.account == account_id)
            & (SupportTicket.id != ticket_id)
            & SupportTicket.merged_into.is_null()
        )
        .order_by(SupportTicket.last_reply_at, ascending=False)
        .limit(limit)
    )
    now = datetime.now(UTC)
    return [_row(r, now) for r in rows]


async def ticket_number(ticket_id: int | None) -> str:
    """A ticket's public reference ('' for None or a ticket that is gone)."""
    if ticket_id is None:
        return ""
    row = await SupportTicket.select(SupportTicket.number).where(SupportTicket.id == ticket_id).first()
    return str(row["number"]) if row else ""


# -- staff ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffUser:
    """A staff user who may work on tickets."""

    id: int
    name: str
    email: str

    @property
    def label(self) -> str:
        """Name and address, for selects."""
        return f"{self.name} <{self.email}>" if self.name else self.email


async def desk_staff(authz: Authorizer) -> list[StaffUser]:
    """Active platform staff the rules engine lets answer tickets (two queries; decisions from memory)."""
    grants = await CasbinRule.select(CasbinRule.v0).where(CasbinRule.ptype == "g2")
    ids = sorted({int(g["v0"].removeprefix("user:")) for g in grants if g["v0"].removeprefix("user:").isdigit()})
    allowed = [i for i in ids if authz.allowed(AuthzRequest(f"user:{i}", "", "platform", "ticket:*", "reply"))]
    if not allowed:
        return []
    rows = (
        await User.select(User.id, User.name, User.email)
        .where(User.id.is_in(allowed) & User.is_active.eq(True))
        .order_by(User.name)
        .order_by(User.email)
    )
    return [StaffUser(r["id"], r["name"] or "", r["email"]) for r in rows]
