"""Quotes: an offer staff write for one account, which its client accepts (an invoice follows) or declines.

Money is integers of minor units of the quote's currency (its store's), lines and
taxes as on invoices (`panel.core.billing.invoicing.LineDraft`), so the invoice an
accepted quote becomes repeats the quote to the minor unit.
"""

from __future__ import annotations

from piccolo.columns import (
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
from panel.core.catalog.tables import Product
from panel.core.stores.tables import Store


class QuoteStatus:
    """Values of `ClientQuote.status`.

    A sent quote whose `valid_until` has passed counts as expired even before its
    row says so (the daily `quotes.expire` task changes the row, or an attempt to
    answer the quote does).
    """

    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"

    ALL = (DRAFT, SENT, ACCEPTED, DECLINED, EXPIRED)


class ClientQuote(Table, tablename="panel_quote"):
    """A quote of one store to one account, in the store's currency."""

    id: Serial  # added by Piccolo; declared for type checkers

    store = ForeignKey(references=Store, on_delete=OnDelete.restrict, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, index=True)
    number = Varchar(length=40, unique=True, index=True)
    status = Varchar(length=12, default=QuoteStatus.DRAFT, index=True)
    currency = Varchar(length=3)
    subtotal = BigInt(default=0)
    discount = BigInt(default=0)
    tax = BigInt(default=0)
    total = BigInt(default=0)
    valid_until = Date(index=True)
    notes = Text(default="")
    invoice_id = Integer(null=True, default=None, index=True)
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    answered_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    sent_at = Timestamptz(null=True, default=None)
    answered_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ClientQuoteLine(Table, tablename="panel_quote_line"):
    """One line of a quote: `amount = quantity * unit_amount - discount`, tax on top at `tax_bp`.

    `product` and `cycle` name the catalogue product the line was priced from, if any.
    """

    id: Serial  # added by Piccolo; declared for type checkers

    quote = ForeignKey(references=ClientQuote, on_delete=OnDelete.cascade, index=True)
    description = Varchar(length=255)
    quantity = Integer(default=1)
    unit_amount = BigInt(default=0)
    discount = BigInt(default=0)
    amount = BigInt(default=0)
    tax_name = Varchar(length=60, default="")
    tax_bp = Integer(default=0)
    tax = BigInt(default=0)
    product = ForeignKey(references=Product, on_delete=OnDelete.set_null, null=True)
    cycle = Varchar(length=12, default="")
    sort = Integer(default=0)
