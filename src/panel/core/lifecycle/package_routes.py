"""Pages and API of package changes: choose another package for a service, see what it costs now.

The client page works on the session's current account, the API names the account
in the path; another account's service answers 404, as everywhere. An upgrade
redirects to its invoice; a downgrade or a change at the same price is applied by
a job queued here once the request committed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, JSONBody
from litestar.response import Template

from panel.core.audit.context import audit_context
from panel.core.authz.guard import check, requires
from panel.core.lifecycle import packages
from panel.core.web.pages import allowed, page, redirect
from panel.errors import ValidationFailed
from panel.money import format_money

MANAGE = requires("service:{service_id}", "update")
PLAN_MANAGED = "Your partner manages this account's plan: contact your partner to change it."
"""Why a package change is refused where the rules keep the subscription to someone else (a partner)."""


def _may_change_plan(request: Request[Any, Any, Any], account_id: int) -> bool:
    """Whether the rules engine lets the caller change the account's subscription (packages, plans)."""
    return allowed(request, "subscription", "update", f"acct:{account_id}")


async def _change_page(request: Request[Any, Any, Any], service_id: int, error: str = "") -> Template:
    offer = await packages.options_for(request.state.account_id, service_id)
    if offer.open_change is not None:  # queued again if a crash lost its job (keyed: never twice)
        await packages.queue_apply(request.app.state.settings, offer.open_change)
    service = offer.service
    return await page(
        request,
        "lifecycle/change.html",
        status_code=422 if error else 200,
        offer=offer,
        service=service,
        price=format_money(int(service["recurring_amount"]), str(service["currency"])),
        error=error,
        may_change_plan=_may_change_plan(request, request.state.account_id),
        plan_managed=PLAN_MANAGED,
    )


@get("/services/{service_id:int}/change", authz=MANAGE)
async def change_form(request: Request[Any, Any, Any], service_id: FromPath[int]) -> Template:
    """The packages this service can move to, each with its price and what changing now costs."""
    return await _change_page(request, service_id)


@post("/services/{service_id:int}/change", authz=MANAGE)
async def change_submit(request: Request[Any, Any, Any], service_id: FromPath[int]) -> Any:
    """Record the change: an upgrade opens its invoice to pay; anything else is applied by a job."""
    check(request, "subscription", "update", f"acct:{request.state.account_id}", PLAN_MANAGED)
    form = await request.form()
    raw = str(form.get("product_id", ""))
    try:
        change = await packages.request_change(
            request.state.account_id,
            service_id,
            int(raw) if raw.isdigit() else 0,
            by=audit_context(request),
            user_id=request.state.user_id,
        )
    except ValidationFailed as exc:
        return await _change_page(request, service_id, "; ".join(exc.errors.values()))
    if change.invoice_id is not None:
        return redirect(request, f"/invoices/{change.invoice_id}")
    await packages.queue_apply(request.app.state.settings, change)
    return redirect(request, f"/services/{service_id}/change")


@post("/services/{service_id:int}/change/withdraw", authz=MANAGE)
async def change_withdraw(request: Request[Any, Any, Any], service_id: FromPath[int]) -> Response[Any]:
    """Drop an upgrade that is not paid yet, with its invoice."""
    await packages.withdraw(request.state.account_id, service_id, by=audit_context(request))
    return redirect(request, f"/services/{service_id}/change")


ROUTES = [change_form, change_submit, change_withdraw]


# -- API --------------------------------------------------------------------------------------


@dataclass
class PackageIn:
    """The product to move the service to."""

    product_id: int


@dataclass
class ChangeOut:
    """A package change: `prorated_amount` is before tax (positive: invoiced, negative: credited)."""

    id: int
    service_id: int
    status: str
    from_product: int
    to_product: int
    old_amount: int
    new_amount: int
    prorated_amount: int
    invoice_id: int | None
    error: str


@dataclass
class OptionOut:
    """A package on offer: `price` per cycle from now on, `total` to pay now (negative: credited), tax included."""

    product_id: int
    name: str
    price: int
    amount: int
    tax: int
    total: int


@dataclass
class OptionsOut:
    """The packages on offer, or why there are none."""

    currency: str
    options: list[OptionOut] = field(default_factory=list)
    why_not: str = ""


def _out(change: packages.ChangeView) -> ChangeOut:
    return ChangeOut(
        change.id,
        change.service_id,
        change.status,
        change.from_product,
        change.to_product,
        change.old_amount,
        change.new_amount,
        change.prorated_amount,
        change.invoice_id,
        change.error,
    )


@get(
    "/accounts/{account_id:int}/services/{service_id:int}/package",
    authz=requires("service:{service_id}", "read", account_param="account_id"),
)
async def api_options(account_id: FromPath[int], service_id: FromPath[int]) -> OptionsOut:
    """The packages the service can change to now, with prices and prorated amounts."""
    offer = await packages.options_for(account_id, service_id)
    return OptionsOut(
        str(offer.service["currency"]),
        [OptionOut(o.product_id, o.name, o.price, o.amount, o.tax, o.total) for o in offer.options],
        offer.why_not,
    )


@post(
    "/accounts/{account_id:int}/services/{service_id:int}/package",
    authz=requires("service:{service_id}", "update", account_param="account_id"),
    status_code=201,
)
async def api_change(
    request: Request[Any, Any, Any],
    account_id: FromPath[int],
    service_id: FromPath[int],
    data: JSONBody[PackageIn],
) -> ChangeOut:
    """Change the service's package; 422 with the reason (not on offer, not active, a change under way)."""
    check(request, "subscription", "update", f"acct:{account_id}", PLAN_MANAGED)
    change = await packages.request_change(
        account_id, service_id, data.product_id, by=audit_context(request), user_id=request.state.user_id
    )
    await packages.queue_apply(request.app.state.settings, change)
    return _out(change)


def api_router() -> Router:
    """The package-change API under /api/v1."""
    return Router(path="/api/v1", route_handlers=[api_options, api_change], tags=["services"])
