"""The staff API for promo codes and tax rules: /api/v1/admin/promos and /api/v1/admin/taxes.

Same services, rules and authorization objects as the admin pages. A fixed promo's
`value` is in the currency's minor unit (cents); a percentage promo's `value` and a
tax rule's `rate_bp` are basis points (1000 = 10 %). Fields left out (or null) keep
their value on PATCH; a store, once set, is cleared with `store_id: 0`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from litestar import Request, Router, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires
from panel.core.orders import promos, taxes
from panel.core.orders.promos import PromoView
from panel.core.orders.tables import PromoKind
from panel.core.orders.taxes import TaxRuleView
from panel.errors import ValidationFailed
from panel.money import CURRENCIES, format_percent, format_plain


def _guard(obj: str, action: str) -> Any:
    return requires(obj, action, scope="platform")


def _percent(bp: int) -> str:
    return format_percent(bp).removesuffix(" %")


def _store_text(store_id: int | None) -> str:
    return str(store_id) if store_id else ""


# -- promo codes ------------------------------------------------------------------------------


@dataclass
class PromoBody:
    """A promo code: `kind` "percent" (value in basis points) or "fixed" (value in minor units of `currency`)."""

    code: str | None = None
    kind: str | None = None
    value: int | None = None
    currency: str | None = None
    store_id: int | None = None
    products: list[int] | None = None
    recurring: bool | None = None
    max_uses: int | None = None
    expires_on: str | None = None
    is_active: bool | None = None


@dataclass
class PromoListOut:
    """A page of promo codes, newest first."""

    limit: int
    offset: int
    items: list[PromoView]


def _promo_raw(current: dict[str, Any], body: PromoBody) -> dict[str, Any]:
    """The fields the service reads, as a form would send them."""
    given = {k: v for k, v in asdict(body).items() if v is not None}
    merged = {**current, **given}
    kind, currency, value = str(merged.get("kind") or ""), str(merged.get("currency") or "").upper(), merged["value"]
    if value is None:
        text = ""
    elif kind == PromoKind.PERCENT:
        text = _percent(value)
    else:
        text = format_plain(value, currency) if currency in CURRENCIES else str(value)
    return {
        **merged,
        "value": text,
        "store_id": _store_text(merged.get("store_id")),
        "max_uses": str(merged.get("max_uses") or 0),
    }


def _promo_current(promo: PromoView) -> dict[str, Any]:
    return {
        "code": promo.code,
        "kind": promo.kind,
        "value": promo.value,
        "currency": promo.currency,
        "store_id": promo.store_id,
        "products": promo.products,
        "recurring": promo.recurring,
        "max_uses": promo.max_uses,
        "expires_on": promo.expires_on,
        "is_active": promo.is_active,
    }


NEW_PROMO: dict[str, Any] = {"kind": PromoKind.PERCENT, "value": None, "is_active": True, "max_uses": 0}


@get("/admin/promos", authz=_guard("admin:promos", "list"))
async def api_promos(limit: FromQuery[int] = 200, offset: FromQuery[int] = 0) -> PromoListOut:
    """Promo codes, newest first, with their use counts."""
    limit, offset = max(1, min(limit, 500)), max(offset, 0)
    return PromoListOut(limit, offset, await promos.list_promos(limit, offset))


@post("/admin/promos", authz=_guard("admin:promos", "create"), status_code=201)
async def api_add_promo(request: Request[Any, Any, Any], data: JSONBody[PromoBody]) -> PromoView:
    """Add a promo code; 422 with `errors` beside each field and nothing saved."""
    promo_id = await promos.create_promo(_promo_raw(NEW_PROMO, data), by=audit_context(request))
    return await promos.get_promo(promo_id)


@patch("/admin/promos/{promo_id:int}", authz=_guard("admin:promos", "update"))
async def api_change_promo(
    request: Request[Any, Any, Any], promo_id: FromPath[int], data: JSONBody[PromoBody]
) -> PromoView:
    """Change the fields given (the use count stays)."""
    current = _promo_current(await promos.get_promo(promo_id))
    await promos.update_promo(promo_id, _promo_raw(current, data), by=audit_context(request))
    return await promos.get_promo(promo_id)


@delete("/admin/promos/{promo_id:int}", authz=_guard("admin:promos", "delete"))
async def api_delete_promo(request: Request[Any, Any, Any], promo_id: FromPath[int]) -> None:
    """Remove a promo code (orders that used it keep their discount)."""
    await promos.delete_promo(promo_id, by=audit_context(request))


# -- tax rules --------------------------------------------------------------------------------


@dataclass
class TaxBody:
    """A tax rule: country (ISO code), optional region, `rate_bp` in basis points, reverse charge."""

    country: str | None = None
    region: str | None = None
    name: str | None = None
    rate_bp: int | None = None
    reverse_charge: bool | None = None
    home_country: str | None = None
    store_id: int | None = None


def _tax_raw(current: dict[str, Any], body: TaxBody) -> dict[str, Any]:
    merged = {**current, **{k: v for k, v in asdict(body).items() if v is not None}}
    bp = merged.pop("rate_bp", None)
    return {
        **merged,
        "rate": "" if bp is None else _percent(bp),
        "reverse_charge": "on" if merged.get("reverse_charge") else "",
        "store_id": _store_text(merged.get("store_id")),
    }


async def _saving_tax(rule_id: int | None, raw: dict[str, Any], request: Request[Any, Any, Any]) -> int:
    """Create or change a rule; the service's `rate` error is reported on `rate_bp`, the API's field."""
    try:
        if rule_id is None:
            return await taxes.create_rule(raw, by=audit_context(request))
        await taxes.update_rule(rule_id, raw, by=audit_context(request))
    except ValidationFailed as exc:
        raise ValidationFailed({("rate_bp" if k == "rate" else k): v for k, v in exc.errors.items()}) from None
    return rule_id


def _tax_current(rule: TaxRuleView) -> dict[str, Any]:
    return {
        "country": rule.country,
        "region": rule.region,
        "name": rule.name,
        "rate_bp": rule.rate_bp,
        "reverse_charge": rule.reverse_charge,
        "home_country": rule.home_country,
        "store_id": rule.store_id,
    }


@get("/admin/taxes", authz=_guard("admin:taxes", "list"))
async def api_taxes() -> list[TaxRuleView]:
    """Every tax rule by country, region and store."""
    return await taxes.list_rules()


@post("/admin/taxes", authz=_guard("admin:taxes", "create"), status_code=201)
async def api_add_tax(request: Request[Any, Any, Any], data: JSONBody[TaxBody]) -> TaxRuleView:
    """Add a tax rule; 422 with `errors` beside each field and nothing saved."""
    rule_id = await _saving_tax(None, _tax_raw({}, data), request)
    return await taxes.get_rule(rule_id)


@patch("/admin/taxes/{rule_id:int}", authz=_guard("admin:taxes", "update"))
async def api_change_tax(
    request: Request[Any, Any, Any], rule_id: FromPath[int], data: JSONBody[TaxBody]
) -> TaxRuleView:
    """Change the fields given; the rest stay."""
    current = _tax_current(await taxes.get_rule(rule_id))
    await _saving_tax(rule_id, _tax_raw(current, data), request)
    return await taxes.get_rule(rule_id)


@delete("/admin/taxes/{rule_id:int}", authz=_guard("admin:taxes", "delete"))
async def api_delete_tax(request: Request[Any, Any, Any], rule_id: FromPath[int]) -> None:
    """Remove a tax rule (orders already placed keep their taxes)."""
    await taxes.delete_rule(rule_id, by=audit_context(request))


def api_router() -> Router:
    """The staff promo and tax API under /api/v1."""
    return Router(
        path="/api/v1",
        route_handlers=[
            api_promos,
            api_add_promo,
            api_change_promo,
            api_delete_promo,
            api_taxes,
            api_add_tax,
            api_change_tax,
            api_delete_tax,
        ],
        tags=["promos and taxes"],
    )
