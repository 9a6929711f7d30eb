"""Reading invoices and payments for pages and the API: lists in two queries, details in a few.

The client area and the admin area read through the same functions, so both show
the same numbers. Amounts come with their display text (`format_money`), so
templates hold no arithmetic.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from panel.core import db
from panel.core.accounts.tables import Account
from panel.core.billing.invoicing import ACCOUNT_CREDIT_TYPE
from panel.core.billing.paging import PAGE_SIZE, Page, clamp
from panel.core.billing.payment_views import PAYMENT_COLUMNS, PaymentView, payment_view
from panel.core.billing.tables import CreditBalance, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, Payment
from panel.core.stores.tables import Store
from panel.errors import NotFound
from panel.money import format_money, format_percent


@dataclass(frozen=True)
class InvoiceFilters:
    """What an invoice list is narrowed to; empty means no filter."""

    status: str = ""
    store_id: int | None = None
    account_id: int | None = None
    kind: str = ""
    hide_drafts: bool = False

    def normalised(self) -> InvoiceFilters:
        """Unknown statuses and kinds mean no filter; clients never see drafts."""
        status = self.status if self.status in InvoiceStatus.ALL else ""
        if self.hide_drafts and status == InvoiceStatus.DRAFT:
            status = ""
        kind = self.kind if self.kind in (InvoiceKind.INVOICE, InvoiceKind.CREDIT_NOTE) else ""
        return InvoiceFilters(status, self.store_id, self.account_id, kind, self.hide_drafts)


@dataclass(frozen=True)
class InvoiceRow:
    """An invoice (or credit note) in a list."""

    id: int
    number: str
    kind: str
    status: str
    currency: str
    total: int
    amount_paid: int
    balance: int
    account_id: int
    account_name: str
    store_id: int
    store_name: str
    order_id: int | None
    due_date: date | None
    issued_at: datetime | None
    total_text: str
    paid_text: str
    balance_text: str
    overdue: bool


_ROW_COLUMNS = (
    Invoice.id,
    Invoice.number,
    Invoice.kind,
    Invoice.status,
    Invoice.currency,
    Invoice.total,
    Invoice.amount_paid,
    Invoice.account,
    Invoice.account.name,
    Invoice.store,
    Invoice.store.name,
    Invoice.order_id,
    Invoice.due_date,
    Invoice.issued_at,
)


def _row(r: Mapping[str, Any]) -> InvoiceRow:
    total, paid, currency = int(r["total"]), int(r["amount_paid"]), str(r["currency"])
    balance = total - paid if r["status"] == InvoiceStatus.UNPAID else 0
    today = datetime.now(UTC).date()
    return InvoiceRow(
        id=r["id"],
        number=r["number"] or "Draft",
        kind=r["kind"],
        status=r["status"],
        currency=currency,
        total=total,
        amount_paid=paid,
        balance=balance,
        account_id=r["account"],
        account_name=r["account.name"] or "",
        store_id=r["store"],
        store_name=r["store.name"] or "",
        order_id=r["order_id"],
        due_date=r["due_date"],
        issued_at=r["issued_at"],
        total_text=format_money(total, currency),
        paid_text=format_money(paid, currency),
        balance_text=format_money(balance, currency),
        overdue=bool(r["status"] == InvoiceStatus.UNPAID and r["due_date"] and r["due_date"] < today),
    )


async def list_invoices(filters: InvoiceFilters, limit: int = PAGE_SIZE, offset: int = 0) -> Page[InvoiceRow]:
    """Invoices newest first, account and store names joined in (one query for the page, one count)."""
    f = filters.normalised()
    limit, offset = clamp(limit, offset)
    where: Any = Invoice.id > 0
    if f.status:
        where &= Invoice.status == f.status
    if f.store_id is not None:
        where &= Invoice.store == f.store_id
    if f.account_id is not None:
        where &= Invoice.account == f.account_id
    if f.kind:
        where &= Invoice.kind == f.kind
    if f.hide_drafts:
        where &= Invoice.status != InvoiceStatus.DRAFT
    total = int(await Invoice.count().where(where))
    rows = await (
        Invoice.select(*_ROW_COLUMNS).where(where).order_by(Invoice.id, ascending=False).limit(limit).offset(offset)
    )
    return Page([_row(r) for r in rows], total, limit, offset)


@dataclass(frozen=True)
class LineView:
    """One printed line."""

    description: str
    quantity: int
    unit_amount: int
    discount: int
    amount: int
    tax_name: str
    tax_bp: int
    tax: int
    unit_text: str
    discount_text: str
    amount_text: str
    tax_text: str
    rate_text: str


@dataclass(frozen=True)
class TaxLine:
    """The tax of one name and rate, summed over the lines."""

    label: str
    amount_text: str


@dataclass(frozen=True)
class InvoiceDetail:
    """Everything the invoice page, the PDF and the API show about one invoice."""

    invoice: InvoiceRow
    billing: dict[str, str]
    notes: str
    reverse_charge: str
    lines: list[LineView]
    taxes: list[TaxLine]
    payments: list[PaymentView]
    credit_notes: list[InvoiceRow]
    original_id: int | None
    original_number: str
    store: dict[str, str]
    paid_at: datetime | None
    add_funds: bool
    subtotal_text: str
    discount_text: str
    tax_text: str
    has_discount: bool = False
    refunded_text: str = ""


def _line(r: Mapping[str, Any], currency: str) -> LineView:
    return LineView(
        description=r["description"],
        quantity=int(r["quantity"]),
        unit_amount=int(r["unit_amount"]),
        discount=int(r["discount"]),
        amount=int(r["amount"]),
        tax_name=r["tax_name"],
        tax_bp=int(r["tax_bp"]),
        tax=int(r["tax"]),
        unit_text=format_money(int(r["unit_amount"]), currency),
        discount_text=format_money(int(r["discount"]), currency) if r["discount"] else "",
        amount_text=format_money(int(r["amount"]), currency),
        tax_text=format_money(int(r["tax"]), currency),
        rate_text=format_percent(int(r["tax_bp"])) if r["tax_bp"] else "",
    )


def _taxes(lines: list[LineView], currency: str) -> list[TaxLine]:
    sums: dict[tuple[str, int], int] = {}
    for line in lines:
        if line.tax_bp:
            key = (line.tax_name or "Tax", line.tax_bp)
            sums[key] = sums.get(key, 0) + line.tax
    return [TaxLine(f"{name} {format_percent(bp)}", format_money(v, currency)) for (name, bp), v in sums.items()]


def _branding(store: Mapping[str, Any] | None) -> dict[str, str]:
    """The store's branding as text; a colour that is not #rrggbb is dropped (it goes into a style)."""
    out = {k: str(v or "") for k, v in (store or {}).items()}
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", out.get("accent_color", "")):
        out["accent_color"] = ""
    return out


async def get_invoice(invoice_id: int, gateways: Mapping[str, Any], account_id: int | None = None) -> InvoiceDetail:
    """One invoice with lines, payments and credit notes.

    With `account_id` (the client's view) only that account's issued invoices are
    found: another account's, or a staff draft, is `NotFound`.
    """
    where: Any = Invoice.id == invoice_id
    if account_id is not None:
        where &= (Invoice.account == account_id) & (Invoice.status != InvoiceStatus.DRAFT)
    full = await (
        Invoice.select(*_ROW_COLUMNS, Invoice.billing, Invoice.notes, Invoice.reverse_charge, Invoice.original)
        .where(where)
        .output(load_json=True)
        .first()
    )
    if full is None:
        raise NotFound("No such invoice.")
    extra = await Invoice.select(Invoice.subtotal, Invoice.discount, Invoice.tax, Invoice.paid_at).where(
        Invoice.id == invoice_id
    )
    row, currency = _row(full), str(full["currency"])
    line_rows = await InvoiceLine.select().where(InvoiceLine.invoice == invoice_id).order_by(InvoiceLine.sort)
    lines = [_line(r, currency) for r in line_rows]
    payments = await (
        Payment.select(*PAYMENT_COLUMNS)
        .where(Payment.invoice == invoice_id)
        .order_by(Payment.id)
        .output(load_json=True)
    )
    notes_rows = await Invoice.select(*_ROW_COLUMNS).where(Invoice.original == invoice_id).order_by(Invoice.id)
    original_number = ""
    if full["original"]:
        orig = await Invoice.select(Invoice.number).where(Invoice.id == full["original"]).first()
        original_number = (orig or {}).get("number") or ""
    store = await (
        Store.select(Store.name, Store.brand_name, Store.accent_color, Store.logo_url, Store.contact_instructions)
        .where(Store.id == full["store"])
        .first()
    )
    sums = extra[0]
    credit_notes = [_row(r) for r in notes_rows]
    refunded = sum(n.total for n in credit_notes)
    return InvoiceDetail(
        invoice=row,
        billing={str(k): str(v) for k, v in (full["billing"] or {}).items()},
        notes=full["notes"],
        reverse_charge=full["reverse_charge"],
        lines=lines,
        taxes=_taxes(lines, currency),
        payments=[payment_view(p, gateways) for p in payments],
        credit_notes=credit_notes,
        original_id=full["original"],
        original_number=original_number,
        store=_branding(store),
        paid_at=sums["paid_at"],
        add_funds=any(r["product_type"] == ACCOUNT_CREDIT_TYPE for r in line_rows),
        subtotal_text=format_money(int(sums["subtotal"]), currency),
        discount_text=format_money(int(sums["discount"]), currency),
        tax_text=format_money(int(sums["tax"]), currency),
        has_discount=int(sums["discount"]) > 0,
        refunded_text=format_money(refunded, currency) if refunded else "",
    )


HOME_UNPAID_LIMIT = 10
"""How many unpaid invoices the home page lists (oldest due first); the rest are one click away."""


@dataclass(frozen=True)
class HomeBilling:
    """What the home page shows of billing: unpaid invoices, what is due, and the credit."""

    unpaid_count: int
    due_texts: list[str]
    unpaid: list[InvoiceRow]
    credit_texts: list[str]


_INVOICE = Invoice._meta.tablename
_CREDIT = CreditBalance._meta.tablename
_HOME_WHERE = "i.account = {} AND i.status = {} AND i.kind = {}"

HOME_SUMS_SQL = (
    "SELECT 'due' AS kind, i.currency, count(*) AS n, sum(i.total - i.amount_paid) AS amount "  # noqa: S608
    f"FROM {_INVOICE} i WHERE {_HOME_WHERE} GROUP BY i.currency "
    "UNION ALL SELECT 'credit' AS kind, c.currency, 0 AS n, c.balance AS amount "
    f"FROM {_CREDIT} c WHERE c.account = {{}}"
)
"""What is due per currency on the account's unpaid invoices, and its credit per currency: one statement."""

HOME_UNPAID_SQL = (
    "SELECT i.id, i.number, i.kind, i.status, i.currency, i.total, i.amount_paid, i.account, "  # noqa: S608
    'a.name AS "account.name", i.store, s.name AS "store.name", i.order_id, i.due_date, i.issued_at '
    f"FROM {_INVOICE} i JOIN {Account._meta.tablename} a ON a.id = i.account "
    f"JOIN {Store._meta.tablename} s ON s.id = i.store WHERE {_HOME_WHERE} "
    f"ORDER BY i.due_date, i.id LIMIT {HOME_UNPAID_LIMIT}"
)
"""The unpaid invoices the home page lists, oldest due first."""


async def home_billing(account_id: int) -> HomeBilling:
    """Unpaid invoices (the first `HOME_UNPAID_LIMIT`, oldest due first), the totals due per currency, the credit.

    Hand-written statements (`db.fetch`: every view of the home page runs them): the
    sums and the credit in one, and the listed invoices only when some are unpaid.
    """
    status, kind = InvoiceStatus.UNPAID, InvoiceKind.INVOICE
    sums = await db.fetch(HOME_SUMS_SQL, account_id, status, kind, account_id)
    due = {str(r["currency"]): int(r["amount"] or 0) for r in sums if r["kind"] == "due"}
    count = sum(int(r["n"]) for r in sums if r["kind"] == "due")
    credit = sorted((str(r["currency"]), int(r["amount"])) for r in sums if r["kind"] == "credit")
    rows = await db.fetch(HOME_UNPAID_SQL, account_id, status, kind) if count else []
    return HomeBilling(
        unpaid_count=count,
        due_texts=[format_money(v, c) for c, v in sorted(due.items())],
        unpaid=[_row(r) for r in rows],
        credit_texts=[format_money(v, c) for c, v in credit if v],
    )


async def home_billing_of(request: Any) -> HomeBilling:
    """`home_billing` of the current account, loaded once per request (the tiles and the widget share it)."""
    from panel.core.accounts.home import cached

    account_id = int(request.state.account_id)
    return await cached(request, "billing", lambda: home_billing(account_id))


async def dashboard_summary(request: Any) -> dict[str, Any]:
    """The home page's billing panel: unpaid invoices with what is due per currency, and the credit."""
    from panel.core.billing.guards import client_abilities

    found = await home_billing_of(request)
    can = client_abilities(request, int(request.state.account_id))
    return {
        "unpaid_count": found.unpaid_count,
        "due_texts": found.due_texts,
        "unpaid": found.unpaid,
        "more": found.unpaid_count > len(found.unpaid),
        "credit_texts": found.credit_texts if can["credit"] else [],
        "can_pay": can["pay"],
    }


async def unpaid_stat(request: Any) -> str:
    """The "Unpaid" tile: what is due on the account's invoices ("0" when nothing is)."""
    found = await home_billing_of(request)
    return ", ".join(found.due_texts) or "0"


async def credit_stat(request: Any) -> str:
    """The "Credit balance" tile: the account's credit per currency ("0" when it has none)."""
    found = await home_billing_of(request)
    return ", ".join(found.credit_texts) or "0"
