"""The audit log: one row per thing someone did that the panel must be able to show later."""

from __future__ import annotations

from piccolo.columns import JSON, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from panel.core.auth.tables import User


class AuditEvent(Table, tablename="panel_audit_event"):
    """Who did what, to what, when, from where, and (while impersonating) on whose behalf.

    `account_id` is a plain integer, not a foreign key, so an account's history
    outlives the account. A deleted user leaves their events behind with the actor
    emptied (the summary and details still say what happened).
    """

    id: Serial  # added by Piccolo; declared for type checkers

    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor_user_id = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, index=True)
    impersonator_user_id = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, index=True)
    account_id = Integer(null=True, default=None, index=True)
    partner_account_id = Integer(null=True, default=None)
    """The partner account the actor acted for, when a partner managed `account_id`."""
    action = Varchar(length=100, index=True)
    target = Varchar(length=200, default="")
    summary = Text(default="")
    details = JSON(default="{}")
    ip = Varchar(length=45, default="")
