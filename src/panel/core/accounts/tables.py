"""Accounts (the billable party) and who belongs to them.

What a member may do is not stored here: per-account permissions are grants in the
rules engine (`panel_casbin_rule`), so every decision has one source.
"""

from __future__ import annotations

from piccolo.columns import ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from panel.core.auth.tables import User
from panel.core.stores.tables import Store


class AccountStatus:
    """Values of `Account.status`."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class Account(Table, tablename="panel_account"):
    """A person, company or project that owns services, domains and invoices."""

    id: Serial  # added by Piccolo; declared for type checkers

    name = Varchar(length=200)
    status = Varchar(length=20, default=AccountStatus.ACTIVE, index=True)
    owner = ForeignKey(references=User, on_delete=OnDelete.restrict, index=True)
    store = ForeignKey(references=Store, on_delete=OnDelete.restrict, null=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Membership(Table, tablename="panel_membership"):
    """A user belongs to an account; the owner has a membership too."""

    id: Serial  # added by Piccolo; declared for type checkers

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
