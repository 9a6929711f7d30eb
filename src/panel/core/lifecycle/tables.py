"""What the lifecycle feature remembers: renewals invoiced, reminders sent, cancellation requests.

Each table is also the idempotency record of a scheduled task: a renewal row is unique
per (service, period), a reminder row per (invoice, step), so a task that runs twice,
or crashes and runs again, finds its earlier work and does not repeat it.
"""

from __future__ import annotations

from piccolo.columns import BigInt, Date, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from panel.core.accounts.tables import Account
from panel.core.auth.tables import User
from panel.core.billing.tables import Invoice
from panel.core.services.tables import Service


class RenewalStatus:
    """Values of `Renewal.status`."""

    OPEN = "open"  # invoiced, not paid
    PAID = "paid"  # paid and applied: the service's due date moved on
    CANCELLED = "cancelled"  # its invoice was cancelled (service cancelled or terminated)


class Renewal(Table, tablename="panel_lifecycle_renewal"):
    """One period of one service, invoiced: unique per (service, period_start)."""

    id: Serial  # added by Piccolo; declared for type checkers

    service = ForeignKey(references=Service, on_delete=OnDelete.cascade, index=True)
    invoice = ForeignKey(references=Invoice, on_delete=OnDelete.cascade, index=True)
    period_start = Date()  # the due date this renewal pays for
    period_end = Date()  # the next due date once it is paid
    months = Integer(default=1)
    amount = BigInt(default=0)
    status = Varchar(length=12, default=RenewalStatus.OPEN, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    paid_at = Timestamptz(null=True, default=None)


class ReminderSent(Table, tablename="panel_lifecycle_reminder"):
    """A reminder step sent for an invoice: unique per (invoice, step)."""

    id: Serial  # added by Piccolo; declared for type checkers

    invoice = ForeignKey(references=Invoice, on_delete=OnDelete.cascade, index=True)
    step = Integer()  # days from the due date: -7 is a week before, 3 is three days late
    email_id = Integer(null=True, default=None)
    sent_at = Timestamptz(default=TimestamptzNow())


class CancelWhen:
    """Values of `CancellationRequest.when`."""

    NOW = "now"
    PERIOD_END = "period_end"
    ALL = (NOW, PERIOD_END)


class CancelStatus:
    """Values of `CancellationRequest.status`."""

    OPEN = "open"  # waiting: for its job (now) or for the end of the period
    DONE = "done"  # the service is cancelled
    WITHDRAWN = "withdrawn"  # the client changed their mind before it happened
    FAILED = "failed"  # the product type refused to terminate; staff look at it


class CancellationRequest(Table, tablename="panel_lifecycle_cancellation"):
    """A client's request to cancel a service, now or at the end of the paid period."""

    id: Serial  # added by Piccolo; declared for type checkers

    service = ForeignKey(references=Service, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    when = Varchar(length=12, default=CancelWhen.PERIOD_END)
    reason = Text(default="")
    refund_to = Varchar(length=12, default="credit")
    status = Varchar(length=12, default=CancelStatus.OPEN, index=True)
    effective_date = Date(null=True, default=None, index=True)
    requested_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    refund_amount = BigInt(default=0)
    credit_note_id = Integer(null=True, default=None)
    error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    done_at = Timestamptz(null=True, default=None)


class ChangeStatus:
    """Values of `PackageChange.status`."""

    OPEN = "open"  # waiting: for its invoice to be paid, or for its job to apply it
    APPLIED = "applied"  # the service runs the new product at the new price
    CANCELLED = "cancelled"  # withdrawn before its invoice was paid
    FAILED = "failed"  # the product type refused; what was paid went to account credit


class PackageChange(Table, tablename="panel_lifecycle_package_change"):
    """An upgrade or downgrade of a service to another product, prorated for the rest of the period.

    `prorated_amount` is before tax: positive is invoiced (`invoice_id`), negative is
    credited to the account once the change applied (`credit_note_id`), zero is free.
    At most one change per service is open at a time (a partial unique index).
    """

    id: Serial  # added by Piccolo; declared for type checkers

    service = ForeignKey(references=Service, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    from_product = Integer()
    to_product = Integer()
    old_amount = BigInt(default=0)  # the recurring amount before the change
    new_amount = BigInt(default=0)  # the recurring amount after it
    prorated_amount = BigInt(default=0)
    period_end = Date(null=True, default=None)  # the proration ran to this date (the next due date)
    invoice_id = Integer(null=True, default=None, index=True)
    credit_note_id = Integer(null=True, default=None)
    status = Varchar(length=12, default=ChangeStatus.OPEN, index=True)
    error = Text(default="")
    requested_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    applied_at = Timestamptz(null=True, default=None)
