"""Reading quotes for pages and the API: lists in two queries, one quote in a few.

Clients never see drafts, and a sent quote past its last valid day shows as
expired everywhere (also before its row says so). Amounts come with their display
text, so templates hold no arithmetic.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from panel.core import db
from panel.core.billing.paging import PAGE_SIZE, Page, clamp
from panel.core.catalog.tables import Cycle
from panel.core.quotes.services import is_expired, today
from panel.core.quotes.tables import ClientQuote, ClientQuoteLine, QuoteStatus
from panel.errors import NotFound
from panel.money import format_money, format_percent, format_plain

STATUS_LABELS = {
    QuoteStatus.DRAFT: "draft",
    QuoteStatus.SENT: "awaiting your answer",
    QuoteStatus.ACCEPTED: "accepted",
    QuoteStatus.DECLINED: "declined",
    QuoteStatus.EXPIRED: "expired",
}


@dataclass(frozen=True)
class QuoteFilters:
    """What a quote list is narrowed to; empty means no filter. Clients never see drafts."""

    status: str = ""
    account_id: int | None = None
    hide_drafts: bool = False

    def normalised(self) -> QuoteFilters:
        """Unknown statuses mean no filter, and so does "draft" where drafts are hidden."""
        status = self.status if self.status in QuoteStatus.ALL else ""
        if self.hide_drafts and status == QuoteStatus.DRAFT:
            status = ""
        return QuoteFilters(status, self.account_id, self.hide_drafts)


@dataclass(frozen=True)
class QuoteRow:
    """A quote in a list; `status` is the effective one (a sent quote past its day is expired)."""

    id: int
    number: str
    status: str
    status_label: str
    account_id: int
    account_name: str
    store_id: int
    store_name: str
    currency: str
    total: int
    total_text: str
    valid_until: dt.date
    sent_at: dt.datetime | None
    answered_at: dt.datetime | None
    created_at: dt.datetime
    invoice_id: int | None

    @property
    def open(self) -> bool:
        """Whether the client may still accept or decline it."""
        return self.status == QuoteStatus.SENT


_ROW_COLUMNS = (
    ClientQuote.id,
    ClientQuote.number,
    ClientQuote.status,
    ClientQuote.account,
    ClientQuote.account.name,
    ClientQuote.store,
    ClientQuote.store.name,
    ClientQuote.currency,
    ClientQuote.total,
    ClientQuote.valid_until,
    ClientQuote.sent_at,
    ClientQuote.answered_at,
    ClientQuote.created_at,
    ClientQuote.invoice_id,
)


def _row(r: Mapping[str, Any], on: dt.date) -> QuoteRow:
    status = QuoteStatus.EXPIRED if is_expired(r["status"], r["valid_until"], on) else str(r["status"])
    return QuoteRow(
        id=r["id"],
        number=r["number"],
        status=status,
        status_label=STATUS_LABELS.get(status, status),
        account_id=r["account"],
        account_name=r["account.name"] or "",
        store_id=r["store"],
        store_name=r["store.name"] or "",
        currency=r["currency"],
        total=int(r["total"]),
        total_text=format_money(int(r["total"]), r["currency"]),
        valid_until=r["valid_until"],
        sent_at=r["sent_at"],
        answered_at=r["answered_at"],
        created_at=r["created_at"],
        invoice_id=r["invoice_id"],
    )


def _status_where(status: str, on: dt.date) -> Any:
    """The condition for an effective status (expired includes sent quotes past their day)."""
    if status == QuoteStatus.EXPIRED:
        return (ClientQuote.status == QuoteStatus.EXPIRED) | (
            (ClientQuote.status == QuoteStatus.SENT) & (ClientQuote.valid_until < on)
        )
    if status == QuoteStatus.SENT:
        return (ClientQuote.status == QuoteStatus.SENT) & (ClientQuote.valid_until >= on)
    return ClientQuote.status == status


async def list_quotes(filters: QuoteFilters, limit: int = PAGE_SIZE, offset: int = 0) -> Page[QuoteRow]:
    """Quotes newest first, account and store names joined in (one query for the page, one count)."""
    f = filters.normalised()
    limit, offset = clamp(limit, offset)
    on = today()
    where: Any = ClientQuote.id > 0
    if f.account_id is not None:
        where &= ClientQuote.account == f.account_id
    if f.hide_drafts:
        where &= ClientQuote.status != QuoteStatus.DRAFT
    if f.status:
        where &= _status_where(f.status, on)
    total = int(await ClientQuote.count().where(where))
    rows = await (
        ClientQuote.select(*_ROW_COLUMNS)
        .where(where)
        .order_by(ClientQuote.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    return Page([_row(r, on) for r in rows], total, limit, offset)


AWAITING_SQL = (
    f"SELECT count(*) AS n FROM {ClientQuote._meta.tablename} "  # noqa: S608
    "WHERE account = {} AND status = {} AND valid_until >= {}"
)


async def awaiting_answer(account_id: int) -> int:
    """How many sent quotes of the account still wait for the client's answer (the home page's tile)."""
    rows = await db.fetch(AWAITING_SQL, account_id, QuoteStatus.SENT, today())
    return int(rows[0]["n"])


@dataclass(frozen=True)
class QuoteLineView:
    """One line as the quote shows it."""

    description: str
    quantity: int
    unit_amount: int
    amount: int
    tax_bp: int
    tax_name: str
    tax: int
    product_id: int | None
    product_name: str
    cycle: str
    cycle_label: str
    unit_text: str
    discount_text: str
    amount_text: str
    tax_text: str
    rate_text: str


@dataclass(frozen=True)
class QuoteDetail:
    """Everything the quote pages, the printable page and the API show about one quote."""

    quote: QuoteRow
    lines: list[QuoteLineView]
    taxes: list[tuple[str, str]]
    notes: str
    subtotal_text: str
    discount_text: str
    has_discount: bool
    tax_text: str
    store: dict[str, str]
    bill_to: dict[str, str]
    invoice_number: str


def _line(r: Mapping[str, Any], currency: str) -> QuoteLineView:
    return QuoteLineView(
        description=r["description"],
        quantity=int(r["quantity"]),
        unit_amount=int(r["unit_amount"]),
        amount=int(r["amount"]),
        tax_bp=int(r["tax_bp"]),
        tax_name=r["tax_name"],
        tax=int(r["tax"]),
        product_id=r["product"],
        product_name=r["product.name"] or "",
        cycle=r["cycle"],
        cycle_label=Cycle.LABELS.get(r["cycle"], r["cycle"]) if r["cycle"] else "",
        unit_text=format_money(int(r["unit_amount"]), currency),
        discount_text=format_money(int(r["discount"]), currency) if r["discount"] else "",
        amount_text=format_money(int(r["amount"]), currency),
        tax_text=format_money(int(r["tax"]), currency),
        rate_text=format_percent(int(r["tax_bp"])) if r["tax_bp"] else "",
    )


def _taxes(lines: list[QuoteLineView], currency: str) -> list[tuple[str, str]]:
    sums: dict[tuple[str, int], int] = {}
    for line in lines:
        if line.tax_bp:
            key = (line.tax_name or "Tax", line.tax_bp)
            sums[key] = sums.get(key, 0) + line.tax
    return [(f"{name} {format_percent(bp)}", format_money(v, currency)) for (name, bp), v in sums.items()]


async def get_quote(quote_id: int, account_id: int | None = None) -> QuoteDetail:
    """One quote with its lines, the store's branding and whom it is for (a fixed four queries).

    With `account_id` (the client's view) only that account's sent quotes are found:
    another account's, or a draft, is `NotFound`.
    """
    from panel.core.billing.invoicing import billing_snapshot
    from panel.core.billing.tables import Invoice

    where: Any = ClientQuote.id == quote_id
    if account_id is not None:
        where &= (ClientQuote.account == account_id) & (ClientQuote.status != QuoteStatus.DRAFT)
    head = await (
        ClientQuote.select(
            *_ROW_COLUMNS,
            ClientQuote.notes,
            ClientQuote.subtotal,
            ClientQuote.discount,
            ClientQuote.tax,
            ClientQuote.store.brand_name,
            ClientQuote.store.accent_color,
            ClientQuote.store.logo_url,
        )
        .where(where)
        .first()
    )
    if head is None:
        raise NotFound("No such quote.")
    currency = str(head["currency"])
    rows = await (
        ClientQuoteLine.select(*ClientQuoteLine.all_columns(), ClientQuoteLine.product.name)
        .where(ClientQuoteLine.quote == quote_id)
        .order_by(ClientQuoteLine.sort)
    )
    lines = [_line(r, currency) for r in rows]
    invoice_number = ""
    if head["invoice_id"]:
        inv = await Invoice.select(Invoice.number).where(Invoice.id == head["invoice_id"]).first()
        invoice_number = (inv or {}).get("number") or ""
    accent = str(head["store.accent_color"] or "")
    return QuoteDetail(
        quote=_row(head, today()),
        lines=lines,
        taxes=_taxes(lines, currency),
        notes=head["notes"],
        subtotal_text=format_money(int(head["subtotal"]), currency),
        discount_text=format_money(int(head["discount"]), currency),
        has_discount=int(head["discount"]) > 0,
        tax_text=format_money(int(head["tax"]), currency),
        store={
            "name": str(head["store.name"] or ""),
            "brand_name": str(head["store.brand_name"] or ""),
            "logo_url": str(head["store.logo_url"] or ""),
            "accent_color": accent if re.fullmatch(r"#[0-9a-fA-F]{6}", accent) else "",  # it goes into a style
        },
        bill_to=await billing_snapshot(int(head["account"])),
        invoice_number=invoice_number,
    )


async def form_values(quote_id: int) -> dict[str, str]:
    """A draft's content as the staff form's fields, to change it."""
    detail = await get_quote(quote_id)
    currency = detail.quote.currency
    values = {
        "account_id": str(detail.quote.account_id),
        "valid_until": detail.quote.valid_until.isoformat(),
        "notes": detail.notes,
    }
    for i, line in enumerate(detail.lines):
        values |= {
            f"description_{i}": line.description,
            f"quantity_{i}": str(line.quantity),
            f"price_{i}": format_plain(line.unit_amount, currency),
            f"tax_{i}": str(line.tax_bp / 100).removesuffix(".0") if line.tax_bp else "",
            f"tax_name_{i}": line.tax_name,
            f"product_{i}": str(line.product_id or ""),
            f"cycle_{i}": line.cycle,
        }
    return values
