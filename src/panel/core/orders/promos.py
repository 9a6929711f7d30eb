"""Promo codes: staff manage them; buyers apply one to a cart; checkout counts its use.

A code is checked when it is applied and again at checkout (it may have expired or
been used up meanwhile). Its use is counted at checkout by one conditional UPDATE
(`uses < max_uses`) inside the checkout's transaction, so two buyers checking out at
the same moment can never take the last use twice.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from panel.core import db
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.catalog.tables import Product
from panel.core.orders.tables import PromoCode, PromoKind
from panel.core.orders.totals import Promotion, Unit, applicable
from panel.core.stores.tables import Store
from panel.errors import NotFound, ValidationFailed
from panel.money import CURRENCIES, format_money, format_percent, parse_amount, parse_percent

FIELD = "promo_code"
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,39}$")


@dataclass(frozen=True)
class PromoView:
    """A promo code as the admin pages and the API show it."""

    id: int
    code: str
    kind: str
    value: int
    currency: str
    store_id: int | None
    store_name: str
    products: list[int]
    recurring: bool
    max_uses: int
    uses: int
    expires_at: dt.datetime | None
    is_active: bool

    @property
    def value_text(self) -> str:
        """The discount for people: "10 %" or "$5.00"."""
        if self.kind == PromoKind.PERCENT:
            return format_percent(self.value)
        return format_money(self.value, self.currency)

    @property
    def expires_on(self) -> str:
        """The last day it can be used, YYYY-MM-DD ('' if never)."""
        return (self.expires_at - dt.timedelta(seconds=1)).date().isoformat() if self.expires_at else ""

    @property
    def value_plain(self) -> str:
        """The value as a form shows it: "10" (per cent) or "5.00"."""
        if self.kind == PromoKind.PERCENT:
            return format_percent(self.value).removesuffix(" %")
        from panel.money import format_plain

        return format_plain(self.value, self.currency)


_COLUMNS = (
    PromoCode.id,
    PromoCode.code,
    PromoCode.kind,
    PromoCode.value,
    PromoCode.currency,
    PromoCode.store,
    PromoCode.store.name,
    PromoCode.products,
    PromoCode.recurring,
    PromoCode.max_uses,
    PromoCode.uses,
    PromoCode.expires_at,
    PromoCode.is_active,
)


def _view(row: Mapping[str, Any]) -> PromoView:
    return PromoView(
        id=row["id"],
        code=row["code"],
        kind=row["kind"],
        value=int(row["value"]),
        currency=row["currency"],
        store_id=row["store"],
        store_name=row["store.name"] or "",
        products=[int(p) for p in row["products"] or []],
        recurring=row["recurring"],
        max_uses=row["max_uses"],
        uses=row["uses"],
        expires_at=row["expires_at"],
        is_active=row["is_active"],
    )


def normalise_code(code: str) -> str:
    """Codes compare without case and surrounding space."""
    return code.strip().upper()


async def list_promos(limit: int = 200, offset: int = 0) -> list[PromoView]:
    """Promo codes, newest first (one query)."""
    rows = (
        await PromoCode.select(*_COLUMNS)
        .order_by(PromoCode.id, ascending=False)
        .limit(limit)
        .offset(offset)
        .output(load_json=True)
    )
    return [_view(r) for r in rows]


async def get_promo(promo_id: int) -> PromoView:
    """One promo code, or `NotFound`."""
    row = await PromoCode.select(*_COLUMNS).where(PromoCode.id == promo_id).output(load_json=True).first()
    if row is None:
        raise NotFound("No such promo code.")
    return _view(row)


async def find_code(code: str) -> PromoView | None:
    """The promo code with this text, whatever its state."""
    row = await PromoCode.select(*_COLUMNS).where(PromoCode.code == normalise_code(code)).output(load_json=True).first()
    return _view(row) if row else None


def _flag(raw: Mapping[str, Any], name: str) -> bool:
    value = raw.get(name)
    if isinstance(value, bool):
        return value
    return str(value or "").lower() in {"1", "on", "true", "yes"}


def _product_ids(raw: Any) -> list[int]:
    values = raw if isinstance(raw, (list, tuple)) else ([raw] if raw not in (None, "") else [])
    out: list[int] = []
    for v in values:
        text = str(v).strip()
        if not text.isdigit():
            raise ValidationFailed({"products": "Choose products from the list."})
        out.append(int(text))
    return sorted(set(out))


def _expiry(text: str) -> dt.datetime | None:
    """The end of the given day (UTC), so a code "until 2027-01-31" works all that day."""
    text = text.strip()
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ValidationFailed({"expires_on": "Enter a date like 2027-01-31, or leave it empty."}) from None
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


async def _clean(raw: Mapping[str, Any], promo_id: int | None) -> dict[Any, Any]:
    """Check a promo code's fields; every problem at once, beside its field."""
    errors: dict[str, str] = {}
    code = normalise_code(str(raw.get("code") or ""))
    kind = str(raw.get("kind") or PromoKind.PERCENT)
    currency = str(raw.get("currency") or "").strip().upper()
    if not _CODE.fullmatch(code):
        errors["code"] = "Use 3 to 40 letters, digits, - and _, starting with a letter or digit."
    elif await PromoCode.exists().where((PromoCode.code == code) & (PromoCode.id != (promo_id or 0))):
        errors["code"] = "Another promo code already uses this text."
    value = 0
    if kind not in (PromoKind.PERCENT, PromoKind.FIXED):
        errors["kind"] = "Choose a percentage or a fixed amount."
    elif kind == PromoKind.PERCENT:
        currency = ""
        try:
            value = parse_percent(str(raw.get("value") or ""), field="value")
        except ValidationFailed as exc:
            errors.update(exc.errors)
    elif currency not in CURRENCIES:
        errors["currency"] = "Choose the currency of the amount."
    else:
        try:
            value = parse_amount(str(raw.get("value") or ""), currency, field="value")
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if "value" not in errors and kind in (PromoKind.PERCENT, PromoKind.FIXED) and value <= 0:
        errors["value"] = "The discount must be more than zero."
    try:
        products = _product_ids(raw.get("products"))
        if products and await Product.count().where(Product.id.is_in(products)) != len(products):
            errors["products"] = "Choose products from the list."
    except ValidationFailed as exc:
        errors.update(exc.errors)
        products = []
    max_text = str(raw.get("max_uses") or "0").strip()
    max_uses = int(max_text) if max_text.isdigit() else -1
    if not 0 <= max_uses <= 10_000_000:
        errors["max_uses"] = "Enter how many times it may be used (0 for no limit)."
    expires: dt.datetime | None = None
    try:
        expires = _expiry(str(raw.get("expires_on") or ""))
    except ValidationFailed as exc:
        errors.update(exc.errors)
    store_text = str(raw.get("store_id") or "").strip()
    store_id: int | None = None
    if store_text:
        if not store_text.isdigit() or not await Store.exists().where(Store.id == int(store_text)):
            errors["store_id"] = "Choose one of the stores, or all stores."
        else:
            store_id = int(store_text)
    if errors:
        raise ValidationFailed(errors)
    return {
        PromoCode.code: code,
        PromoCode.kind: kind,
        PromoCode.value: value,
        PromoCode.currency: currency,
        PromoCode.store: store_id,
        PromoCode.products: products,
        PromoCode.recurring: _flag(raw, "recurring"),
        PromoCode.max_uses: max_uses,
        PromoCode.expires_at: expires,
        PromoCode.is_active: _flag(raw, "is_active"),
    }


def _details(values: Mapping[Any, Any]) -> dict[str, Any]:
    return {k._meta.name: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in values.items()}


async def create_promo(raw: Mapping[str, Any], *, by: AuditContext = SYSTEM) -> int:
    """Add a promo code from form or API fields; returns its id."""
    async with db.write_transaction():
        values = await _clean(raw, None)
        row = await PromoCode.insert(PromoCode(_data=values)).returning(PromoCode.id)
        promo_id = int(row[0]["id"])
        await record(
            "promo.create",
            account_id=None,
            target=f"promo:{promo_id}",
            summary=f"Added the promo code {values[PromoCode.code]}.",
            details=_details(values),
            **by,
        )
    return promo_id


async def update_promo(promo_id: int, raw: Mapping[str, Any], *, by: AuditContext = SYSTEM) -> None:
    """Change a promo code (its use count stays); bad input changes nothing."""
    async with db.write_transaction():
        await get_promo(promo_id)
        values = await _clean(raw, promo_id)
        await PromoCode.update(values).where(PromoCode.id == promo_id)
        await record(
            "promo.update",
            account_id=None,
            target=f"promo:{promo_id}",
            summary=f"Changed the promo code {values[PromoCode.code]}.",
            details=_details(values),
            **by,
        )


async def delete_promo(promo_id: int, *, by: AuditContext = SYSTEM) -> None:
    """Remove a promo code (orders that used it keep their discount and its text)."""
    async with db.write_transaction():
        promo = await get_promo(promo_id)
        await PromoCode.delete().where(PromoCode.id == promo_id)
        await record(
            "promo.delete", account_id=None, target=f"promo:{promo_id}", summary=f"Removed {promo.code}.", **by
        )


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed({FIELD: message})


async def check(code: str, store_id: int, currency: str, units: Sequence[Unit]) -> tuple[int, Promotion]:
    """The promotion of `code` for these units in this store, or `ValidationFailed` beside the promo field.

    Refused: unknown or switched-off codes, expired, used up, for another store, a
    fixed amount in another currency, and codes that apply to nothing in the cart.
    Returns the code's id (for `take_use`) and the promotion.
    """
    text = normalise_code(code)
    if not text:
        raise _refuse("Enter a promo code.")
    promo = await find_code(text)
    if promo is None or not promo.is_active:
        raise _refuse(f"There is no promo code {text}.")
    if promo.expires_at is not None and promo.expires_at <= dt.datetime.now(dt.UTC):
        raise _refuse(f"The promo code {text} expired on {promo.expires_on}.")
    if promo.max_uses and promo.uses >= promo.max_uses:
        raise _refuse(f"The promo code {text} has been used up.")
    if promo.store_id is not None and promo.store_id != store_id:
        raise _refuse(f"The promo code {text} is not valid in this store.")
    if promo.kind == PromoKind.FIXED and promo.currency != currency:
        raise _refuse(f"The promo code {text} is for orders in {promo.currency}.")
    promotion = Promotion(
        code=promo.code,
        kind=promo.kind,
        value=promo.value,
        products=frozenset(promo.products),
        recurring=promo.recurring,
    )
    if not applicable(units, promotion):
        raise _refuse(f"The promo code {text} does not apply to anything in your cart.")
    return promo.id, promotion


async def take_use(promo_id: int) -> None:
    """Count one use, in the caller's (checkout) transaction; refused when none is left.

    One conditional UPDATE: under concurrent checkouts the database lets only as many
    through as uses are left (the row is locked until each transaction ends).
    """
    rows = (
        await PromoCode.update({PromoCode.uses: PromoCode.uses + 1})
        .where(
            (PromoCode.id == promo_id)
            & (PromoCode.is_active == True)  # noqa: E712
            & ((PromoCode.max_uses == 0) | (PromoCode.uses < PromoCode.max_uses))
        )
        .returning(PromoCode.id)
    )
    if not rows:
        raise _refuse("This promo code has just been used up: remove it to order without it.")
