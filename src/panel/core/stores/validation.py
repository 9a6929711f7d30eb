"""Checking a store's settings: every problem reported at once, beside its field.

Values arrive as a form sends them (strings, "on" for a ticked box) or as the API
sends them (typed); `clean_store` accepts both and returns the columns to write.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from panel.core.stores.tables import StoreKind
from panel.money import CURRENCIES

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
PREFIX_RE = re.compile(r"^[A-Za-z0-9-]*$")
MAX_MONEY_BACK_DAYS = 3650
MAX_CONTRACT_MONTHS = 120
MAX_INSTRUCTIONS = 5000

TEXT_FIELDS = ("name", "slug", "currency", "kind", "brand_name", "accent_color", "logo_url", "invoice_prefix")
BOOL_FIELDS = (
    "is_default",
    "is_active",
    "setup_fees_allowed",
    "full_prepayment",
    "auto_renew",
    "show_client_area_link",
    "clients_can_change_username",
)
ALL_FIELDS = (
    *TEXT_FIELDS,
    "reseller_id",
    "contact_instructions",
    "money_back_days",
    "min_contract_months",
    "non_refundable_types",
    *BOOL_FIELDS,
)
RESELLER_FIELDS = frozenset(
    {
        "brand_name",
        "accent_color",
        "logo_url",
        "contact_instructions",
        "setup_fees_allowed",
        "full_prepayment",
        "money_back_days",
        "auto_renew",
        "min_contract_months",
        "non_refundable_types",
        "show_client_area_link",
        "clients_can_change_username",
    }
)
"""What a reseller may change in its own store: branding, contact instructions and policies."""


@dataclass(frozen=True)
class CleanStore:
    """A store's settings after checking, ready to write."""

    name: str
    slug: str
    currency: str
    kind: str
    reseller_id: int | None
    is_default: bool
    is_active: bool
    brand_name: str
    accent_color: str
    logo_url: str
    contact_instructions: str
    invoice_prefix: str
    setup_fees_allowed: bool
    full_prepayment: bool
    money_back_days: int
    auto_renew: bool
    min_contract_months: dict[str, int]
    non_refundable_types: list[str]
    show_client_area_link: bool
    clients_can_change_username: bool


def as_bool(value: Any) -> bool:
    """A ticked box ("on", "true", "1") or a JSON boolean."""
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in {"on", "true", "1", "yes"}


def _int(value: Any, field: str, low: int, high: int, errors: dict[str, str], what: str) -> int:
    if isinstance(value, bool):
        errors[field] = f"Enter {what} from {low} to {high}."
        return 0
    if isinstance(value, int):
        number = value
    else:
        text = str(value if value is not None else "").strip()
        if not text:
            return 0
        if not re.fullmatch(r"-?\d{1,6}", text):
            errors[field] = f"Enter {what} from {low} to {high}."
            return 0
        number = int(text)
    if not low <= number <= high:
        errors[field] = f"Enter {what} from {low} to {high}."
    return number


def _text(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name)
    return "" if value is None else str(value).strip()


def clean_store(values: Mapping[str, Any], type_names: Collection[str]) -> tuple[CleanStore | None, dict[str, str]]:
    """Check every field of a store; returns the clean settings, or None and the problems.

    `type_names` are the product types a policy may name (the registered ones, plus
    any the store already names, so a disabled plugin does not block saving).

    Uniqueness of the slug and the account behind `reseller_id` need the database:
    the services check those.
    """
    errors: dict[str, str] = {}
    name = _text(values, "name")
    if not name:
        errors["name"] = "Give the store a name."
    elif len(name) > 200:
        errors["name"] = "Use at most 200 characters."
    slug = _text(values, "slug").lower()
    if not SLUG_RE.match(slug):
        errors["slug"] = "Use 1 to 60 lower-case letters, digits and dashes (not at either end), like main-store."
    currency = _text(values, "currency").upper() or "USD"
    if currency not in CURRENCIES:
        errors["currency"] = "Choose one of the currencies offered."
    kind = _text(values, "kind") or StoreKind.PROVIDER
    if kind not in StoreKind.ALL:
        errors["kind"] = "Choose the provider's store, a reseller store, or the provider's catalogue for a reseller."
    reseller_id: int | None = None
    raw_reseller = values.get("reseller_id")
    if raw_reseller not in (None, ""):
        if isinstance(raw_reseller, int) and not isinstance(raw_reseller, bool):
            reseller_id = raw_reseller
        elif str(raw_reseller).strip().isdigit():
            reseller_id = int(str(raw_reseller).strip())
        else:
            errors["reseller_id"] = "Enter the number of the reseller's account."
    if kind == StoreKind.PROVIDER and reseller_id is not None:
        errors["reseller_id"] = "The provider's own stores have no reseller: leave this empty."
    elif kind != StoreKind.PROVIDER and reseller_id is None and "reseller_id" not in errors:
        errors["reseller_id"] = "Enter the number of the reseller's account."
    is_default = as_bool(values.get("is_default"))
    is_active = as_bool(values.get("is_active"))
    if is_default and kind != StoreKind.PROVIDER:
        errors["is_default"] = "Only one of the provider's own stores can be the default."
    elif is_default and not is_active:
        errors["is_active"] = "The default store must stay open: make another store the default first."
    brand_name = _text(values, "brand_name")
    if len(brand_name) > 200:
        errors["brand_name"] = "Use at most 200 characters."
    accent = _text(values, "accent_color")
    if accent and not COLOUR_RE.match(accent):
        errors["accent_color"] = "Enter a colour like #1a6fb0 (a # and six hex digits)."
    logo_url = _text(values, "logo_url")
    if logo_url and (not re.match(r"^https?://[^\s\"'<>]+$", logo_url) or len(logo_url) > 500):
        errors["logo_url"] = "Enter an address starting with https:// (at most 500 characters)."
    instructions = str(values.get("contact_instructions") or "").strip()
    if len(instructions) > MAX_INSTRUCTIONS:
        errors["contact_instructions"] = f"Use at most {MAX_INSTRUCTIONS} characters."
    prefix = _text(values, "invoice_prefix")
    if len(prefix) > 20 or not PREFIX_RE.match(prefix):
        errors["invoice_prefix"] = "Use at most 20 letters, digits and dashes."
    days = _int(values.get("money_back_days"), "money_back_days", 0, MAX_MONEY_BACK_DAYS, errors, "a number of days")
    months = _clean_months(values.get("min_contract_months"), type_names, errors)
    non_refundable = _clean_types(values.get("non_refundable_types"), type_names, errors)
    if errors:
        return None, errors
    return (
        CleanStore(
            name=name,
            slug=slug,
            currency=currency,
            kind=kind,
            reseller_id=reseller_id,
            is_default=is_default,
            is_active=is_active,
            brand_name=brand_name,
            accent_color=accent.lower(),
            logo_url=logo_url,
            contact_instructions=instructions,
            invoice_prefix=prefix,
            setup_fees_allowed=as_bool(values.get("setup_fees_allowed")),
            full_prepayment=as_bool(values.get("full_prepayment")),
            money_back_days=days,
            auto_renew=as_bool(values.get("auto_renew")),
            min_contract_months=months,
            non_refundable_types=non_refundable,
            show_client_area_link=as_bool(values.get("show_client_area_link")),
            clients_can_change_username=as_bool(values.get("clients_can_change_username")),
        ),
        {},
    )


def _clean_months(raw: Any, type_names: Collection[str], errors: dict[str, str]) -> dict[str, int]:
    """{type: months}; 0 or empty drops the type (no minimum)."""
    if raw in (None, ""):
        return {}
    if not isinstance(raw, Mapping):
        errors["min_contract_months"] = "Give the minimum months per product type."
        return {}
    out: dict[str, int] = {}
    for type_name, value in raw.items():
        field = f"min_contract_months.{type_name}"
        if type_name not in type_names:
            errors[field] = f"{type_name} is not a product type of this panel."
            continue
        months = _int(value, field, 0, MAX_CONTRACT_MONTHS, errors, "a number of months")
        if months and field not in errors:
            out[str(type_name)] = months
    return dict(sorted(out.items()))


def _clean_types(raw: Any, type_names: Collection[str], errors: dict[str, str]) -> list[str]:
    if raw in (None, ""):
        return []
    items: Iterable[Any] = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, Iterable) or isinstance(items, Mapping):
        errors["non_refundable_types"] = "Choose product types from the list."
        return []
    names = sorted({str(i).strip() for i in items if str(i).strip()})
    unknown = [n for n in names if n not in type_names]
    if unknown:
        errors["non_refundable_types"] = f"Not a product type of this panel: {', '.join(unknown)}."
    return names
