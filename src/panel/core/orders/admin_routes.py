"""Staff pages for promo codes (`/admin/promos`) and tax rules (`/admin/taxes`).

Objects `admin:promos` and `admin:taxes` (platform scope): staff admins hold every
action through `staff:admin`; no other role is given them.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires
from panel.core.catalog.tables import Product
from panel.core.clients.services import stores as all_stores
from panel.core.contacts.countries import sorted_by_name
from panel.core.orders import promos, taxes
from panel.core.orders.tables import PromoKind
from panel.core.web.pages import page, redirect
from panel.errors import ValidationFailed
from panel.money import CURRENCIES

NOTICES = {
    "created": "Saved.",
    "saved": "Saved.",
    "deleted": "Deleted.",
}


def _guard(obj: str, action: str) -> Any:
    return requires(obj, action, scope="platform")


def _raw(form: Any) -> dict[str, Any]:
    """A form as a dict; `products` (a multiple choice) as a list."""
    raw: dict[str, Any] = {k: form.get(k) for k in form}
    raw["products"] = list(form.getall("products", []))
    return raw


async def _products() -> list[dict[str, Any]]:
    return list(await Product.select(Product.id, Product.name, Product.kind).order_by(Product.name, Product.id))


# -- promo codes ---------------------------------------------------------------------------


async def _promo_form(
    request: Request[Any, Any, Any],
    action: str,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    promo: promos.PromoView | None = None,
) -> Template:
    return await page(
        request,
        "orders/promo_form.html",
        area="admin",
        status_code=status_code,
        action=action,
        values=values,
        errors=errors or {},
        promo=promo,
        products=await _products(),
        stores=await all_stores(),
        currencies=sorted(CURRENCIES),
    )


@get("/admin/promos", authz=_guard("admin:promos", "list"))
async def promo_list(request: Request[Any, Any, Any], done: FromQuery[str] = "") -> Template:
    """Promo codes, newest first, with their use counts."""
    return await page(
        request, "orders/promos.html", area="admin", promos=await promos.list_promos(), notice=NOTICES.get(done, "")
    )


@get("/admin/promos/new", authz=_guard("admin:promos", "create"))
async def new_promo(request: Request[Any, Any, Any]) -> Template:
    """The form for a new promo code."""
    return await _promo_form(request, "/admin/promos/new", {"kind": PromoKind.PERCENT, "is_active": "on"})


@post("/admin/promos/new", authz=_guard("admin:promos", "create"))
async def create_promo(request: Request[Any, Any, Any]) -> Response[Any]:
    """Add a promo code; every problem is shown beside its field and nothing is saved."""
    raw = _raw(await request.form())
    try:
        await promos.create_promo(raw, by=audit_context(request))
    except ValidationFailed as exc:
        return await _promo_form(request, "/admin/promos/new", raw, exc.errors, 422)
    return redirect(request, "/admin/promos?done=created")


def _promo_values(promo: promos.PromoView) -> dict[str, Any]:
    return {
        "code": promo.code,
        "kind": promo.kind,
        "value": promo.value_plain,
        "currency": promo.currency,
        "products": [str(p) for p in promo.products],
        "recurring": "on" if promo.recurring else "",
        "max_uses": str(promo.max_uses),
        "expires_on": promo.expires_on,
        "store_id": str(promo.store_id or ""),
        "is_active": "on" if promo.is_active else "",
    }


@get("/admin/promos/{promo_id:int}", authz=_guard("admin:promos", "read"))
async def edit_promo(request: Request[Any, Any, Any], promo_id: FromPath[int]) -> Template:
    """One promo code's form, with its use count."""
    promo = await promos.get_promo(promo_id)
    return await _promo_form(request, f"/admin/promos/{promo_id}", _promo_values(promo), promo=promo)


@post("/admin/promos/{promo_id:int}", authz=_guard("admin:promos", "update"))
async def update_promo(request: Request[Any, Any, Any], promo_id: FromPath[int]) -> Response[Any]:
    """Save a promo code."""
    raw = _raw(await request.form())
    try:
        await promos.update_promo(promo_id, raw, by=audit_context(request))
    except ValidationFailed as exc:
        promo = await promos.get_promo(promo_id)
        return await _promo_form(request, f"/admin/promos/{promo_id}", raw, exc.errors, 422, promo)
    return redirect(request, "/admin/promos?done=saved")


@post("/admin/promos/{promo_id:int}/delete", authz=_guard("admin:promos", "delete"))
async def delete_promo(request: Request[Any, Any, Any], promo_id: FromPath[int]) -> Response[Any]:
    """Remove a promo code."""
    await promos.delete_promo(promo_id, by=audit_context(request))
    return redirect(request, "/admin/promos?done=deleted")


# -- tax rules -----------------------------------------------------------------------------


async def _tax_form(
    request: Request[Any, Any, Any],
    action: str,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    rule_id: int | None = None,
) -> Template:
    return await page(
        request,
        "orders/tax_form.html",
        area="admin",
        status_code=status_code,
        action=action,
        values=values,
        errors=errors or {},
        rule_id=rule_id,
        stores=await all_stores(),
        countries=sorted_by_name(),
    )


@get("/admin/taxes", authz=_guard("admin:taxes", "list"))
async def tax_list(request: Request[Any, Any, Any], done: FromQuery[str] = "") -> Template:
    """Tax rules by country and region."""
    return await page(
        request, "orders/taxes.html", area="admin", rules=await taxes.list_rules(), notice=NOTICES.get(done, "")
    )


@get("/admin/taxes/new", authz=_guard("admin:taxes", "create"))
async def new_tax(request: Request[Any, Any, Any]) -> Template:
    """The form for a new tax rule."""
    return await _tax_form(request, "/admin/taxes/new", {"name": "VAT"})


@post("/admin/taxes/new", authz=_guard("admin:taxes", "create"))
async def create_tax(request: Request[Any, Any, Any]) -> Response[Any]:
    """Add a tax rule; every problem is shown beside its field and nothing is saved."""
    raw = _raw(await request.form())
    try:
        await taxes.create_rule(raw, by=audit_context(request))
    except ValidationFailed as exc:
        return await _tax_form(request, "/admin/taxes/new", raw, exc.errors, 422)
    return redirect(request, "/admin/taxes?done=created")


@get("/admin/taxes/{rule_id:int}", authz=_guard("admin:taxes", "read"))
async def edit_tax(request: Request[Any, Any, Any], rule_id: FromPath[int]) -> Template:
    """One tax rule's form."""
    rule = await taxes.get_rule(rule_id)
    values = {
        "country": rule.country,
        "region": rule.region,
        "name": rule.name,
        "rate": rule.rate.removesuffix(" %"),
        "reverse_charge": "on" if rule.reverse_charge else "",
        "home_country": rule.home_country,
        "store_id": str(rule.store_id or ""),
    }
    return await _tax_form(request, f"/admin/taxes/{rule_id}", values, rule_id=rule_id)


@post("/admin/taxes/{rule_id:int}", authz=_guard("admin:taxes", "update"))
async def update_tax(request: Request[Any, Any, Any], rule_id: FromPath[int]) -> Response[Any]:
    """Save a tax rule."""
    raw = _raw(await request.form())
    try:
        await taxes.update_rule(rule_id, raw, by=audit_context(request))
    except ValidationFailed as exc:
        return await _tax_form(request, f"/admin/taxes/{rule_id}", raw, exc.errors, 422, rule_id)
    return redirect(request, "/admin/taxes?done=saved")


@post("/admin/taxes/{rule_id:int}/delete", authz=_guard("admin:taxes", "delete"))
async def delete_tax(request: Request[Any, Any, Any], rule_id: FromPath[int]) -> Response[Any]:
    """Remove a tax rule."""
    await taxes.delete_rule(rule_id, by=audit_context(request))
    return redirect(request, "/admin/taxes?done=deleted")


ROUTES = [
    promo_list,
    new_promo,
    create_promo,
    edit_promo,
    update_promo,
    delete_promo,
    tax_list,
    new_tax,
    create_tax,
    edit_tax,
    update_tax,
    delete_tax,
]
