"""Impersonation: staff open the client area as a user, and come back.

The staff member's own session is turned into a session of the user (with
`impersonator_id` set and a fresh token), and turned back on stop (a fresh token
again), so there is never a second cookie to lose or to steal. While the session
carries an impersonator the rules engine runs in `mode:impersonation`, whose deny
lines (passwords, payment methods, ownership...) bind whoever is impersonated.

Every start and stop is recorded in the log of each active account of the user,
since the impersonation opens all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from panel.core import db
from panel.core.accounts import services as accounts
from panel.core.accounts.tables import AccountStatus
from panel.core.audit.services import AuditContext, email_of, record
from panel.core.auth import sessions
from panel.core.auth.services import staff_roles
from panel.core.auth.tables import Session, User
from panel.core.authz import Authorizer
from panel.errors import Forbidden, NotFound

DATA_KEY = "impersonation"


@dataclass(frozen=True)
class Switched:
    """The session's new token and the account it now works in (None: pick one)."""

    token: str
    account_id: int | None


async def start(authz: Authorizer, session: sessions.CurrentSession, user_id: int, by: AuditContext) -> Switched:
    """Turn a staff member's session into a session of `user_id`.

    The route's guard has already checked that the staff member may impersonate
    this user. Refused (with a message naming why) for staff users, disabled users,
    users whose every account is suspended or closed, and from a session that is
    already impersonating. The session works in the user's last account if it is
    active, else their only active account, else the user picks one.
    """
    if session.impersonator_id is not None:
        raise Forbidden("Go back to your own session before impersonating someone else.")
    row = await User.select(User.id, User.email, User.is_active, User.last_account_id).where(User.id == user_id).first()
    if row is None:
        raise NotFound("No such user.")
    email = row["email"]
    if user_id == session.user_id or staff_roles(authz, user_id):
        raise Forbidden(f"{email} is platform staff: staff members cannot be impersonated.")
    if not row["is_active"]:
        raise Forbidden(f"{email} is disabled: a disabled user cannot be impersonated.")
    mine = await accounts.accounts_of(user_id)
    usable = [a.id for a in mine if a.status == AccountStatus.ACTIVE]
    if mine and not usable:
        raise Forbidden(f"Every account of {email} is suspended or closed: there is nothing to open as them.")
    if row["last_account_id"] in usable:
        account_id = row["last_account_id"]
    else:
        account_id = usable[0] if len(usable) == 1 else None
    data = await _session_data(session.id)
    data[DATA_KEY] = {"return_account_id": session.account_id}
    async with db.write_transaction():
        token = await sessions.rotate(
            session.id, user=user_id, account_id=account_id, impersonator_id=session.user_id, data=data
        )
        await _record_each(
            "impersonation.start",
            usable,
            by,
            user_id,
            f"{session.email} started acting as {email}.",
            {"user": email, "staff": session.email, "account_opened": account_id},
        )
    return Switched(token, account_id)


async def stop(session: sessions.CurrentSession, by: AuditContext) -> Switched | None:
    """Give the session back to the staff member who was impersonating; None if nobody was.

    The staff member gets back the account they were working in before. `by` is
    the request's context: its impersonator becomes the actor of the event.
    """
    staff_id = session.impersonator_id
    if staff_id is None:
        return None
    data = await _session_data(session.id)
    back = data.pop(DATA_KEY, None) or {}
    return_account = back.get("return_account_id") if isinstance(back, dict) else None
    staff_email = await email_of(staff_id)
    usable = [a.id for a in await accounts.accounts_of(session.user_id) if a.status == AccountStatus.ACTIVE]
    async with db.write_transaction():
        token = await sessions.rotate(
            session.id, user=staff_id, account_id=return_account, impersonator_id=None, data=data
        )
        await _record_each(
            "impersonation.stop",
            usable,
            {"actor": staff_id, "impersonator": None, "ip": by["ip"]},
            session.user_id,
            f"{staff_email} stopped acting as {session.email}.",
            {"user": session.email, "staff": staff_email},
        )
    return Switched(token, return_account)


async def _session_data(session_id: int) -> dict[str, Any]:
    row = await Session.select(Session.data).where(Session.id == session_id).output(load_json=True).first()
    data = row["data"] if row else None
    return dict(data) if isinstance(data, dict) else {}


async def _record_each(
    action: str, account_ids: list[int], by: AuditContext, user_id: int, summary: str, details: dict[str, Any]
) -> None:
    """One event per account, or one platform event when the user has no account."""
    targets: list[int | None] = [*account_ids] or [None]
    for account_id in targets:
        await record(action, account_id=account_id, target=f"user:{user_id}", summary=summary, details=details, **by)
