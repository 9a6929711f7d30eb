"""A store's policies in words, shown beside its prices on the storefront."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from panel.product_types import ProductType


def type_labels(product_types: Mapping[str, ProductType]) -> dict[str, str]:
    """Product type name -> label, from the registered types (`request.app.state.product_types`)."""
    return {name: pt.label or name for name, pt in product_types.items()}


def _label(name: str, labels: Mapping[str, str]) -> str:
    if name in labels:
        return labels[name]
    words = name.rsplit(".", 1)[-1].replace("_", " ")
    return words[:1].upper() + words[1:]


def _plural(label: str) -> str:
    if label.endswith("s"):
        return label
    if label.endswith("y") and label[-2:-1] not in tuple("aeiou"):
        return label[:-1] + "ies"
    return label + "s"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _get(store: Any, name: str) -> Any:
    return store[name] if isinstance(store, Mapping) else getattr(store, name)


def terms(store: Any, labels: Mapping[str, str] | None = None) -> list[str]:
    """The store's policies as short sentences for people, in a fixed order.

    `store` is a `StoreView` (or a mapping with the same keys); `labels` names the
    product types (see `type_labels`), else a name is made from the type's own.
    E.g. "Setup fees: none", "100-day money-back guarantee", "Shared hosting:
    12-month minimum term", "Renews only when you pay the renewal invoice".
    """
    labels = labels or {}
    out = ["Setup fees: as shown beside each price" if _get(store, "setup_fees_allowed") else "Setup fees: none"]
    days = int(_get(store, "money_back_days") or 0)
    out.append(f"{days}-day money-back guarantee" if days > 0 else "No money-back guarantee")
    months: Mapping[str, int] = _get(store, "min_contract_months") or {}
    for label, count in sorted((_label(n, labels), int(m)) for n, m in months.items() if int(m) > 0):
        out.append(f"{label}: {count}-month minimum term")
    if _get(store, "full_prepayment"):
        out.append("The whole term is paid in advance")
    else:
        out.append("Pay one billing cycle at a time")
    if _get(store, "auto_renew"):
        out.append("Renews automatically")
    else:
        out.append("Renews only when you pay the renewal invoice")
    kinds = [_plural(_label(n, labels)) for n in _get(store, "non_refundable_types") or []]
    if kinds:
        out.append(f"{_join(sorted(kinds))} are not refundable")
    return out
