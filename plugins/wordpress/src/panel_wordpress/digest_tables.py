"""What the update digests remember: each account's choice, and every digest sent.

`WordpressDigestPref` holds an account's schedule and recipients (an account without a
row gets the defaults: weekly, to the owner). `WordpressDigestSent` has one row per
digest sent, keyed by audience, schedule and period (`key`, unique): the digest job
inserts that row and queues the email in one transaction, so a rerun, a second
worker or a retried job finds the row and sends nothing.
"""

from __future__ import annotations

from panel.core.accounts.tables import Account
from panel.core.auth.tables import User
from piccolo.columns import JSON, Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class DigestSchedule:
    """How often a digest goes out (values of the schedule columns and settings)."""

    DAILY = "daily"
    WEEKLY = "weekly"
    OFF = "off"

    ALL = (DAILY, WEEKLY, OFF)
    DEFAULT = WEEKLY


class DigestAudience:
    """Values of `WordpressDigestSent.audience`: whom a digest is about."""

    ACCOUNT = "account"  # the account's own sites, to its owner and chosen contacts
    CLIENTS = "clients"  # a reseller's clients' sites, to the reseller account's owner
    PROVIDER = "provider"  # every client's sites, to the provider's staff addresses


class WordpressDigestPref(Table, tablename="wordpress_digest_pref"):
    """An account's digest choice: how often, and to whom.

    `contacts` lists ids of the account's contacts (a contact deleted later is simply
    left out when sending). `clients_schedule` is for resellers: the digest of their
    clients' sites.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, unique=True, index=True)
    schedule = Varchar(length=10, default=DigestSchedule.DEFAULT)
    to_owner = Boolean(default=True)
    contacts = JSON(default=[])
    clients_schedule = Varchar(length=10, default=DigestSchedule.DEFAULT)
    updated_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class WordpressDigestSent(Table, tablename="wordpress_digest_sent"):
    """A digest that was queued: one per audience, account, schedule and period (`key`).

    `key` is `<audience>:<account id or 0>:<schedule>@<period>`, the period being the
    UTC day (`2026-05-04`) or ISO week (`2026-W19`). `email` is the outbox row.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    key = Varchar(length=120, unique=True)
    audience = Varchar(length=10)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, null=True, index=True)
    schedule = Varchar(length=10)
    period = Varchar(length=20)
    email = Integer(null=True, default=None)
    recipients = Text(default="")
    sites = Integer(default=0)
    updates = Integer(default=0)
    sent_at = Timestamptz(default=TimestamptzNow())
