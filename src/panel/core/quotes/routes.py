"""Client-area pages of quotes: the list, one quote (accept or decline it), and its printable page.

Every page works on the session's current account; another account's quote, or a
staff draft, is 404. Members need the `quotes` permission (`perm:quotes`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from panel.core.audit.context import audit_context
from panel.core.billing.paging import PAGE_SIZE
from panel.core.quotes import guards, queries, services
from panel.core.quotes.tables import QuoteStatus
from panel.core.web.pages import allowed, page, redirect

NOTICES = {
    "accepted": "Thank you: the quote is accepted and its invoice was issued.",
    "declined": "The quote was declined. Thank you for letting us know.",
}


@get("/quotes", authz=guards.LIST)
async def quote_list(
    request: Request[Any, Any, Any], status: FromQuery[str] = "", page_no: FromQuery[int] = 1
) -> Template:
    """The account's quotes, newest first, with a status filter and pages."""
    filters = queries.QuoteFilters(status, request.state.account_id, hide_drafts=True).normalised()
    found = await queries.list_quotes(filters, PAGE_SIZE, (max(page_no, 1) - 1) * PAGE_SIZE)

    def page_url(number: int) -> str:
        return "/quotes?" + urlencode({**({"status": filters.status} if filters.status else {}), "page_no": number})

    return await page(
        request,
        "quotes/list.html",
        found=found,
        status=filters.status,
        statuses=[s for s in QuoteStatus.ALL if s != QuoteStatus.DRAFT],
        labels=queries.STATUS_LABELS,
        page_url=page_url,
    )


async def _quote_page(
    request: Request[Any, Any, Any], quote_id: int, notice: str = "", error: str = "", status_code: int = 200
) -> Template:
    account_id = request.state.account_id
    detail = await queries.get_quote(quote_id, account_id)
    dom = f"acct:{account_id}"
    return await page(
        request,
        "quotes/detail.html",
        status_code=status_code,
        detail=detail,
        q=detail.quote,
        can={
            "accept": allowed(request, f"quote:{quote_id}", "accept", dom),
            "decline": allowed(request, f"quote:{quote_id}", "decline", dom),
            "invoice": allowed(request, "invoice:*", "read", dom),
            "pay": allowed(request, "invoice:*", "pay", dom),
        },
        notice=NOTICES.get(notice, ""),
        error=error,
    )


@get("/quotes/{quote_id:int}", authz=guards.READ)
async def quote_page(request: Request[Any, Any, Any], quote_id: FromPath[int], done: FromQuery[str] = "") -> Template:
    """One quote: lines, taxes, totals, how long it is valid, and Accept / Decline while it is open."""
    return await _quote_page(request, quote_id, notice=done)


@get("/quotes/{quote_id:int}/print", authz=guards.READ)
async def quote_print(request: Request[Any, Any, Any], quote_id: FromPath[int]) -> Template:
    """The quote as a document to print, without the client area around it."""
    detail = await queries.get_quote(quote_id, request.state.account_id)
    return await page(
        request, "quotes/print.html", area="public", detail=detail, q=detail.quote, back=f"/quotes/{quote_id}"
    )


@post("/quotes/{quote_id:int}/accept", authz=guards.ACCEPT)
async def accept(request: Request[Any, Any, Any], quote_id: FromPath[int]) -> Response[Any]:
    """Accept the quote: its invoice is issued at once (accepting twice issues one)."""
    try:
        await services.accept(request.app.state, request.state.account_id, quote_id, by=audit_context(request))
    except services.QuoteClosed as exc:
        return await _quote_page(request, quote_id, error=exc.message, status_code=exc.status_code)
    return redirect(request, f"/quotes/{quote_id}?done=accepted")


@post("/quotes/{quote_id:int}/decline", authz=guards.DECLINE)
async def decline(request: Request[Any, Any, Any], quote_id: FromPath[int]) -> Response[Any]:
    """Decline the quote."""
    try:
        await services.decline(request.state.account_id, quote_id, by=audit_context(request))
    except services.QuoteClosed as exc:
        return await _quote_page(request, quote_id, error=exc.message, status_code=exc.status_code)
    return redirect(request, f"/quotes/{quote_id}?done=declined")


ROUTES = [quote_list, quote_page, quote_print, accept, decline]
