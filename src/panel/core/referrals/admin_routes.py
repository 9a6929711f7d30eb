"""Staff: the programme's terms, every referral, and reversing a reward (`/admin/referrals`).

Decided by the rules engine on `admin:referrals` in the platform domain: `read` the
page, `update` the terms, `reverse` a reward. `staff:admin` holds all three (it allows
everything); other staff roles hold none unless a policy line grants them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Template

from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires
from panel.core.referrals import services
from panel.core.referrals.tables import RewardKind
from panel.core.web.pages import allowed, page, redirect
from panel.errors import ValidationFailed
from panel.money import CURRENCIES, format_plain

NOTICES = {"saved": "The referral programme's terms were saved.", "reversed": "The reward was reversed."}


def _form_values(terms: services.Programme) -> dict[str, str]:
    return {
        "enabled": "on" if terms.enabled else "",
        "currency": terms.currency,
        "reward_kind": terms.reward_kind,
        "fixed_amount": format_plain(terms.fixed_amount, terms.currency),
        "percent": str(terms.percent_bp / 100).removesuffix(".0"),
        "cap": format_plain(terms.cap, terms.currency),
        "min_invoice": format_plain(terms.min_invoice, terms.currency),
    }


async def _page(
    request: Request[Any, Any, Any],
    notice: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    row_errors: dict[int, str] | None = None,
    status_code: int = 200,
) -> Template:
    terms = await services.programme()
    return await page(
        request,
        "referrals/admin.html",
        area="admin",
        status_code=status_code,
        terms=terms,
        values=values if values is not None else _form_values(terms),
        errors=errors or {},
        row_errors=row_errors or {},
        rows=await services.admin_rows(),
        currencies=sorted(CURRENCIES),
        kinds=[(RewardKind.FIXED, "a fixed amount"), (RewardKind.PERCENT, "a percentage of the first invoice")],
        may_update=allowed(request, services.ADMIN_OBJECT, "update", "platform"),
        may_reverse=allowed(request, services.ADMIN_OBJECT, "reverse", "platform"),
        notice=notice,
    )


@get("/admin/referrals", authz=requires(services.ADMIN_OBJECT, "read", scope="platform"))
async def admin_page(request: Request[Any, Any, Any], done: FromQuery[str] = "") -> Template:
    """The terms (a form for staff who may change them) and the latest referrals."""
    return await _page(request, NOTICES.get(done, ""))


@dataclass
class TermsForm:
    """The programme's terms as typed (amounts like "12.50", the percentage like "10")."""

    enabled: str = ""
    currency: str = ""
    reward_kind: str = ""
    fixed_amount: str = ""
    percent: str = ""
    cap: str = ""
    min_invoice: str = ""


@post("/admin/referrals/programme", authz=requires(services.ADMIN_OBJECT, "update", scope="platform"))
async def save_terms(request: Request[Any, Any, Any], data: URLEncodedBody[TermsForm]) -> Response[Any]:
    """Save the terms (audited); errors beside their fields, with what was typed."""
    values = {k: str(v) for k, v in data.__dict__.items()}
    try:
        await services.save_programme(services.parse_programme(values), by=audit_context(request))
    except ValidationFailed as exc:
        return await _page(request, values=values, errors=exc.errors, status_code=422)
    return redirect(request, "/admin/referrals?done=saved")


@dataclass
class ReverseForm:
    """Why the reward is taken back (the referrer sees it on their credit page)."""

    reason: str = ""


@post(
    "/admin/referrals/{referral_id:int}/reverse",
    authz=requires(services.ADMIN_OBJECT, "reverse", scope="platform"),
)
async def reverse(
    request: Request[Any, Any, Any], referral_id: FromPath[int], data: URLEncodedBody[ReverseForm]
) -> Response[Any]:
    """Take the reward back out of the referrer's credit (audited)."""
    try:
        await services.reverse(referral_id, data.reason, by=audit_context(request))
    except ValidationFailed as exc:
        message = " ".join(exc.errors.values())
        return await _page(request, row_errors={referral_id: message}, status_code=422)
    return redirect(request, "/admin/referrals?done=reversed")


ROUTES = [admin_page, save_terms, reverse]
