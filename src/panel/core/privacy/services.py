"""Personal-data exports: asking for one, building it in a job, downloading it, expiring it.

A user asks for an archive of their own data (everything about them), or an account
admin asks for a member's (only what belongs to that account; the rules engine
decides that on the route, as `userdata:<user id>` `backup`, and the member is told by
email). The archive is built by the `privacy.export` job, kept in the upload store
for `KEEP` (7 days), and only the person who asked may download it: to anyone else
it does not exist. The daily `privacy.expire` job deletes expired archives.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.datastructures import UploadFile

from panel.core import db, uploads
from panel.core.accounts.tables import Account
from panel.core.audit.services import AuditContext, record
from panel.core.auth.tables import User
from panel.core.authz import Authorizer
from panel.core.jobs import services as jobs
from panel.core.mail import services as mail
from panel.core.members.services import get_member
from panel.core.privacy import collect
from panel.core.privacy.tables import ExportState, PrivacyExport
from panel.errors import NotFound
from panel.settings import Settings

AREA = "privacy-exports"
KEEP = timedelta(days=7)
MAX_BYTES = 512 * 1024 * 1024
EXPORT_JOB = "privacy.export"
EXPIRE_JOB = "privacy.expire"
MAX_ATTEMPTS = 3

Progress = Callable[[int, str], Awaitable[None]]


@dataclass(frozen=True)
class ExportView:
    """An export as its requester sees it."""

    id: int
    user_id: int
    user_email: str
    account_id: int | None
    state: str
    size: int
    error: str
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None

    @property
    def live(self) -> bool:
        """Still being made: the page polls for news."""
        return self.state in ExportState.PENDING

    @property
    def ready(self) -> bool:
        """The archive can be downloaded."""
        return self.state == ExportState.READY


def _now() -> datetime:
    return datetime.now(UTC)


_COLUMNS = (
    PrivacyExport.id,
    PrivacyExport.user.id,
    PrivacyExport.user.email,
    PrivacyExport.account_id,
    PrivacyExport.state,
    PrivacyExport.size,
    PrivacyExport.error,
    PrivacyExport.created_at,
    PrivacyExport.finished_at,
    PrivacyExport.expires_at,
)


def _view(row: dict[str, Any]) -> ExportView:
    return ExportView(
        id=row["id"],
        user_id=row["user.id"],
        user_email=row["user.email"],
        account_id=row["account_id"],
        state=row["state"],
        size=row["size"],
        error=row["error"],
        created_at=row["created_at"],
        finished_at=row["finished_at"],
        expires_at=row["expires_at"],
    )


def _not_expired() -> Any:
    return PrivacyExport.expires_at.is_null() | (PrivacyExport.expires_at > _now())


# -- asking -------------------------------------------------------------------------------


async def _request(settings: Settings, user_id: int, account_id: int | None, by: AuditContext) -> int:
    """Queue an export unless the same requester already has one being made; its id."""
    requester = by["actor"]
    if requester is None:
        raise NotFound("Log in to ask for an export.")
    scope = PrivacyExport.account_id.is_null() if account_id is None else PrivacyExport.account_id == account_id
    async with db.write_transaction():
        pending = await (
            PrivacyExport.select(PrivacyExport.id, PrivacyExport.job_id)
            .where(
                (PrivacyExport.user == user_id)
                & (PrivacyExport.requested_by == requester)
                & scope
                & PrivacyExport.state.is_in(list(ExportState.PENDING))
            )
            .first()
        )
        if pending is not None and pending["job_id"] is not None:
            return int(pending["id"])
        if pending is None:
            inserted = await PrivacyExport.insert(
                PrivacyExport(user=user_id, requested_by=requester, account_id=account_id)
            ).returning(PrivacyExport.id)
            export_id = int(inserted[0]["id"])
            email = await User.select(User.email).where(User.id == user_id).first()
            whose = "their own data" if requester == user_id else f"the data of {email['email'] if email else user_id}"
            await record(
                "privacy.export.request",
                account_id=account_id,
                target=f"userdata:{user_id}",
                summary=f"Asked for an export of {whose}"
                + (" held by this account." if account_id is not None else "."),
                details={"export_id": export_id, "scope": "account" if account_id is not None else "everything"},
                **by,
            )
            if requester != user_id and email is not None:
                await _notify(user_id, email["email"], account_id, requester)
        else:
            export_id = int(pending["id"])
    # After the commit (see docs/jobs.md); a crash before this leaves a row without a job,
    # which the next request of the same export queues (the key makes that safe).
    job_id = await jobs.enqueue(
        settings, EXPORT_JOB, {"export_id": export_id}, key=f"privacy.export:{export_id}", max_attempts=MAX_ATTEMPTS
    )
    await PrivacyExport.update({PrivacyExport.job_id: job_id}).where(PrivacyExport.id == export_id)
    return export_id


async def _notify(user_id: int, email: str, account_id: int | None, requester: int) -> None:
    """Tell a member that an admin of an account exported their data (joins the caller's transaction)."""
    user = await User.select(User.name).where(User.id == user_id).first()
    admin = await User.select(User.email, User.name).where(User.id == requester).first()
    account = await Account.select(Account.name).where(Account.id == account_id).first() if account_id else None
    await mail.send(
        "privacy_export_notice",
        email,
        {
            "name": user["name"] if user else "",
            "email": email,
            "account": account["name"] if account else "",
            "admin": (admin["name"] or admin["email"]) if admin else "an administrator",
            "admin_email": admin["email"] if admin else "",
            "days": KEEP.days,
        },
        account_id=account_id,
    )


async def request_own(settings: Settings, user_id: int, by: AuditContext) -> int:
    """A user asks for an archive of all their data; returns the export's id (the pending one if any)."""
    return await _request(settings, user_id, None, by)


async def request_for_member(
    authz: Authorizer, settings: Settings, account_id: int, user_id: int, by: AuditContext
) -> int:
    """An account admin asks for a member's data held by the account; the member is emailed.

    Raises `NotFound` when the user is not a member of the account.
    """
    await get_member(authz, account_id, user_id)
    return await _request(settings, user_id, account_id, by)


# -- reading ------------------------------------------------------------------------------


async def list_requested(requester: int, user_id: int, account_id: int | None) -> list[ExportView]:
    """The unexpired exports `requester` asked for about `user_id` (in `account_id`, or their own), newest first."""
    scope = PrivacyExport.account_id.is_null() if account_id is None else PrivacyExport.account_id == account_id
    rows = await (
        PrivacyExport.select(*_COLUMNS)
        .where((PrivacyExport.requested_by == requester) & (PrivacyExport.user == user_id) & scope & _not_expired())
        .order_by(PrivacyExport.id, ascending=False)
        .limit(10)
    )
    return [_view(r) for r in rows]


async def get_for_requester(export_id: int, requester: int) -> ExportView:
    """An unexpired export that `requester` asked for; `NotFound` for anything else (also other people's)."""
    row = await (
        PrivacyExport.select(*_COLUMNS)
        .where((PrivacyExport.id == export_id) & (PrivacyExport.requested_by == requester) & _not_expired())
        .first()
    )
    if row is None:
        raise NotFound("There is no such export.")
    return _view(row)


async def download(export_id: int, requester: int, by: AuditContext) -> uploads.StoredFile:
    """The ready archive for its requester, audited; `NotFound` when not theirs, not ready or expired."""
    view = await get_for_requester(export_id, requester)
    row = await PrivacyExport.select(PrivacyExport.file_key).where(PrivacyExport.id == export_id).first()
    if not view.ready or row is None or not row["file_key"]:
        raise NotFound("This export is not ready.")
    async with db.write_transaction():
        await record(
            "privacy.export.download",
            account_id=view.account_id,
            target=f"userdata:{view.user_id}",
            summary=f"Downloaded the data export of {view.user_email}.",
            details={"export_id": export_id},
            **by,
        )
    stamp = view.created_at.strftime("%Y%m%d")
    return uploads.StoredFile(
        key=row["file_key"],
        filename=f"data-export-user{view.user_id}-{stamp}.zip",
        content_type=uploads.TYPES["zip"].content_type,
        size=view.size,
        sha256="",
    )


# -- the jobs -----------------------------------------------------------------------------


async def build(export_id: int, progress: Progress) -> None:
    """Make the archive of an export and keep it for `KEEP`; safe to run again (a later run replaces the file).

    An export already ready, or gone (expired, user deleted), is left alone.
    """
    row = await (
        PrivacyExport.select(PrivacyExport.user, PrivacyExport.account_id, PrivacyExport.state, PrivacyExport.file_key)
        .where(PrivacyExport.id == export_id)
        .first()
    )
    if row is None or row["state"] == ExportState.READY:
        return
    await PrivacyExport.update({PrivacyExport.state: ExportState.RUNNING, PrivacyExport.error: ""}).where(
        PrivacyExport.id == export_id
    )
    await progress(10, "collecting the data")
    files = await collect.collect(row["user"], row["account_id"])
    data = collect.to_zip(files, row["user"], row["account_id"])
    await progress(70, "storing the archive")
    stored = await uploads.store(
        UploadFile("application/zip", f"export-{export_id}.zip", file_data=data),
        area=AREA,
        max_bytes=MAX_BYTES,
        allowed=frozenset({"zip"}),
    )
    now = _now()
    async with db.write_transaction():
        await PrivacyExport.update(
            {
                PrivacyExport.state: ExportState.READY,
                PrivacyExport.file_key: stored.key,
                PrivacyExport.size: stored.size,
                PrivacyExport.finished_at: now,
                PrivacyExport.expires_at: now + KEEP,
            }
        ).where(PrivacyExport.id == export_id)
    if row["file_key"]:
        uploads.remove(AREA, row["file_key"])
    await progress(100, f"{stored.size} bytes")


async def attempt_failed(export_id: int, error: str, final: bool) -> None:
    """Record a failed build: `failed` after the last attempt, else queued again (the job retries)."""
    state = ExportState.FAILED if final else ExportState.QUEUED
    values: dict[Any, Any] = {PrivacyExport.state: state, PrivacyExport.error: error[:500]}
    if final:
        values[PrivacyExport.finished_at] = _now()
        values[PrivacyExport.expires_at] = _now() + KEEP
    await PrivacyExport.update(values).where(PrivacyExport.id == export_id)


async def expire(now: datetime | None = None) -> int:
    """Delete every export past its expiry, with its archive; how many went (safe to run twice)."""
    moment = now or _now()
    rows = await PrivacyExport.select(PrivacyExport.id, PrivacyExport.file_key).where(
        PrivacyExport.expires_at.is_not_null() & (PrivacyExport.expires_at <= moment)
    )
    if not rows:
        return 0
    async with db.write_transaction():
        await PrivacyExport.delete().where(PrivacyExport.id.is_in([r["id"] for r in rows]))
    for r in rows:
        if r["file_key"]:
            uploads.remove(AREA, r["file_key"])
    return len(rows)
