"""Admin-area pages: invoices (record a bank transfer, refund, cancel, manual drafts) and payments.

Staff billing and admins only (see `guards.py`); each page offers what the rules
engine allows the viewer, and each route declares what it needs. The numbers come
from the same queries as the client's pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Template

from panel.core.accounts.tables import Account
from panel.core.audit.context import audit_context
from panel.core.billing import drafts, guards, payment_views, payments, queries, refunds
from panel.core.billing.paging import PAGE_SIZE
from panel.core.billing.routes import pdf_response
from panel.core.billing.tables import InvoiceLine, InvoiceStatus
from panel.core.stores.tables import Store
from panel.core.web.pages import page, redirect
from panel.errors import NotFound, PanelError, ValidationFailed
from panel.money import CURRENCIES, format_money, format_plain, parse_amount

NOTICES = {
    "created": "The draft was saved. Issue it when it is ready: it gets its number then.",
    "saved": "The draft was saved.",
    "issued": "The invoice was issued.",
    "deleted": "The draft was deleted.",
    "recorded": "The bank transfer was recorded.",
    "refunded": "The refund was made; the credit note is listed below.",
    "cancelled": "The invoice was cancelled.",
}


def _int(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


async def _stores() -> list[dict[str, Any]]:
    return list(await Store.select(Store.id, Store.name).order_by(Store.name))


# -- invoices -----------------------------------------------------------------------------


@get("/admin/invoices", authz=guards.ADMIN_LIST)
async def admin_invoices(
    request: Request[Any, Any, Any],
    status: FromQuery[str] = "",
    store: FromQuery[str] = "",
    account: FromQuery[str] = "",
    kind: FromQuery[str] = "",
    page_no: FromQuery[int] = 1,
    done: FromQuery[str] = "",
) -> Template:
    """All invoices with status, store, account and kind filters and pages."""
    filters = queries.InvoiceFilters(status, _int(store), _int(account), kind).normalised()
    found = await queries.list_invoices(filters, PAGE_SIZE, (max(page_no, 1) - 1) * PAGE_SIZE)
    query = {"status": filters.status, "store": store, "account": account, "kind": filters.kind}
    query = {k: v for k, v in query.items() if v}

    def page_url(number: int) -> str:
        return "/admin/invoices?" + urlencode({**query, "page_no": number})

    return await page(
        request,
        "billing/admin_list.html",
        area="admin",
        found=found,
        filters=filters,
        store_value=store,
        account_value=account,
        stores=await _stores(),
        statuses=InvoiceStatus.ALL,
        page_url=page_url,
        can=guards.admin_abilities(request),
        notice=NOTICES.get(done, ""),
    )


async def _detail_page(
    request: Request[Any, Any, Any],
    invoice_id: int,
    notice: str = "",
    form: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    detail = await queries.get_invoice(invoice_id, request.app.state.payment_gateways)
    inv = detail.invoice
    left = await refunds.refundable(invoice_id)
    draft_values = await _draft_values(invoice_id) if inv.status == InvoiceStatus.DRAFT else {}
    return await page(
        request,
        "billing/admin_invoice.html",
        area="admin",
        status_code=status_code,
        detail=detail,
        inv=inv,
        refundable_text=format_money(left, inv.currency),
        refundable_plain=format_plain(left, inv.currency),
        balance_plain=format_plain(inv.balance, inv.currency),
        today=dt.date.today().isoformat(),
        form=form,
        values=values or (draft_values if inv.status == InvoiceStatus.DRAFT else {}),
        errors=errors or {},
        rows=range(drafts.MAX_LINES),
        can=guards.admin_abilities(request, invoice_id),
        notice=NOTICES.get(notice, ""),
    )


async def _draft_values(invoice_id: int) -> dict[str, str]:
    rows = await InvoiceLine.select().where(InvoiceLine.invoice == invoice_id).order_by(InvoiceLine.sort)
    head = await queries.get_invoice(invoice_id, {})
    values = {"notes": head.notes, "due_date": head.invoice.due_date.isoformat() if head.invoice.due_date else ""}
    for i, r in enumerate(rows):
        values |= {
            f"description_{i}": r["description"],
            f"quantity_{i}": str(r["quantity"]),
            f"price_{i}": format_plain(int(r["unit_amount"]), head.invoice.currency),
            f"tax_{i}": str(r["tax_bp"] / 100).removesuffix(".0") if r["tax_bp"] else "",
            f"tax_name_{i}": r["tax_name"],
        }
    return values


@get("/admin/invoices/{invoice_id:int}", authz=guards.ADMIN_READ)
async def admin_invoice(
    request: Request[Any, Any, Any], invoice_id: FromPath[int], done: FromQuery[str] = ""
) -> Template:
    """One invoice as the client sees it, with payments, credit notes and staff actions."""
    return await _detail_page(request, invoice_id, notice=done)


@get("/admin/invoices/{invoice_id:int}/pdf", authz=guards.ADMIN_READ)
async def admin_invoice_pdf(request: Request[Any, Any, Any], invoice_id: FromPath[int]) -> Response[bytes]:
    """The invoice's PDF, as the client downloads it."""
    return pdf_response(await queries.get_invoice(invoice_id, request.app.state.payment_gateways))


@dataclass
class BankTransferForm:
    """A bank transfer that arrived."""

    amount: str = ""
    reference: str = ""
    received_on: str = ""


@post("/admin/invoices/{invoice_id:int}/bank-transfer", authz=guards.ADMIN_RECORD)
async def record_bank_transfer(
    request: Request[Any, Any, Any], invoice_id: FromPath[int], data: URLEncodedBody[BankTransferForm]
) -> Response[Any]:
    """Record a bank transfer with the bank's reference, date and amount (partial payments allowed)."""
    try:
        detail = await queries.get_invoice(invoice_id, {})
        amount = parse_amount(data.amount, detail.invoice.currency)
        received = drafts.parse_due(data.received_on)
        if received is None:
            raise ValidationFailed({"received_on": "Enter the date the money arrived."})
        await payments.record_bank_transfer(
            request.app.state, invoice_id, amount, data.reference, received, by=audit_context(request)
        )
    except PanelError as exc:
        if isinstance(exc, NotFound):
            raise
        errors = exc.errors if isinstance(exc, ValidationFailed) else {exc.field or "amount": exc.message}
        errors = {("received_on" if k == "due_date" else k): v for k, v in errors.items()}
        return await _detail_page(request, invoice_id, "", "bank", asdict(data), errors, exc.status_code)
    return redirect(request, f"/admin/invoices/{invoice_id}?done=recorded")


@dataclass
class RefundForm:
    """A refund: how much, where to, and why."""

    amount: str = ""
    to: str = "credit"
    reason: str = ""


@post("/admin/invoices/{invoice_id:int}/refund", authz=guards.ADMIN_REFUND)
async def refund(
    request: Request[Any, Any, Any], invoice_id: FromPath[int], data: URLEncodedBody[RefundForm]
) -> Response[Any]:
    """Refund to account credit or through the gateway: a credit note with its own number."""
    try:
        detail = await queries.get_invoice(invoice_id, {})
        amount = parse_amount(data.amount, detail.invoice.currency)
        await refunds.refund(request.app.state, invoice_id, amount, data.to, data.reason, by=audit_context(request))
    except PanelError as exc:
        if isinstance(exc, NotFound):
            raise
        errors = exc.errors if isinstance(exc, ValidationFailed) else {exc.field or "amount": exc.message}
        return await _detail_page(request, invoice_id, "", "refund", asdict(data), errors, exc.status_code)
    return redirect(request, f"/admin/invoices/{invoice_id}?done=refunded")


@dataclass
class CancelForm:
    """Why the invoice is cancelled."""

    reason: str = ""


@post("/admin/invoices/{invoice_id:int}/cancel", authz=guards.ADMIN_CANCEL)
async def cancel(
    request: Request[Any, Any, Any], invoice_id: FromPath[int], data: URLEncodedBody[CancelForm]
) -> Response[Any]:
    """Cancel an unpaid invoice."""
    try:
        await refunds.cancel(invoice_id, data.reason, by=audit_context(request))
    except PanelError as exc:
        if isinstance(exc, NotFound):
            raise
        errors = exc.errors if isinstance(exc, ValidationFailed) else {"reason": exc.message}
        return await _detail_page(request, invoice_id, "", "cancel", asdict(data), errors, exc.status_code)
    return redirect(request, f"/admin/invoices/{invoice_id}?done=cancelled")


# -- manual drafts -------------------------------------------------------------------------


async def _new_page(
    request: Request[Any, Any, Any], values: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Template:
    return await page(
        request,
        "billing/admin_new.html",
        area="admin",
        status_code=status_code,
        values=values,
        errors=errors,
        rows=range(drafts.MAX_LINES),
        currencies=sorted(CURRENCIES),
    )


@get("/admin/invoices/new", authz=guards.ADMIN_CREATE)
async def new_invoice(request: Request[Any, Any, Any], account: FromQuery[str] = "") -> Template:
    """The form for a manual invoice (saved as a draft)."""
    return await _new_page(request, {"account_id": account, "quantity_0": "1"}, {})


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = {k: str(v) for k, v in (await request.form()).items()}
    form.pop("_csrf_token", None)
    return form


async def _account_of(form: dict[str, str]) -> int:
    account_id = _int(form.get("account_id", ""))
    if account_id is None or not await Account.exists().where(Account.id == account_id):
        raise ValidationFailed({"account_id": "Enter the id of an existing client account."})
    return account_id


@post("/admin/invoices/new", authz=guards.ADMIN_CREATE)
async def create_invoice(request: Request[Any, Any, Any]) -> Response[Any]:
    """Save a manual invoice as a draft (no number yet)."""
    form = await _form(request)
    try:
        account_id = await _account_of(form)
        lines = drafts.parse_lines(form, await drafts.draft_currency(account_id))
        due = drafts.parse_due(form.get("due_date", ""))
        invoice_id = await drafts.create_draft(account_id, lines, due, form.get("notes", ""), by=audit_context(request))
    except ValidationFailed as exc:
        return await _new_page(request, form, exc.errors, 422)
    return redirect(request, f"/admin/invoices/{invoice_id}?done=created")


@post("/admin/invoices/{invoice_id:int}/draft", authz=guards.ADMIN_UPDATE)
async def update_draft(request: Request[Any, Any, Any], invoice_id: FromPath[int]) -> Response[Any]:
    """Save a draft's lines, due date and notes."""
    form = await _form(request)
    try:
        detail = await queries.get_invoice(invoice_id, {})
        lines = drafts.parse_lines(form, detail.invoice.currency)
        due = drafts.parse_due(form.get("due_date", ""))
        await drafts.update_draft(invoice_id, lines, due, form.get("notes", ""), by=audit_context(request))
    except ValidationFailed as exc:
        return await _detail_page(request, invoice_id, "", "draft", form, exc.errors, 422)
    return redirect(request, f"/admin/invoices/{invoice_id}?done=saved")


@post("/admin/invoices/{invoice_id:int}/issue", authz=guards.ADMIN_UPDATE)
async def issue(request: Request[Any, Any, Any], invoice_id: FromPath[int]) -> Response[Any]:
    """Issue a draft: it takes the store's next number now."""
    await drafts.issue_draft(request.app.state, invoice_id, by=audit_context(request))
    return redirect(request, f"/admin/invoices/{invoice_id}?done=issued")


@post("/admin/invoices/{invoice_id:int}/delete", authz=guards.ADMIN_UPDATE)
async def delete_draft(request: Request[Any, Any, Any], invoice_id: FromPath[int]) -> Response[Any]:
    """Delete a draft."""
    await drafts.delete_draft(invoice_id, by=audit_context(request))
    return redirect(request, "/admin/invoices?done=deleted")


# -- payments ------------------------------------------------------------------------------------


@get("/admin/payments", authz=guards.ADMIN_PAYMENTS)
async def admin_payments(
    request: Request[Any, Any, Any],
    account: FromQuery[str] = "",
    gateway: FromQuery[str] = "",
    page_no: FromQuery[int] = 1,
) -> Template:
    """Every payment, newest first, with account and gateway filters."""
    filters = payment_views.PaymentFilters(account_id=_int(account), gateway=gateway.strip())
    gateways = request.app.state.payment_gateways
    found = await payment_views.list_payments(filters, gateways, PAGE_SIZE, (max(page_no, 1) - 1) * PAGE_SIZE)
    query = {k: v for k, v in {"account": account, "gateway": filters.gateway}.items() if v}

    def page_url(number: int) -> str:
        return "/admin/payments?" + urlencode({**query, "page_no": number})

    return await page(
        request,
        "billing/admin_payments.html",
        area="admin",
        found=found,
        account_value=account,
        gateway_value=filters.gateway,
        gateways=sorted(gateways.values(), key=lambda g: g.label),
        page_url=page_url,
    )


PAGE_ROUTES = [
    admin_invoices,
    new_invoice,
    create_invoice,
    admin_invoice,
    admin_invoice_pdf,
    record_bank_transfer,
    refund,
    cancel,
    update_draft,
    issue,
    delete_draft,
    admin_payments,
]
