"""Client-area pages: invoices, paying them, the PDF, account credit and payment methods.

Every page works on the session's current account; an invoice or method id of
another account is 404. Payment forms carry a one-time key, so a form sent twice
pays once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Template

from panel.core.audit.context import audit_context
from panel.core.billing import cards, credit, guards, invoicing, methods, payments, queries, transactions
from panel.core.billing.gateways import bank_instructions, offers
from panel.core.billing.paging import PAGE_SIZE
from panel.core.billing.pdf import invoice_pdf
from panel.core.billing.tables import InvoiceStatus
from panel.core.web.pages import page, redirect
from panel.errors import Forbidden, ValidationFailed
from panel.gateways import GatewayError
from panel.money import format_money, format_plain, parse_amount

NOTICES = {
    "ordered": "Thank you for your order: its invoice is below. We set everything up once it is paid.",
    "paid": "Thank you: the invoice is paid.",
    "recorded": "Thank you: the payment was recorded.",
    "pending": "The payment is being confirmed by the payment provider.",
    "card": "Thank you: we will mark the invoice paid as soon as the payment provider confirms it.",
    "funds": "An invoice for the credit was issued: the credit is added once it is paid.",
    "method_added": "The payment method was added.",
    "method_deleted": "The payment method was removed.",
    "method_default": "The default payment method was changed.",
}


def _notice(code: str) -> str:
    return NOTICES.get(code, "")


# -- the list ---------------------------------------------------------------------------


@get("/invoices", authz=guards.LIST)
async def invoice_list(
    request: Request[Any, Any, Any], status: FromQuery[str] = "", page_no: FromQuery[int] = 1
) -> Template:
    """The account's invoices and credit notes, newest first, with a status filter and pages."""
    account_id = request.state.account_id
    filters = queries.InvoiceFilters(status=status, account_id=account_id, hide_drafts=True).normalised()
    found = await queries.list_invoices(filters, PAGE_SIZE, (max(page_no, 1) - 1) * PAGE_SIZE)

    def page_url(number: int) -> str:
        return "/invoices?" + urlencode({**({"status": filters.status} if filters.status else {}), "page_no": number})

    return await page(
        request,
        "billing/list.html",
        found=found,
        status=filters.status,
        statuses=InvoiceStatus.ALL,
        page_url=page_url,
        can=guards.client_abilities(request, account_id),
    )


# -- transactions -------------------------------------------------------------------------


@get("/transactions", authz=guards.LIST)
async def transaction_list(request: Request[Any, Any, Any], page_no: FromQuery[int] = 1) -> Template:
    """The account's payments, refunds and credit movements, newest first, with pages."""
    found = await transactions.list_transactions(
        request.state.account_id, request.app.state.payment_gateways, PAGE_SIZE, (max(page_no, 1) - 1) * PAGE_SIZE
    )
    return await page(
        request,
        "billing/transactions.html",
        found=found,
        page_url=lambda n: "/transactions?" + urlencode({"page_no": n}),
    )


# -- one invoice ------------------------------------------------------------------------


async def _pay_context(request: Request[Any, Any, Any], detail: queries.InvoiceDetail) -> dict[str, Any]:
    """What the pay section offers: credit, stored methods, hosted pages, bank transfer instructions."""
    inv = detail.invoice
    account_id = request.state.account_id
    state = request.app.state
    reseller = await guards.reseller_for(request, account_id)
    usable = (
        await methods.usable_methods(account_id, reseller)
        if guards.client_abilities(request, account_id)["use_methods"]
        else []
    )
    have = await credit.balance(account_id, inv.currency)
    setting = str(state.settings.for_plugin("core_billing").get("bank_instructions") or "")
    return {
        "key": payments.new_key(),
        "credit_balance": have,
        "credit_text": format_money(have, inv.currency),
        "credit_default": format_plain(min(have, inv.balance), inv.currency),
        "methods": [m for m in usable if m.gateway in state.payment_gateways],
        "offers": offers(state.payment_gateways, inv.store_id, inv.currency),
        "bank_text": bank_instructions(setting, detail.store.get("contact_instructions", "")),
    }


async def _invoice_page(
    request: Request[Any, Any, Any],
    invoice_id: int,
    template: str = "billing/invoice.html",
    notice: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    account_id = request.state.account_id
    detail = await queries.get_invoice(invoice_id, request.app.state.payment_gateways, account_id)
    can = guards.client_abilities(request, account_id)
    payable = detail.invoice.status == InvoiceStatus.UNPAID and detail.invoice.kind == "invoice" and can["pay"]
    pay = await _pay_context(request, detail) if payable else {}
    return await page(
        request,
        template,
        status_code=status_code,
        detail=detail,
        inv=detail.invoice,
        payable=payable,
        pay=pay,
        can=can,
        errors=errors or {},
        notice=_notice(notice),
    )


@get("/invoices/{invoice_id:int}", authz=guards.READ)
async def invoice_page(
    request: Request[Any, Any, Any], invoice_id: FromPath[int], done: FromQuery[str] = ""
) -> Template:
    """The printable invoice: branding, billing details, lines, taxes, payments and who paid, pay options."""
    return await _invoice_page(request, invoice_id, notice=done)


@get("/invoices/{invoice_id:int}/pay", authz=guards.PAY)
async def pay_page(request: Request[Any, Any, Any], invoice_id: FromPath[int]) -> Template:
    """Only the ways to pay the invoice."""
    return await _invoice_page(request, invoice_id, template="billing/pay.html")


@get("/invoices/{invoice_id:int}/pdf", authz=guards.READ)
async def invoice_pdf_download(request: Request[Any, Any, Any], invoice_id: FromPath[int]) -> Response[bytes]:
    """The invoice as a PDF file to save."""
    detail = await queries.get_invoice(invoice_id, request.app.state.payment_gateways, request.state.account_id)
    return pdf_response(detail)


def pdf_response(detail: queries.InvoiceDetail) -> Response[bytes]:
    """A PDF download named after the invoice number."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in detail.invoice.number)
    kind = "credit-note" if detail.invoice.kind == "credit_note" else "invoice"
    return Response(
        content=invoice_pdf(detail),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{kind}-{safe}.pdf"'},
    )


@dataclass
class PayForm:
    """How to pay: `how` is credit, method (a stored one) or gateway (its hosted page)."""

    how: str = ""
    amount: str = ""
    key: str = ""
    payment_method_id: str = ""
    gateway: str = ""


@post("/invoices/{invoice_id:int}/pay", authz=guards.PAY)
async def pay(
    request: Request[Any, Any, Any], invoice_id: FromPath[int], data: URLEncodedBody[PayForm]
) -> Response[Any]:
    """Pay from credit (whole or part), with a stored method, or go to a gateway's payment page."""
    account_id = request.state.account_id
    state = request.app.state
    try:
        if data.how == "credit":
            detail = await queries.get_invoice(invoice_id, state.payment_gateways, account_id)
            amount = parse_amount(data.amount, detail.invoice.currency) if data.amount.strip() else None
            done = await payments.pay_from_credit(
                state, invoice_id, account_id, amount, data.key, by=audit_context(request)
            )
        elif data.how == "method":
            method_id = int(data.payment_method_id) if data.payment_method_id.isdigit() else 0
            if not guards.client_abilities(request, account_id)["use_methods"]:
                raise Forbidden("You may not pay with stored payment methods in this account.")
            reseller = await guards.reseller_for(request, account_id)
            done = await cards.pay_with_method(
                state, invoice_id, account_id, method_id, reseller_account_id=reseller, by=audit_context(request)
            )
        elif data.how == "gateway":
            back = f"/invoices/{invoice_id}"
            url = await cards.start_redirect(
                state, invoice_id, account_id, data.gateway, f"{back}?done=card", f"{back}/pay"
            )
            return redirect(request, url)
        else:
            raise ValidationFailed({"how": "Choose how to pay."})
    except (ValidationFailed, GatewayError, payments.NotPayable) as exc:
        errors = exc.errors if isinstance(exc, ValidationFailed) else {"payment": exc.message}
        return await _invoice_page(request, invoice_id, "billing/pay.html", errors=errors, status_code=exc.status_code)
    if done.settled:
        code = "paid"
    elif done.duplicate or done.applied or done.surplus:
        code = "recorded"
    else:
        code = "pending"
    return redirect(request, f"/invoices/{invoice_id}?done={code}")


# -- credit ------------------------------------------------------------------------------


async def _credit_page(
    request: Request[Any, Any, Any],
    page_no: int = 1,
    notice: str = "",
    errors: dict[str, str] | None = None,
    amount: str = "",
    status_code: int = 200,
) -> Template:
    account_id = request.state.account_id
    store = await invoicing.account_store(account_id)
    found = await credit.entries(account_id, credit.PAGE_SIZE, (max(page_no, 1) - 1) * credit.PAGE_SIZE)
    have = await credit.balances(account_id)
    return await page(
        request,
        "billing/credit.html",
        status_code=status_code,
        balances=[(c, format_money(v, c)) for c, v in have.items()]
        or [(store["currency"], format_money(0, store["currency"]))],
        found=found,
        currency=store["currency"],
        amount=amount,
        errors=errors or {},
        notice=_notice(notice),
        can=guards.client_abilities(request, account_id),
        page_url=lambda n: f"/credit?page_no={n}",
    )


@get("/credit", authz=guards.CREDIT)
async def credit_page(
    request: Request[Any, Any, Any], page_no: FromQuery[int] = 1, done: FromQuery[str] = ""
) -> Template:
    """The account's credit balance, its movements, and "Add funds"."""
    return await _credit_page(request, page_no, done)


@dataclass
class FundsForm:
    """How much credit to buy."""

    amount: str = ""


@post("/credit/add-funds", authz=guards.ADD_FUNDS)
async def add_funds(request: Request[Any, Any, Any], data: URLEncodedBody[FundsForm]) -> Response[Any]:
    """Issue an "Account credit" invoice and go to it to pay."""
    account_id = request.state.account_id
    try:
        store = await invoicing.account_store(account_id)
        amount = parse_amount(data.amount, str(store["currency"]))
        invoice_id = await invoicing.add_funds_invoice(account_id, amount, by=audit_context(request))
    except ValidationFailed as exc:
        return await _credit_page(request, errors=exc.errors, amount=data.amount, status_code=422)
    return redirect(request, f"/invoices/{invoice_id}?done=funds")


# -- payment methods ----------------------------------------------------------------------


async def _methods_page(
    request: Request[Any, Any, Any], notice: str = "", errors: dict[str, str] | None = None, status_code: int = 200
) -> Template:
    account_id = request.state.account_id
    gateways = request.app.state.payment_gateways
    return await page(
        request,
        "billing/methods.html",
        status_code=status_code,
        methods=await methods.list_methods(account_id),
        gateways=[g for g in gateways.values() if g.supports_tokens],
        is_reseller=await methods.keeps_reseller_cards(account_id),
        errors=errors or {},
        notice=_notice(notice),
    )


@get("/payment-methods", authz=guards.METHODS)
async def methods_page(request: Request[Any, Any, Any], done: FromQuery[str] = "") -> Template:
    """The account's stored payment methods and a form to add one."""
    return await _methods_page(request, done)


@post("/payment-methods", authz=guards.METHOD_ADD)
async def add_method(request: Request[Any, Any, Any]) -> Response[Any]:
    """Store a method at the chosen gateway (the gateway reads its own fields from the form)."""
    form = dict(await request.form())
    form.pop("_csrf_token", None)
    try:
        await methods.add_method(
            request.app.state.payment_gateways,
            request.state.account_id,
            str(form.get("gateway", "")),
            form,
            as_reseller=bool(form.get("reseller")),
            by=audit_context(request),
        )
    except (ValidationFailed, GatewayError) as exc:
        errors = exc.errors if isinstance(exc, ValidationFailed) else {"card": exc.message}
        return await _methods_page(request, errors=errors, status_code=exc.status_code)
    return redirect(request, "/payment-methods?done=method_added")


@post("/payment-methods/{method_id:int}/delete", authz=guards.METHOD_DELETE)
async def delete_method(request: Request[Any, Any, Any], method_id: FromPath[int]) -> Response[Any]:
    """Forget a stored method."""
    await methods.delete_method(request.state.account_id, method_id, by=audit_context(request))
    return redirect(request, "/payment-methods?done=method_deleted")


@post("/payment-methods/{method_id:int}/default", authz=guards.METHOD_UPDATE)
async def default_method(request: Request[Any, Any, Any], method_id: FromPath[int]) -> Response[Any]:
    """Make a method the default."""
    await methods.set_default(request.state.account_id, method_id)
    return redirect(request, "/payment-methods?done=method_default")


PAGE_ROUTES = [
    invoice_list,
    transaction_list,
    invoice_page,
    pay_page,
    invoice_pdf_download,
    pay,
    credit_page,
    add_funds,
    methods_page,
    add_method,
    delete_method,
    default_method,
]
