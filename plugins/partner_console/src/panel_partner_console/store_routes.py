"""The partner store's pages: change a customer's plan and pay for it, change the card, the payments report.

They work from the partner's own account (the console), for a customer whose
partnership is active; another customer answers 404. Each action is decided by the
rules engine as the partner acting in the customer's account (`subscription`
`update`, `payment_method:*` `create`), and audited there with the partner's name.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from panel.core.audit.context import audit_context
from panel.core.authz.guard import check, requires
from panel.core.web.pages import page, redirect
from panel.errors import ValidationFailed
from panel.gateways import GatewayError

from panel_partner_console import services, store
from panel_partner_console.forms import text

CONSOLE = requires("partner:console", "read")
CHANGE = requires("partner:children", "update")
NOTICES = {
    "applied": "The change needs no payment; it is being applied.",
    "paid": "The difference was paid and the new package is being applied. The payment is on the customer's invoice.",
    "saved": "This customer's invoices are now paid with the card marked below.",
}


async def _as_partner_in(request: Request[Any, Any, Any], child_id: int, obj: str, action: str) -> int:
    """The partner's id once the rules let this user, acting for it, do `action` on `obj` in the customer's account."""
    partner_id = int(request.state.account_id)
    await services.manageable_child(partner_id, child_id)  # 404 for anyone else's customer
    request.scope["state"]["partner_org"] = f"acct:{partner_id}"  # acting for the partner from here on (audit too)
    check(request, obj, action, f"acct:{child_id}", "You may not do that for this customer.")
    return partner_id


async def _plan_page(
    request: Request[Any, Any, Any], child_id: int, notice: str = "", errors: dict[str, str] | None = None
) -> Template:
    partner_id = int(request.state.account_id)
    child = await services.manageable_child(partner_id, child_id)
    return await page(
        request,
        "partner_console/plan.html",
        status_code=422 if errors else 200,
        child=child,
        offers=await store.plan_offers(child_id),
        cards=await store.card_choices(partner_id, child_id),
        chosen=await store.chosen_card(partner_id, child_id),
        notice=notice,
        errors=errors or {},
    )


@get("/partner/children/{child_id:int}/plan", authz=CONSOLE)
async def plan_form(request: Request[Any, Any, Any], child_id: FromPath[int], notice: FromQuery[str] = "") -> Template:
    """The customer's services, the packages each can move to with the prorated price, and the cards to pay with."""
    return await _plan_page(request, child_id, NOTICES.get(notice, ""))


@post("/partner/children/{child_id:int}/plan", authz=CHANGE)
async def plan_apply(request: Request[Any, Any, Any], child_id: FromPath[int]) -> Response[Any] | Template:
    """Apply the chosen package now and pay the prorated difference with the chosen card."""
    partner_id = await _as_partner_in(request, child_id, "subscription", "update")
    form = await request.form()
    service, product, method = (text(form, k) for k in ("service_id", "product_id", "method_id"))
    try:
        result = await store.apply_plan(
            request.app.state,
            request.app.state.settings,
            partner_id,
            child_id,
            int(service) if service.isdigit() else 0,
            int(product) if product.isdigit() else 0,
            int(method) if method.isdigit() else None,
            user_id=request.state.user_id,
            by=audit_context(request),
        )
    except ValidationFailed as exc:
        return await _plan_page(request, child_id, errors=exc.errors)
    except GatewayError as exc:
        return await _plan_page(request, child_id, errors={"method_id": exc.message})
    code = "applied" if result.invoice_id is None else "paid"
    return redirect(request, f"/partner/children/{child_id}/plan?notice={code}")


async def _card_page(
    request: Request[Any, Any, Any], child_id: int, errors: dict[str, str] | None = None, notice: str = ""
) -> Template:
    partner_id = int(request.state.account_id)
    child = await services.manageable_child(partner_id, child_id)
    return await page(
        request,
        "partner_console/card.html",
        status_code=422 if errors else 200,
        child=child,
        cards=await store.card_choices(partner_id, child_id),
        chosen=await store.chosen_card(partner_id, child_id),
        gateways=[g for g in request.app.state.payment_gateways.values() if g.supports_tokens],
        errors=errors or {},
        notice=notice,
    )


@get("/partner/children/{child_id:int}/card", authz=CONSOLE)
async def card_form(request: Request[Any, Any, Any], child_id: FromPath[int], notice: FromQuery[str] = "") -> Template:
    """Change card: which card pays this customer's invoices, asking whether it is the customer's card."""
    return await _card_page(request, child_id, notice=NOTICES.get(notice, ""))


@post("/partner/children/{child_id:int}/card", authz=CHANGE)
async def card_save(request: Request[Any, Any, Any], child_id: FromPath[int]) -> Response[Any] | Template:
    """Store the card (on the customer's account or as the partner's reseller card) and use it for this customer."""
    partner_id = await _as_partner_in(request, child_id, "payment_method:*", "create")
    form = dict(await request.form())
    try:
        await store.change_card(
            request.app.state.payment_gateways, partner_id, child_id, form, by=audit_context(request)
        )
    except ValidationFailed as exc:
        return await _card_page(request, child_id, errors=exc.errors)
    return redirect(request, f"/partner/children/{child_id}/card?notice=saved")


@get("/partner/payments", authz=CONSOLE)
async def payments(request: Request[Any, Any, Any]) -> Template:
    """Payments for the partner's customers, each tagged Reseller Card or Customer Card."""
    partner_id = int(request.state.account_id)
    await services.require_partner(partner_id)
    return await page(request, "partner_console/payments.html", lines=await store.payments_report(partner_id))


def page_router() -> Router:
    """The partner store's pages."""
    handlers = [plan_form, plan_apply, card_form, card_save, payments]
    return Router(path="/", route_handlers=handlers, include_in_schema=False)
