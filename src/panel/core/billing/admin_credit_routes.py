"""Admin-area pages for an account's credit: balances, movements, and staff adjustments.

The same balances and movements the client sees at `/credit`; staff:billing and
admins may add or remove credit with a reason (audited).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Template

from panel.core.accounts.tables import Account
from panel.core.audit.context import audit_context
from panel.core.billing import credit, guards
from panel.core.web.pages import page, redirect
from panel.errors import NotFound, ValidationFailed
from panel.money import CURRENCIES, format_money, parse_amount

NOTICES = {"adjusted": "The account's credit was changed."}


async def _credit_page(
    request: Request[Any, Any, Any],
    account_id: int,
    page_no: int = 1,
    notice: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    row = await Account.select(Account.id, Account.name).where(Account.id == account_id).first()
    if row is None:
        raise NotFound("No such account.")
    have = await credit.balances(account_id)
    found = await credit.entries(account_id, credit.PAGE_SIZE, (max(page_no, 1) - 1) * credit.PAGE_SIZE)
    return await page(
        request,
        "billing/admin_credit.html",
        area="admin",
        status_code=status_code,
        account=row,
        balances=[(c, format_money(v, c)) for c, v in have.items()],
        found=found,
        currencies=sorted(CURRENCIES),
        values=values or {"currency": next(iter(have), "")},
        errors=errors or {},
        notice=NOTICES.get(notice, ""),
        can=guards.admin_abilities(request),
        page_url=lambda n: f"/admin/accounts/{account_id}/credit?page_no={n}",
    )


@get("/admin/accounts/{account_id:int}/credit", authz=guards.ADMIN_CREDIT)
async def admin_credit(
    request: Request[Any, Any, Any], account_id: FromPath[int], page_no: FromQuery[int] = 1, done: FromQuery[str] = ""
) -> Template:
    """An account's credit: balances and movements, and a form to add or remove credit."""
    return await _credit_page(request, account_id, page_no, done)


@dataclass
class AdjustForm:
    """Add (or, with direction=remove, take away) credit, with a reason."""

    currency: str = ""
    amount: str = ""
    direction: str = "add"
    reason: str = ""


@post("/admin/accounts/{account_id:int}/credit", authz=guards.ADMIN_CREDIT_ADJUST)
async def adjust_credit(
    request: Request[Any, Any, Any], account_id: FromPath[int], data: URLEncodedBody[AdjustForm]
) -> Response[Any]:
    """Add or remove credit with a reason (audited); credit never goes below zero."""
    try:
        if not await Account.exists().where(Account.id == account_id):
            raise NotFound("No such account.")
        amount = parse_amount(data.amount, data.currency.upper())
        signed = -amount if data.direction == "remove" else amount
        await credit.adjust(account_id, data.currency.upper(), signed, data.reason, by=audit_context(request))
    except ValidationFailed as exc:
        return await _credit_page(request, account_id, 1, "", asdict(data), exc.errors, 422)
    return redirect(request, f"/admin/accounts/{account_id}/credit?done=adjusted")


ROUTES = [admin_credit, adjust_credit]
