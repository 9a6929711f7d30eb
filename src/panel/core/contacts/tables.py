"""Contact details of accounts: the account's own (primary), its billing contact, and extras."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from panel.core.accounts.tables import Account


class Contact(Table, tablename="panel_contacts_contact"):
    """A person or company an account can be reached at or invoiced to.

    Each account has at most one primary contact (its own details, `is_primary`) and
    at most one billing contact (`is_billing`; when none is marked, the primary is
    used). The services keep both rules; the table does not.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=200)
    company = Varchar(length=200, default="")
    email = Varchar(length=254, default="")
    phone = Varchar(length=40, default="")
    address1 = Varchar(length=200, default="")
    address2 = Varchar(length=200, default="")
    city = Varchar(length=100, default="")
    region = Varchar(length=100, default="")
    postcode = Varchar(length=20, default="")
    country = Varchar(length=2, default="")
    vat_id = Varchar(length=32, default="")
    is_primary = Boolean(default=False)
    is_billing = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
