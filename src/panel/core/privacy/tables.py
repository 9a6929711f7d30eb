"""Personal-data exports: one row per archive asked for, by the user themself or by an account admin."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from panel.core.auth.tables import User


class ExportState:
    """Values of `PrivacyExport.state`."""

    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"
    PENDING = (QUEUED, RUNNING)


class PrivacyExport(Table, tablename="panel_privacy_export"):
    """An archive of one user's data, built by a background job and downloadable by its requester only.

    `account_id` is None for a user's own export (everything about them) and the
    account for an admin's export (only what belongs to that account); a plain
    integer, so the row and its file expire on schedule even if the account goes.
    `file_key` names the zip in the upload store (area `privacy-exports`) once ready.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    requested_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, index=True)
    account_id = Integer(null=True, default=None, index=True)
    state = Varchar(length=10, default=ExportState.QUEUED, index=True)
    job_id = Integer(null=True, default=None)
    file_key = Varchar(length=64, default="")
    size = Integer(default=0)
    error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
    expires_at = Timestamptz(null=True, default=None, index=True)
