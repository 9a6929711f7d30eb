"""The quotes API under /api/v1: the account's quotes, one quote, accepting and declining it.

The same services and rules as the pages: drafts and another account's quotes are
404, an expired or already declined quote is 409, and accepting twice answers the
one invoice the first acceptance issued.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Router, get, post
from litestar.params import FromPath, FromQuery

from panel.core.audit.context import audit_context
from panel.core.billing.paging import PAGE_SIZE
from panel.core.quotes import guards, queries, services


@dataclass
class QuoteListOut:
    """A page of quotes and the number of matches."""

    total: int
    limit: int
    offset: int
    items: list[queries.QuoteRow]


@get("/accounts/{account_id:int}/quotes", authz=guards.API_LIST)
async def api_quotes(
    account_id: FromPath[int],
    status: FromQuery[str] = "",
    limit: FromQuery[int] = PAGE_SIZE,
    offset: FromQuery[int] = 0,
) -> QuoteListOut:
    """The account's quotes (drafts never), newest first; `status` narrows to one (sent, accepted, expired ...)."""
    filters = queries.QuoteFilters(status, account_id, hide_drafts=True)
    found = await queries.list_quotes(filters, limit, offset)
    return QuoteListOut(found.total, found.limit, found.offset, found.rows)


@get("/accounts/{account_id:int}/quotes/{quote_id:int}", authz=guards.API_READ)
async def api_quote(account_id: FromPath[int], quote_id: FromPath[int]) -> queries.QuoteDetail:
    """One quote with its lines, taxes and totals; 404 for a draft or another account's quote."""
    return await queries.get_quote(quote_id, account_id)


@dataclass
class AnswerOut:
    """The quote after the answer, and the invoice an acceptance issued."""

    quote: queries.QuoteRow
    invoice_id: int | None


@post("/accounts/{account_id:int}/quotes/{quote_id:int}/accept", authz=guards.API_ACCEPT, status_code=200)
async def api_accept(request: Request[Any, Any, Any], account_id: FromPath[int], quote_id: FromPath[int]) -> AnswerOut:
    """Accept the quote: an unpaid invoice of its lines is issued (once, however often this is called)."""
    invoice_id = await services.accept(request.app.state, account_id, quote_id, by=audit_context(request))
    after = await queries.get_quote(quote_id, account_id)
    return AnswerOut(after.quote, invoice_id)


@post("/accounts/{account_id:int}/quotes/{quote_id:int}/decline", authz=guards.API_DECLINE, status_code=200)
async def api_decline(request: Request[Any, Any, Any], account_id: FromPath[int], quote_id: FromPath[int]) -> AnswerOut:
    """Decline the quote; 409 when it is accepted or expired."""
    await services.decline(account_id, quote_id, by=audit_context(request))
    after = await queries.get_quote(quote_id, account_id)
    return AnswerOut(after.quote, None)


def api_router() -> Router:
    """The quotes API under /api/v1."""
    return Router(path="/api/v1", route_handlers=[api_quotes, api_quote, api_accept, api_decline], tags=["quotes"])
