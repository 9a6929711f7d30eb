"""The billing API under /api/v1: the same services and rules as the pages.

Amounts in request bodies are decimal strings in the invoice's currency ("12.50"),
read exactly; responses carry minor units (`total`, `balance`) and display text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from panel.core.audit.context import audit_context
from panel.core.authz.guard import PUBLIC
from panel.core.billing import cards, credit, guards, payment_views, payments, queries
from panel.core.billing.paging import PAGE_SIZE
from panel.money import format_money, parse_amount


@dataclass
class InvoiceListOut:
    """A page of invoices and the number of matches."""

    total: int
    limit: int
    offset: int
    items: list[queries.InvoiceRow]


@get("/accounts/{account_id:int}/invoices", authz=guards.API_LIST)
async def api_invoices(
    account_id: FromPath[int],
    status: FromQuery[str] = "",
    limit: FromQuery[int] = PAGE_SIZE,
    offset: FromQuery[int] = 0,
) -> InvoiceListOut:
    """The account's invoices and credit notes, newest first."""
    found = await queries.list_invoices(
        queries.InvoiceFilters(status=status, account_id=account_id, hide_drafts=True), limit, offset
    )
    return InvoiceListOut(found.total, found.limit, found.offset, found.rows)


@get("/accounts/{account_id:int}/invoices/{invoice_id:int}", authz=guards.API_READ)
async def api_invoice(
    request: Request[Any, Any, Any], account_id: FromPath[int], invoice_id: FromPath[int]
) -> queries.InvoiceDetail:
    """One invoice with lines, taxes, payments (and who paid) and credit notes; 404 for another account's."""
    return await queries.get_invoice(invoice_id, request.app.state.payment_gateways, account_id)


@dataclass
class PayBody:
    """Pay from account credit: `amount` ("12.50"; omitted: as much as credit and balance allow).

    Send the same `idempotency_key` when retrying a request: it pays once.
    """

    idempotency_key: str
    amount: str | None = None


@dataclass
class PayOut:
    """What the payment did."""

    payment_id: int
    applied: int
    settled: bool
    duplicate: bool
    invoice: queries.InvoiceRow


@post("/accounts/{account_id:int}/invoices/{invoice_id:int}/pay", authz=guards.API_PAY, status_code=200)
async def api_pay(
    request: Request[Any, Any, Any], account_id: FromPath[int], invoice_id: FromPath[int], data: JSONBody[PayBody]
) -> PayOut:
    """Pay the invoice (whole or part) from account credit; 422 for a bad amount, 409 when already paid."""
    state = request.app.state
    detail = await queries.get_invoice(invoice_id, state.payment_gateways, account_id)
    amount = parse_amount(data.amount, detail.invoice.currency) if data.amount else None
    done = await payments.pay_from_credit(
        state, invoice_id, account_id, amount, data.idempotency_key, by=audit_context(request)
    )
    after = await queries.get_invoice(invoice_id, state.payment_gateways, account_id)
    return PayOut(done.payment_id, done.applied, done.settled, done.duplicate, after.invoice)


@dataclass
class BalanceOut:
    """Credit in one currency."""

    currency: str
    balance: int
    text: str


@dataclass
class CreditOut:
    """An account's credit: balances and the latest movements."""

    balances: list[BalanceOut]
    total: int
    limit: int
    offset: int
    entries: list[credit.EntryView]


@get("/accounts/{account_id:int}/credit", authz=guards.API_CREDIT)
async def api_credit(account_id: FromPath[int], limit: FromQuery[int] = 50, offset: FromQuery[int] = 0) -> CreditOut:
    """The account's credit balances and movements, newest first."""
    have = await credit.balances(account_id)
    found = await credit.entries(account_id, limit, offset)
    out = [BalanceOut(c, v, format_money(v, c)) for c, v in have.items()]
    return CreditOut(out, found.total, found.limit, found.offset, found.rows)


# -- staff ----------------------------------------------------------------------------------


@get("/admin/invoices", authz=guards.ADMIN_LIST)
async def api_admin_invoices(
    status: FromQuery[str] = "",
    store: FromQuery[int | None] = None,
    account: FromQuery[int | None] = None,
    kind: FromQuery[str] = "",
    limit: FromQuery[int] = PAGE_SIZE,
    offset: FromQuery[int] = 0,
) -> InvoiceListOut:
    """All invoices with status, store, account and kind filters."""
    filters = queries.InvoiceFilters(status=status, store_id=store, account_id=account, kind=kind)
    found = await queries.list_invoices(filters, limit, offset)
    return InvoiceListOut(found.total, found.limit, found.offset, found.rows)


@dataclass
class PaymentListOut:
    """A page of payments and the number of matches."""

    total: int
    limit: int
    offset: int
    items: list[payment_views.PaymentView]


@get("/admin/payments", authz=guards.ADMIN_PAYMENTS)
async def api_admin_payments(
    request: Request[Any, Any, Any],
    account: FromQuery[int | None] = None,
    gateway: FromQuery[str] = "",
    limit: FromQuery[int] = PAGE_SIZE,
    offset: FromQuery[int] = 0,
) -> PaymentListOut:
    """Every payment, newest first, with account and gateway filters."""
    filters = payment_views.PaymentFilters(account_id=account, gateway=gateway)
    found = await payment_views.list_payments(filters, request.app.state.payment_gateways, limit, offset)
    return PaymentListOut(found.total, found.limit, found.offset, found.rows)


@dataclass
class BankTransferBody:
    """A bank transfer that arrived: amount ("12.50"), the bank's reference, the date (YYYY-MM-DD)."""

    amount: str
    reference: str
    received_on: str = ""


@post("/admin/invoices/{invoice_id:int}/bank-transfers", authz=guards.ADMIN_RECORD, status_code=201)
async def api_bank_transfer(
    request: Request[Any, Any, Any], invoice_id: FromPath[int], data: JSONBody[BankTransferBody]
) -> PayOut:
    """Record a bank transfer for the invoice (partial allowed); 409 if the reference is recorded already."""
    from panel.core.billing.drafts import parse_due

    state = request.app.state
    detail = await queries.get_invoice(invoice_id, state.payment_gateways)
    amount = parse_amount(data.amount, detail.invoice.currency)
    done = await payments.record_bank_transfer(
        state, invoice_id, amount, data.reference, parse_due(data.received_on), by=audit_context(request)
    )
    after = await queries.get_invoice(invoice_id, state.payment_gateways)
    return PayOut(done.payment_id, done.applied, done.settled, done.duplicate, after.invoice)


# -- gateways ---------------------------------------------------------------------------------


@post("/billing/webhooks/{gateway:str}", authz=PUBLIC, status_code=200)
async def webhook(request: Request[Any, Any, Any], gateway: FromPath[str]) -> Response[dict[str, str]]:
    """A payment gateway's notice; verified by the gateway, applied once per reference."""
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    outcome = await cards.handle_webhook(request.app.state, gateway, headers, body)
    return Response({"status": outcome})


def api_router() -> Router:
    """The billing API under /api/v1."""
    return Router(
        path="/api/v1",
        route_handlers=[
            api_invoices,
            api_invoice,
            api_pay,
            api_credit,
            api_admin_invoices,
            api_admin_payments,
            api_bank_transfer,
            webhook,
        ],
        tags=["billing"],
    )
