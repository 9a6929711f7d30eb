"""Admin-area pages of quotes: the list, writing a quote for an account, changing a draft, sending it.

Staff billing and admins only (see `guards.py`); each route declares what it needs.
A quote is shown to staff as the client will see it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from panel.core.accounts.tables import Account
from panel.core.audit.context import audit_context
from panel.core.billing.drafts import MAX_LINES
from panel.core.billing.paging import PAGE_SIZE
from panel.core.catalog.tables import Cycle, Product
from panel.core.quotes import guards, queries, services
from panel.core.quotes.forms import parse_quote_form
from panel.core.quotes.tables import QuoteStatus
from panel.core.web.pages import allowed, page, redirect
from panel.errors import PanelError, ValidationFailed

NOTICES = {
    "created": "The quote was saved as a draft. Send it when it is ready.",
    "saved": "The draft was saved.",
    "sent": "The quote was sent to the account's billing contact.",
    "deleted": "The draft was deleted.",
}


def _int(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def _can(request: Request[Any, Any, Any], quote_id: int | None = None) -> dict[str, bool]:
    obj = f"quote:{quote_id}" if quote_id is not None else "quote:*"
    return {
        "create": allowed(request, "quote:*", "create", "platform"),
        "update": allowed(request, obj, "update", "platform"),
        "send": allowed(request, obj, "send", "platform"),
        "delete": allowed(request, obj, "delete", "platform"),
    }


@get("/admin/quotes", authz=guards.ADMIN_LIST)
async def admin_quotes(
    request: Request[Any, Any, Any],
    status: FromQuery[str] = "",
    account: FromQuery[str] = "",
    page_no: FromQuery[int] = 1,
    done: FromQuery[str] = "",
) -> Template:
    """Every quote, newest first, with status and account filters and pages."""
    filters = queries.QuoteFilters(status, _int(account)).normalised()
    found = await queries.list_quotes(filters, PAGE_SIZE, (max(page_no, 1) - 1) * PAGE_SIZE)
    query = {k: v for k, v in {"status": filters.status, "account": account}.items() if v}

    def page_url(number: int) -> str:
        return "/admin/quotes?" + urlencode({**query, "page_no": number})

    return await page(
        request,
        "quotes/admin_list.html",
        area="admin",
        found=found,
        filters=filters,
        account_value=account,
        statuses=QuoteStatus.ALL,
        page_url=page_url,
        can=_can(request),
        notice=NOTICES.get(done, ""),
    )


async def _products() -> list[dict[str, Any]]:
    """Active catalogue products and addons to price a line from, by name."""
    return list(await Product.select(Product.id, Product.name).where(Product.is_active.eq(True)).order_by(Product.name))


async def _form_page(
    request: Request[Any, Any, Any],
    values: dict[str, str],
    errors: dict[str, str],
    quote_id: int | None = None,
    status_code: int = 200,
    notice: str = "",
) -> Template:
    detail = await queries.get_quote(quote_id) if quote_id is not None else None
    return await page(
        request,
        "quotes/admin_form.html",
        area="admin",
        status_code=status_code,
        detail=detail,
        q=detail.quote if detail else None,
        values=values,
        errors=errors,
        rows=range(MAX_LINES),
        products=await _products(),
        cycles=[(c, Cycle.LABELS[c]) for c in Cycle.ALL],
        can=_can(request, quote_id),
        notice=notice,
    )


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = {k: str(v) for k, v in (await request.form()).items()}
    form.pop("_csrf_token", None)
    return form


async def _account_of(form: dict[str, str]) -> int:
    account_id = _int(form.get("account_id", ""))
    if account_id is None or not await Account.exists().where(Account.id == account_id):
        raise ValidationFailed({"account_id": "Enter the id of an existing client account."})
    return account_id


@get("/admin/quotes/new", authz=guards.ADMIN_CREATE)
async def new_quote(request: Request[Any, Any, Any], account: FromQuery[str] = "") -> Template:
    """The form for a new quote (saved as a draft)."""
    return await _form_page(request, {"account_id": account, "quantity_0": "1"}, {})


@post("/admin/quotes/new", authz=guards.ADMIN_CREATE)
async def create_quote(request: Request[Any, Any, Any]) -> Response[Any]:
    """Save a new quote as a draft in the account's store and currency."""
    form = await _form(request)
    try:
        account_id = await _account_of(form)
        store_id, currency = await services.store_of(account_id)
        content = await parse_quote_form(form, store_id, currency)
        quote_id = await services.create_quote(account_id, content, by=audit_context(request))
    except ValidationFailed as exc:
        return await _form_page(request, form, exc.errors, status_code=422)
    return redirect(request, f"/admin/quotes/{quote_id}?done=created")


@get("/admin/quotes/{quote_id:int}", authz=guards.ADMIN_READ)
async def admin_quote(request: Request[Any, Any, Any], quote_id: FromPath[int], done: FromQuery[str] = "") -> Template:
    """One quote as the client sees it; a draft with its form to change it, Send and Delete."""
    detail = await queries.get_quote(quote_id)
    values = await queries.form_values(quote_id) if detail.quote.status == QuoteStatus.DRAFT else {}
    return await _form_page(request, values, {}, quote_id, notice=NOTICES.get(done, ""))


@post("/admin/quotes/{quote_id:int}", authz=guards.ADMIN_UPDATE)
async def update_quote(request: Request[Any, Any, Any], quote_id: FromPath[int]) -> Response[Any]:
    """Save a draft's lines, last valid day and notes."""
    form = await _form(request)
    try:
        detail = await queries.get_quote(quote_id)
        content = await parse_quote_form(form, detail.quote.store_id, detail.quote.currency)
        await services.update_quote(quote_id, content, by=audit_context(request))
    except (ValidationFailed, services.QuoteClosed) as exc:
        errors = exc.errors if isinstance(exc, ValidationFailed) else {"send": exc.message}
        return await _form_page(request, form, errors, quote_id, exc.status_code)
    return redirect(request, f"/admin/quotes/{quote_id}?done=saved")


@post("/admin/quotes/{quote_id:int}/send", authz=guards.ADMIN_SEND)
async def send_quote(request: Request[Any, Any, Any], quote_id: FromPath[int]) -> Response[Any]:
    """Send the quote to the account's billing contact (again, for a sent one)."""
    try:
        await services.send_quote(quote_id, by=audit_context(request))
    except PanelError as exc:
        if not isinstance(exc, ValidationFailed | services.QuoteClosed):
            raise
        detail = await queries.get_quote(quote_id)
        values = await queries.form_values(quote_id) if detail.quote.status == QuoteStatus.DRAFT else {}
        errors = {"send": exc.message}
        return await _form_page(request, values, errors, quote_id, exc.status_code)
    return redirect(request, f"/admin/quotes/{quote_id}?done=sent")


@post("/admin/quotes/{quote_id:int}/delete", authz=guards.ADMIN_DELETE)
async def delete_quote(request: Request[Any, Any, Any], quote_id: FromPath[int]) -> Response[Any]:
    """Delete a draft."""
    await services.delete_draft(quote_id, by=audit_context(request))
    return redirect(request, "/admin/quotes?done=deleted")


@get("/admin/quotes/{quote_id:int}/print", authz=guards.ADMIN_READ)
async def admin_quote_print(request: Request[Any, Any, Any], quote_id: FromPath[int]) -> Template:
    """The quote's printable page, as the client prints it."""
    detail = await queries.get_quote(quote_id)
    return await page(
        request, "quotes/print.html", area="public", detail=detail, q=detail.quote, back=f"/admin/quotes/{quote_id}"
    )


ROUTES = [
    admin_quotes,
    new_quote,
    create_quote,
    admin_quote,
    update_quote,
    send_quote,
    delete_quote,
    admin_quote_print,
]
