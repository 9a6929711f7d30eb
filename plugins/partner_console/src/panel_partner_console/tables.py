"""The partner console's tables: partner accounts, partnerships (links) and the reminders sent about them."""

from __future__ import annotations

from panel.core.accounts.tables import Account
from piccolo.columns import Date, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class LinkStatus:
    """Where a partnership stands. Only `active` lets the partner in."""

    PENDING = "pending"  # the partner asked; the child's owner has not answered
    ACTIVE = "active"
    DECLINED = "declined"  # the owner said no
    REVOKED = "revoked"  # the owner took the partner's access away
    ENDED = "ended"  # the end date passed, or the partner stopped

    LIVE = (PENDING, ACTIVE)


class PartnerAccount(Table, tablename="partner_account"):
    """An account the provider made a partner: it may add and manage child accounts."""

    id: Serial  # added by Piccolo; declared for type checkers

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, unique=True)
    enabled_at = Timestamptz(default=TimestamptzNow())
    enabled_by = Integer(null=True, default=None)


class PartnerLink(Table, tablename="partner_link"):
    """One partnership: `partner` manages `child` while `status` is active.

    A request to an existing customer names the customer's email (`invite_email`) and
    no child until the owner approves and picks the account. `ends_on` (optional) is
    the first day without access. `card` is the payment method the partner pays the
    child's invoices with by default (the partner's reseller card or the child's card).
    """

    id: Serial  # added by Piccolo; declared for type checkers

    partner = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    child = ForeignKey(references=Account, on_delete=OnDelete.cascade, null=True, index=True)
    status = Varchar(length=10, default=LinkStatus.PENDING, index=True)
    invite_email = Varchar(length=254, default="", index=True)
    note = Varchar(length=300, default="")
    ends_on = Date(null=True, default=None)
    card = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = Integer(null=True, default=None)
    answered_at = Timestamptz(null=True, default=None)
    answered_by = Integer(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    closed_by = Integer(null=True, default=None)


class PartnerReminder(Table, tablename="partner_reminder"):
    """A reminder sent about a partnership's end date; unique per link and days before (sent once)."""

    id: Serial  # added by Piccolo; declared for type checkers

    link = ForeignKey(references=PartnerLink, on_delete=OnDelete.cascade)
    days_before = Integer()
    sent_at = Timestamptz(default=TimestamptzNow())
