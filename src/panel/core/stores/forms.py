"""Reading the store form: typed fields, ticked boxes, and the per-product-type policy fields."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from litestar import Request

from panel.core.stores.services import StoreView
from panel.core.stores.tables import StoreKind
from panel.core.stores.validation import BOOL_FIELDS, RESELLER_FIELDS, TEXT_FIELDS
from panel.money import CURRENCIES
from panel.product_types import ProductType

KIND_CHOICES = [
    (StoreKind.PROVIDER, "The provider's own store"),
    (StoreKind.RESELLER, "A reseller's store: its own products and prices"),
    (StoreKind.RESELLER_CATALOG, "The provider's catalogue at the reseller's discount"),
]
CURRENCY_CHOICES = [(c, c) for c in sorted(CURRENCIES)]


def type_choices(product_types: Mapping[str, ProductType], store: StoreView | None = None) -> list[tuple[str, str]]:
    """(name, label) of the product types a policy can name: the registered ones and any the store names."""
    names = dict((n, pt.label or n) for n, pt in product_types.items())
    if store is not None:
        for n in [*store.min_contract_months, *store.non_refundable_types]:
            names.setdefault(n, n)
    return sorted(names.items(), key=lambda item: item[1].lower())


async def read_store_form(
    request: Request[Any, Any, Any], type_names: Collection[str], *, reseller: bool = False
) -> dict[str, Any]:
    """The posted store form as `stores.services` takes it (a reseller's form has fewer fields)."""
    form = await request.form()
    values: dict[str, Any] = {}
    for name in (*TEXT_FIELDS, "reseller_id", "contact_instructions", "money_back_days"):
        values[name] = str(form.get(name, "") or "")
    for name in BOOL_FIELDS:
        values[name] = name in form
    values["min_contract_months"] = {n: str(form.get(f"min_contract_months.{n}", "") or "") for n in type_names}
    values["non_refundable_types"] = [str(v) for v in form.getall("non_refundable_types", [])]
    if reseller:
        values = {k: v for k, v in values.items() if k in RESELLER_FIELDS}
    return values
