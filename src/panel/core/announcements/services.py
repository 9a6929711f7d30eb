"""Announcements: what clients and visitors see, and how staff write them.

An announcement is shown when it is `published` and its `publish_at` has come, so
staff can schedule one ahead: until then it answers 404 like one that does not
exist. Times are UTC.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from panel.core import db
from panel.core.announcements.tables import Announcement
from panel.core.audit.services import AuditContext, record
from panel.core.paging import Page
from panel.core.stores.validation import as_bool
from panel.errors import NotFound, ValidationFailed
from panel.markdown import plain, render

PAGE_SIZE = 10
ADMIN_PAGE_SIZE = 50
WIDGET_COUNT = 3
MAX_TITLE = 200
MAX_BODY = 100_000
INPUT_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends

COLUMNS = (
    Announcement.id,
    Announcement.title,
    Announcement.body,
    Announcement.published,
    Announcement.publish_at,
    Announcement.updated_at,
)


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def _aware(value: Any) -> datetime:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass(frozen=True)
class AnnouncementView:
    """An announcement as pages show it."""

    id: int
    title: str
    body: str
    published: bool
    publish_at: datetime
    updated_at: datetime

    @property
    def html(self) -> Markup:
        """The body as safe HTML."""
        return render(self.body)

    @property
    def summary(self) -> str:
        """The first words of the body, without markup."""
        return plain(self.body, 240)

    @property
    def publish_at_input(self) -> str:
        """`publish_at` as a datetime-local form value."""
        return self.publish_at.astimezone(UTC).strftime(INPUT_FORMAT)

    def state(self, now: datetime) -> str:
        """`draft`, `scheduled` (published, its time not come) or `published`."""
        if not self.published:
            return "draft"
        return "scheduled" if self.publish_at > now else "published"


def _view(row: Mapping[str, Any]) -> AnnouncementView:
    return AnnouncementView(
        id=row["id"],
        title=row["title"],
        body=row["body"],
        published=bool(row["published"]),
        publish_at=_aware(row["publish_at"]),
        updated_at=_aware(row["updated_at"]),
    )


def _shown(now: datetime) -> Any:
    return (Announcement.published == True) & (Announcement.publish_at <= now)  # noqa: E712 (a SQL expression)


# -- reading ----------------------------------------------------------------------------


async def visible_page(limit: int, offset: int, now: datetime | None = None) -> Page[AnnouncementView]:
    """Published announcements whose time has come, newest first (two queries)."""
    when = now or utc_now()
    rows = (
        await Announcement.select(*COLUMNS)
        .where(_shown(when))
        .order_by(Announcement.publish_at, ascending=False)
        .order_by(Announcement.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    total = await Announcement.count().where(_shown(when))
    return Page([_view(r) for r in rows], total, limit, offset)


LATEST_SQL = (
    "SELECT id, title, body, published, publish_at, updated_at "  # noqa: S608
    f"FROM {Announcement._meta.tablename} WHERE published = {{}} AND publish_at <= {{}} "
    "ORDER BY publish_at DESC, id DESC LIMIT {}"
)


async def latest(count: int = WIDGET_COUNT, now: datetime | None = None) -> list[AnnouncementView]:
    """The newest `count` announcements clients can see (one hand-written statement: every home page runs it)."""
    rows = await db.fetch(LATEST_SQL, True, now or utc_now(), count)
    return [_view(r) for r in rows]


HOME_FRESH_FOR = 30.0
"""Seconds the home page's announcements stay in use per process (saved ones show at once in this process)."""

_home: tuple[float, list[AnnouncementView]] | None = None


async def latest_for_home() -> list[AnnouncementView]:
    """`latest()` for the home page: read at most every `HOME_FRESH_FOR` seconds per process.

    Announcements are the same for every client and change rarely; one published
    from another process, or whose scheduled time comes, shows within those seconds.
    """
    global _home
    now = time.monotonic()
    if _home is None or now - _home[0] > HOME_FRESH_FOR:
        _home = (now, await latest())
    return _home[1]


def forget_home() -> None:
    """Read the home page's announcements again at the next view (after a change)."""
    global _home
    _home = None


async def get_visible(announcement_id: int, now: datetime | None = None) -> AnnouncementView:
    """One announcement clients can see; a draft or scheduled one is NotFound."""
    row = (
        await Announcement.select(*COLUMNS)
        .where((Announcement.id == announcement_id) & _shown(now or utc_now()))
        .first()
    )
    if row is None:
        raise NotFound("There is no such announcement.")
    return _view(row)


async def get(announcement_id: int) -> AnnouncementView:
    """Any announcement, drafts included (staff)."""
    row = await Announcement.select(*COLUMNS).where(Announcement.id == announcement_id).first()
    if row is None:
        raise NotFound("There is no such announcement.")
    return _view(row)


async def admin_page(limit: int, offset: int) -> Page[AnnouncementView]:
    """Every announcement, latest publish time first (two queries)."""
    rows = (
        await Announcement.select(*COLUMNS)
        .order_by(Announcement.publish_at, ascending=False)
        .order_by(Announcement.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    return Page([_view(r) for r in rows], await Announcement.count(), limit, offset)


# -- writing ----------------------------------------------------------------------------


def parse_publish_at(raw: str, now: datetime) -> datetime:
    """A datetime-local value (UTC) as an aware datetime; empty means now. Raises ValueError."""
    text = raw.strip()
    if not text:
        return now.replace(second=0, microsecond=0)
    for fmt in (INPUT_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(text)


def clean(values: Mapping[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """The form's values checked and typed; raises ValidationFailed naming each bad field."""
    errors: dict[str, str] = {}
    title = str(values.get("title") or "").strip()
    body = str(values.get("body") or "").replace("\r\n", "\n")
    if not title:
        errors["title"] = "Give the announcement a title."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Keep the title to {MAX_TITLE} characters."
    if len(body) > MAX_BODY:
        errors["body"] = f"Keep the text to {MAX_BODY:,} characters."
    publish_at = utc_now()
    try:
        publish_at = parse_publish_at(str(values.get("publish_at") or ""), now or utc_now())
    except ValueError:
        errors["publish_at"] = "Give a date and time like 2026-01-31T09:00 (UTC), or leave it empty for now."
    if errors:
        raise ValidationFailed(errors)
    return {"title": title, "body": body, "published": as_bool(values.get("published")), "publish_at": publish_at}


async def save(announcement_id: int | None, values: Mapping[str, Any], *, user_id: int | None, by: AuditContext) -> int:
    """Create (id None) or change an announcement from form values; returns its id."""
    data = clean(values)
    async with db.write_transaction():
        if announcement_id is None:
            row = await Announcement.insert(Announcement(**data, author=user_id)).returning(Announcement.id)
            announcement_id = int(row[0]["id"])
            verb = "created"
        else:
            await get(announcement_id)
            changes: dict[Any, Any] = {**data, Announcement.updated_at: utc_now()}
            await Announcement.update(changes).where(Announcement.id == announcement_id)
            verb = "changed"
        await record(
            f"announcement.{'create' if verb == 'created' else 'update'}",
            account_id=None,
            target=f"announcement:{announcement_id}",
            summary=f"Announcement “{data['title']}” {verb}",
            details={"published": data["published"], "publish_at": data["publish_at"].isoformat()},
            **by,
        )
    forget_home()
    return announcement_id


async def delete(announcement_id: int, *, by: AuditContext) -> None:
    """Delete an announcement for good."""
    async with db.write_transaction():
        found = await get(announcement_id)
        await Announcement.delete().where(Announcement.id == announcement_id)
        await record(
            "announcement.delete",
            account_id=None,
            target=f"announcement:{announcement_id}",
            summary=f"Announcement “{found.title}” deleted",
            **by,
        )
    forget_home()
