"""Contact sync: the account's setting, and which contacts the sync made for which member."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from panel.core.accounts.tables import Account
from panel.core.auth.tables import User
from panel.core.contacts.tables import Contact


class ContactSyncSetting(Table, tablename="panel_contact_sync_setting"):
    """An account's contact-sync setting (no row: off).

    `categories` lists, comma-separated, the kinds of email the synced contacts
    receive (`panel.core.contacts.sync.services.CATEGORIES`).
    """

    id: Serial  # added by Piccolo; declared for type checkers

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, unique=True, index=True)
    enabled = Boolean(default=False)
    categories = Varchar(length=200, default="")
    changed_by = Integer(null=True, default=None)
    changed_at = Timestamptz(default=TimestamptzNow())


class ContactSyncLink(Table, tablename="panel_contact_sync_link"):
    """A contact the sync made for a member; contacts without a link are hand-made and never touched.

    One link per (account, user) (a unique index of the hand-written migration). A
    deleted user leaves `user` empty; the next sync removes that contact.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    contact = ForeignKey(references=Contact, on_delete=OnDelete.cascade, unique=True, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, index=True)
