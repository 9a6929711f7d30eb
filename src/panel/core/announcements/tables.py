"""Announcements: news that staff publish to every client (and to logged-out visitors)."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from panel.core.auth.tables import User


class Announcement(Table, tablename="panel_announcement"):
    """One announcement: shown once `published` is set and `publish_at` has come."""

    id: Serial  # added by Piccolo; declared for type checkers

    title = Varchar(length=200)
    body = Text(default="")  # Markdown, rendered safely by panel.markdown
    published = Boolean(default=False)
    publish_at = Timestamptz(default=TimestamptzNow())  # not shown before this moment (scheduled publishing)
    author = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
