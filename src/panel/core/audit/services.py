"""The audit log: `record` is the one way anything is audited; the lists read it back.

Services that change something call `record` inside their own transaction, so an
event exists exactly when the change was committed. They take the actor as an
explicit `AuditContext` (never a request): routes build it with
`panel.core.audit.context.audit_context(request)`, CLI commands and jobs pass
`SYSTEM`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NotRequired, TypedDict

from piccolo.columns.combination import WhereRaw

from panel.core.accounts.tables import Account
from panel.core.audit.tables import AuditEvent
from panel.core.auth.services import staff_roles
from panel.core.auth.tables import User
from panel.core.authz import Authorizer
from panel.errors import ValidationFailed

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
ACTION_RE = re.compile(r"^[a-z0-9][a-z0-9._:-]*$")
ACTION_PREFIX_RE = re.compile(r"^[a-z0-9._:-]+$")


class AuditContext(TypedDict):
    """Who is acting: pass as `**ctx` to `record` or as `by=` to a service."""

    actor: int | None
    impersonator: int | None
    ip: str
    partner: NotRequired[int | None]
    """The partner account the actor acts for while managing a child account."""


SYSTEM: AuditContext = {"actor": None, "impersonator": None, "ip": ""}
"""The actor of changes made by the panel itself (CLI commands, jobs, demo data)."""


async def record(
    action: str,
    *,
    actor: int | None,
    account_id: int | None,
    target: str = "",
    summary: str,
    details: Mapping[str, Any] | None = None,
    impersonator: int | None = None,
    ip: str = "",
    partner: int | None = None,
) -> int:
    """Write one audit event and return its id.

    Joins the caller's transaction when there is one, so a change that rolls back
    leaves no event behind.

    Args:
        action: what happened, `<thing>.<verb>` in lower case (`account.suspend`);
            plugins prefix theirs with their name (`wordpress.site.delete`).
        actor: the user who did it (the impersonated user while impersonating);
            None for the panel itself.
        account_id: the account it happened in; None for platform-wide events.
            Only events with an account appear in that account's log.
        target: what it was done to, as a rules-engine object (`user:7`, `account:3`).
        summary: one human sentence, shown as it is in the logs.
        details: what changed, JSON-serialisable; `{"field": {"before": x, "after": y}}`
            where that makes sense.
        impersonator: the staff user acting as `actor`, if any.
        ip: the client address.
        partner: the partner account `actor` acted for (a partner managing the account).
    """
    if not ACTION_RE.match(action) or len(action) > 100:
        raise ValueError(f"audit action {action!r} must be lower-case words joined by dots, at most 100 characters")
    row = await AuditEvent.insert(
        AuditEvent(
            actor_user_id=actor,
            impersonator_user_id=impersonator,
            partner_account_id=partner,
            account_id=account_id,
            action=action,
            target=target[:200],
            summary=summary,
            details=dict(details or {}),
            ip=ip[:45],
        )
    ).returning(AuditEvent.id)
    return int(row[0]["id"])


# -- reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    """What a log page or API call asks for; built from raw strings by `parse_filters`."""

    actor: str = ""
    account_id: int | None = None
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None
    before: int | None = None
    limit: int = PAGE_SIZE

    def query_args(self, **changes: Any) -> dict[str, str]:
        """The filters as query-string values (for paging links), with `changes` applied."""
        values: dict[str, Any] = {
            "actor": self.actor,
            "account_id": self.account_id,
            "action": self.action,
            "since": self.since.date().isoformat() if self.since else None,
            "until": (self.until - timedelta(days=1)).date().isoformat() if self.until else None,
            "before": self.before,
            **changes,
        }
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


@dataclass(frozen=True)
class AuditRow:
    """One event as the pages and the API show it."""

    id: int
    at: datetime
    action: str
    target: str
    target_label: str
    summary: str
    details: dict[str, Any]
    ip: str
    account_id: int | None
    account_name: str
    actor_user_id: int | None
    actor_email: str
    impersonator_user_id: int | None
    impersonator_email: str
    actor_staff: str = ""
    impersonator_staff: str = ""
    partner_account_id: int | None = None
    partner_name: str = ""
    """The partner account the actor acted for (a partner managing the account), and its name."""


@dataclass(frozen=True)
class AuditPage:
    """A page of events, newest first, and the `before` value of the next (older) page."""

    rows: list[AuditRow]
    next_before: int | None


def _parse_day(value: str, field: str, errors: dict[str, str]) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        errors[field] = "Enter a date as YYYY-MM-DD."
        return None


def _parse_int(value: str, field: str, message: str, errors: dict[str, str]) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        errors[field] = message
        return None
    return int(value)


def parse_filters(
    *,
    actor: str = "",
    account_id: str = "",
    action: str = "",
    since: str = "",
    until: str = "",
    before: str = "",
    limit: str = "",
) -> AuditFilters:
    """Check the filters a person typed; `ValidationFailed` names each bad field.

    Dates are whole days in UTC; `until` includes its day.
    """
    errors: dict[str, str] = {}
    action = action.strip().lower()
    if action and not ACTION_PREFIX_RE.match(action):
        errors["action"] = "Use the start of an action name, e.g. account. or impersonation.start."
    account = _parse_int(account_id, "account_id", "Enter an account number.", errors)
    start = _parse_day(since, "since", errors)
    end = _parse_day(until, "until", errors)
    if start and end and end < start:
        errors["until"] = "The end date is before the start date."
    cursor = _parse_int(before, "before", "Enter an event number.", errors)
    size = _parse_int(limit, "limit", f"Enter a page size from 1 to {MAX_PAGE_SIZE}.", errors)
    if size is not None and not 1 <= size <= MAX_PAGE_SIZE:
        errors["limit"] = f"Enter a page size from 1 to {MAX_PAGE_SIZE}."
    if errors:
        raise ValidationFailed(errors)
    return AuditFilters(
        actor=actor.strip().lower()[:254],
        account_id=account,
        action=action[:100],
        since=datetime.combine(start, time(), UTC) if start else None,
        until=datetime.combine(end + timedelta(days=1), time(), UTC) if end else None,
        before=cursor,
        limit=size or PAGE_SIZE,
    )


def _like_escape(text: str) -> str:
    # LIKE has no portable escape character: drop '%' and '\\' (PostgreSQL's escape) from
    # what people type. '_' stays: it matches itself too, so a search only widens a little.
    return text.replace("%", "").replace("\\", "")


async def list_events(authz: Authorizer, filters: AuditFilters, account_id: int | None = None) -> AuditPage:
    """Events matching `filters`, newest first; with `account_id`, only that account's.

    At most three queries whatever the page length: the events with actor and
    impersonator emails joined, then the names of the target users and of the
    accounts on the page. Staff roles (`actor_staff`, e.g. "support") come from the
    rules engine's memory. The actor filter matches the actor's or the
    impersonator's email, so it finds what a staff member did while impersonating.
    """
    query = AuditEvent.select(
        AuditEvent.id,
        AuditEvent.at,
        AuditEvent.action,
        AuditEvent.target,
        AuditEvent.summary,
        AuditEvent.details,
        AuditEvent.ip,
        AuditEvent.account_id,
        AuditEvent.partner_account_id,
        AuditEvent.actor_user_id.id,
        AuditEvent.actor_user_id.email,
        AuditEvent.impersonator_user_id.id,
        AuditEvent.impersonator_user_id.email,
    ).output(load_json=True)
    if account_id is not None:
        query = query.where(AuditEvent.account_id == account_id)
    if filters.account_id is not None:
        query = query.where(AuditEvent.account_id == filters.account_id)
    if filters.actor:
        needle = f"%{_like_escape(filters.actor)}%"
        # emails are stored in lower case, so LIKE on the lowered text is case-blind everywhere
        query = query.where(
            AuditEvent.actor_user_id.email.like(needle) | AuditEvent.impersonator_user_id.email.like(needle)
        )
    if filters.action:
        query = query.where(
            WhereRaw('substr("panel_audit_event"."action", 1, {}) = {}', len(filters.action), filters.action)
        )
    if filters.since is not None:
        query = query.where(AuditEvent.at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.at < filters.until)
    if filters.before is not None:
        query = query.where(AuditEvent.id < filters.before)
    rows = await query.order_by(AuditEvent.id, ascending=False).limit(filters.limit + 1)
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    names = await _labels(rows)
    out = [
        AuditRow(
            id=r["id"],
            at=r["at"],
            action=r["action"],
            target=r["target"],
            target_label=names.get(r["target"], r["target"]),
            summary=r["summary"],
            details=r["details"] if isinstance(r["details"], dict) else {},
            ip=r["ip"],
            account_id=r["account_id"],
            account_name=names.get(f"account:{r['account_id']}", ""),
            actor_user_id=r["actor_user_id.id"],
            actor_email=r["actor_user_id.email"] or "",
            impersonator_user_id=r["impersonator_user_id.id"],
            impersonator_email=r["impersonator_user_id.email"] or "",
            actor_staff=_staff(authz, r["actor_user_id.id"]),
            impersonator_staff=_staff(authz, r["impersonator_user_id.id"]),
            partner_account_id=r["partner_account_id"],
            partner_name=names.get(f"account:{r['partner_account_id']}", ""),
        )
        for r in rows
    ]
    return AuditPage(out, out[-1].id if more and out else None)


def _staff(authz: Authorizer, user_id: int | None) -> str:
    return ", ".join(staff_roles(authz, user_id)) if user_id is not None else ""


async def _labels(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Readable names of the accounts and user targets on a page: one query each, at most."""
    user_ids = {int(r["target"][5:]) for r in rows if r["target"].startswith("user:") and r["target"][5:].isdigit()}
    account_ids = {r["account_id"] for r in rows if r["account_id"] is not None}
    account_ids |= {r["partner_account_id"] for r in rows if r.get("partner_account_id") is not None}
    account_ids |= {
        int(r["target"][8:]) for r in rows if r["target"].startswith("account:") and r["target"][8:].isdigit()
    }
    names: dict[str, str] = {}
    if user_ids:
        for u in await User.select(User.id, User.email).where(User.id.is_in(sorted(user_ids))):
            names[f"user:{u['id']}"] = u["email"]
    if account_ids:
        for a in await Account.select(Account.id, Account.name).where(Account.id.is_in(sorted(account_ids))):
            names[f"account:{a['id']}"] = a["name"]
    return names


async def email_of(user_id: int | None) -> str:
    """A user's email ('' for None or an unknown user); no query for None."""
    if user_id is None:
        return ""
    row = await User.select(User.email).where(User.id == user_id).first()
    return str(row["email"]) if row else ""
