"""Invoices, credit notes, account credit, payments and stored payment methods.

Money is integers of minor units (see `panel.money`). A paid invoice is never
edited: a refund is a credit note (`kind = credit_note`) pointing at it. Numbers are
gapless per store and kind: a number is taken from `InvoiceSequence` in the same
transaction that issues the invoice, so a rolled-back issue leaves no hole.
"""

from __future__ import annotations

from typing import Any

from piccolo.columns import (
    JSON,
    BigInt,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from panel.core.accounts.tables import Account
from panel.core.auth.tables import User
from panel.core.stores.tables import Store


class InvoiceKind:
    """Values of `Invoice.kind`."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class InvoiceStatus:
    """Values of `Invoice.status`."""

    DRAFT = "draft"
    UNPAID = "unpaid"
    PAID = "paid"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"

    ALL = (DRAFT, UNPAID, PAID, CANCELLED, REFUNDED)


class InvoiceSequence(Table, tablename="panel_billing_sequence"):
    """The next number of a store's invoices (or credit notes)."""

    id: Serial  # added by Piccolo; declared for type checkers

    store = ForeignKey(references=Store, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=12, default=InvoiceKind.INVOICE)
    next_number = Integer(default=1)


class Invoice(Table, tablename="panel_billing_invoice"):
    """An invoice (or credit note) of one store to one account, in one currency.

    `billing` is a snapshot of the billing contact when the invoice was issued (name,
    company, address, country, VAT id), so later edits of contacts do not rewrite it.
    `balance` is what is still due: `total - amount_paid`.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    store = ForeignKey(references=Store, on_delete=OnDelete.restrict, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=12, default=InvoiceKind.INVOICE)
    number = Varchar(length=40, null=True, default=None, index=True)
    seq = Integer(null=True, default=None)
    status = Varchar(length=12, default=InvoiceStatus.DRAFT, index=True)
    currency = Varchar(length=3)
    subtotal = BigInt(default=0)
    discount = BigInt(default=0)
    tax = BigInt(default=0)
    total = BigInt(default=0)
    amount_paid = BigInt(default=0)
    billing = JSON(default="{}")
    notes = Text(default="")
    reverse_charge = Varchar(length=200, default="")
    order_id = Integer(null=True, default=None, index=True)
    original: ForeignKey[Any] = ForeignKey(references="self", on_delete=OnDelete.restrict, null=True, index=True)
    issued_at = Timestamptz(null=True, default=None)
    due_date = Date(null=True, default=None, index=True)
    paid_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class InvoiceLine(Table, tablename="panel_billing_invoice_line"):
    """One line: `amount = quantity * unit_amount - discount`, tax on top at `tax_bp`."""

    id: Serial  # added by Piccolo; declared for type checkers

    invoice = ForeignKey(references=Invoice, on_delete=OnDelete.cascade, index=True)
    description = Varchar(length=255)
    quantity = Integer(default=1)
    unit_amount = BigInt(default=0)
    discount = BigInt(default=0)
    amount = BigInt(default=0)
    tax_name = Varchar(length=60, default="")
    tax_bp = Integer(default=0)
    tax = BigInt(default=0)
    product_type = Varchar(length=80, default="")
    service_id = Integer(null=True, default=None, index=True)
    order_item_id = Integer(null=True, default=None)
    sort = Integer(default=0)


class CreditKind:
    """Values of `CreditEntry.kind`."""

    DEPOSIT = "deposit"
    PAYMENT = "payment"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"
    OVERPAYMENT = "overpayment"


class CreditBalance(Table, tablename="panel_billing_credit_balance"):
    """An account's credit in one currency; changed only with a `CreditEntry` beside it."""

    id: Serial  # added by Piccolo; declared for type checkers

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    currency = Varchar(length=3)
    balance = BigInt(default=0)


class CreditEntry(Table, tablename="panel_billing_credit_entry"):
    """One movement of account credit (positive adds, negative spends)."""

    id: Serial  # added by Piccolo; declared for type checkers

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    currency = Varchar(length=3)
    amount = BigInt()
    balance_after = BigInt()
    kind = Varchar(length=12)
    invoice_id = Integer(null=True, default=None, index=True)
    payment_id = Integer(null=True, default=None)
    note = Varchar(length=255, default="")
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class PayerKind:
    """Who paid: the account itself, or the reseller whose store the account buys from."""

    CUSTOMER = "customer"
    RESELLER = "reseller"


class PaymentMethod(Table, tablename="panel_billing_payment_method"):
    """A stored way to pay at a gateway (a card token), labelled for people: "Visa •••• 4242"."""

    id: Serial  # added by Piccolo; declared for type checkers

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    gateway = Varchar(length=60)
    token = Varchar(length=255)
    label = Varchar(length=100)
    payer = Varchar(length=10, default=PayerKind.CUSTOMER)
    is_default = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class PaymentStatus:
    """Values of `Payment.status`."""

    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    REFUNDED = "refunded"
    PARTLY_REFUNDED = "part_refunded"


class Payment(Table, tablename="panel_billing_payment"):
    """Money received (or attempted) for an invoice through a gateway.

    Unique on (gateway, reference) and on `idempotency_key`: the same charge or
    webhook seen twice records one payment.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    invoice = ForeignKey(references=Invoice, on_delete=OnDelete.restrict, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, index=True)
    gateway = Varchar(length=60)
    reference = Varchar(length=255, default="")
    idempotency_key = Varchar(length=120, unique=True, index=True)
    status = Varchar(length=14, default=PaymentStatus.PENDING, index=True)
    currency = Varchar(length=3)
    amount = BigInt()
    refunded = BigInt(default=0)
    payer = Varchar(length=10, default=PayerKind.CUSTOMER)
    payer_account = ForeignKey(references=Account, on_delete=OnDelete.set_null, null=True)
    payment_method = ForeignKey(references=PaymentMethod, on_delete=OnDelete.set_null, null=True)
    recorded_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    note = Varchar(length=255, default="")
    details = JSON(default="{}")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
