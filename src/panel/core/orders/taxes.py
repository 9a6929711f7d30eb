"""Tax rules by country and region, and which one applies to a buyer.

A rule is for one country, optionally one region of it, in one store or in all of
them. The most specific rule wins: a rule for the buyer's region beats one for the
whole country, and among equals a store's own rule beats one for all stores. With
`reverse_charge`, a buyer who gives a VAT id and lives in another country than the
rule's `home_country` pays no tax and the invoice says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from panel.core import db
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.contacts.countries import COUNTRIES, country_name
from panel.core.orders.tables import TaxRule
from panel.core.orders.totals import NO_TAX, TaxChoice
from panel.core.stores.tables import Store
from panel.errors import NotFound, ValidationFailed
from panel.money import format_percent, parse_percent


@dataclass(frozen=True)
class TaxRuleView:
    """A tax rule as the admin pages show it."""

    id: int
    store_id: int | None
    store_name: str
    name: str
    country: str
    country_name: str
    region: str
    rate_bp: int
    reverse_charge: bool
    home_country: str

    @property
    def rate(self) -> str:
        """The rate for people: "20 %"."""
        return format_percent(self.rate_bp)


@dataclass(frozen=True)
class BuyerPlace:
    """Where the buyer is, for tax: country, region and VAT id (any may be empty)."""

    country: str = ""
    region: str = ""
    vat_id: str = ""


_COLUMNS = (
    TaxRule.id,
    TaxRule.store,
    TaxRule.store.name,
    TaxRule.name,
    TaxRule.country,
    TaxRule.region,
    TaxRule.rate_bp,
    TaxRule.reverse_charge,
    TaxRule.home_country,
)


def _view(row: Mapping[str, Any]) -> TaxRuleView:
    return TaxRuleView(
        id=row["id"],
        store_id=row["store"],
        store_name=row["store.name"] or "",
        name=row["name"],
        country=row["country"],
        country_name=country_name(row["country"]),
        region=row["region"],
        rate_bp=row["rate_bp"],
        reverse_charge=row["reverse_charge"],
        home_country=row["home_country"],
    )


async def list_rules() -> list[TaxRuleView]:
    """Every tax rule, by country, region and store (one query)."""
    rows = await TaxRule.select(*_COLUMNS).order_by(TaxRule.country, TaxRule.region, TaxRule.store, TaxRule.id)
    return [_view(r) for r in rows]


async def get_rule(rule_id: int) -> TaxRuleView:
    """One rule, or `NotFound`."""
    row = await TaxRule.select(*_COLUMNS).where(TaxRule.id == rule_id).first()
    if row is None:
        raise NotFound("No such tax rule.")
    return _view(row)


def _region_key(region: str) -> str:
    return " ".join(region.split()).casefold()


async def _clean(raw: Mapping[str, Any], rule_id: int | None) -> dict[Any, Any]:
    """Check a rule's fields; every problem at once, beside its field."""
    errors: dict[str, str] = {}
    country = str(raw.get("country") or "").strip().upper()
    region = " ".join(str(raw.get("region") or "").split())
    name = str(raw.get("name") or "").strip() or "VAT"
    home = str(raw.get("home_country") or "").strip().upper()
    reverse = str(raw.get("reverse_charge") or "").lower() in {"1", "on", "true", "yes"}
    store_text = str(raw.get("store_id") or "").strip()
    if country not in COUNTRIES:
        errors["country"] = "Choose a country."
    if len(region) > 100:
        errors["region"] = "Use at most 100 characters."
    if len(name) > 60:
        errors["name"] = "Use at most 60 characters."
    rate = 0
    try:
        rate = parse_percent(str(raw.get("rate") or ""), field="rate")
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if reverse and home not in COUNTRIES:
        errors["home_country"] = "Choose the country the seller is in: buyers elsewhere with a VAT id pay no tax."
    elif home and home not in COUNTRIES:
        errors["home_country"] = "Choose a country."
    store_id: int | None = None
    if store_text:
        if not store_text.isdigit() or not await Store.exists().where(Store.id == int(store_text)):
            errors["store_id"] = "Choose one of the stores, or all stores."
        else:
            store_id = int(store_text)
    if not errors:
        same = TaxRule.select(TaxRule.id, TaxRule.region).where(
            (TaxRule.country == country) & (TaxRule.store.is_null() if store_id is None else TaxRule.store == store_id)
        )
        for row in await same:
            if row["id"] != rule_id and _region_key(row["region"]) == _region_key(region):
                where = f"{region}, {country}" if region else country_name(country)
                errors["region"] = f"{where} already has a tax rule for this store: change that one."
    if errors:
        raise ValidationFailed(errors)
    return {
        TaxRule.store: store_id,
        TaxRule.name: name,
        TaxRule.country: country,
        TaxRule.region: region,
        TaxRule.rate_bp: rate,
        TaxRule.reverse_charge: reverse,
        TaxRule.home_country: home,
    }


async def create_rule(raw: Mapping[str, Any], *, by: AuditContext = SYSTEM) -> int:
    """Add a tax rule (fields: country, region, rate in %, name, reverse_charge, home_country, store_id)."""
    async with db.write_transaction():
        values = await _clean(raw, None)
        row = await TaxRule.insert(TaxRule(_data=values)).returning(TaxRule.id)
        rule_id = int(row[0]["id"])
        await record(
            "tax.create",
            account_id=None,
            target=f"tax:{rule_id}",
            summary=f"Added the tax rule {values[TaxRule.name]} {format_percent(values[TaxRule.rate_bp])} "
            f"for {values[TaxRule.country]}.",
            details={k._meta.name: v for k, v in values.items()},
            **by,
        )
    return rule_id


async def update_rule(rule_id: int, raw: Mapping[str, Any], *, by: AuditContext = SYSTEM) -> None:
    """Change a tax rule; bad input changes nothing."""
    async with db.write_transaction():
        await get_rule(rule_id)
        values = await _clean(raw, rule_id)
        await TaxRule.update(values).where(TaxRule.id == rule_id)
        await record(
            "tax.update",
            account_id=None,
            target=f"tax:{rule_id}",
            summary=f"Changed the tax rule for {values[TaxRule.country]}.",
            details={k._meta.name: v for k, v in values.items()},
            **by,
        )


async def delete_rule(rule_id: int, *, by: AuditContext = SYSTEM) -> None:
    """Remove a tax rule (orders already placed keep their taxes)."""
    async with db.write_transaction():
        rule = await get_rule(rule_id)
        await TaxRule.delete().where(TaxRule.id == rule_id)
        await record(
            "tax.delete",
            account_id=None,
            target=f"tax:{rule_id}",
            summary=f"Removed the tax rule {rule.name} {rule.rate} for {rule.country}.",
            **by,
        )


def reverse_charge_text(vat_id: str) -> str:
    """What an invoice says when the buyer accounts for VAT."""
    return f"VAT reverse charge: the buyer accounts for VAT (VAT id {vat_id})"


async def tax_for(store_id: int, place: BuyerPlace) -> TaxChoice:
    """The tax a buyer at `place` pays in this store (`NO_TAX` when no rule matches).

    Specificity: region + store > region > country + store > country.
    """
    country = place.country.strip().upper()
    if not country:
        return NO_TAX
    rows = await TaxRule.select().where(
        (TaxRule.country == country) & ((TaxRule.store == store_id) | TaxRule.store.is_null())
    )
    region = _region_key(place.region)
    best: dict[str, Any] | None = None
    best_key = (-1, -1)
    for row in rows:
        rule_region = _region_key(row["region"])
        if rule_region and rule_region != region:
            continue
        key = (1 if rule_region else 0, 1 if row["store"] is not None else 0)
        if key > best_key:
            best, best_key = row, key
    if best is None:
        return NO_TAX
    vat_id = place.vat_id.strip()
    if best["reverse_charge"] and vat_id and country != best["home_country"]:
        return TaxChoice(name=best["name"], rate_bp=0, reverse_charge=reverse_charge_text(vat_id))
    return TaxChoice(name=best["name"], rate_bp=int(best["rate_bp"]))
