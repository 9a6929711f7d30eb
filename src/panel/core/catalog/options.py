"""Configurable options of a product (disk size, location, extra IPs) and their choices.

A select option has several choices; a quantity or yes/no option has one choice,
the priced unit. Choice prices are in `prices.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from panel.core import db
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.catalog.services import get_product, int_field
from panel.core.catalog.tables import ConfigOption, OptionChoice, OptionKind
from panel.errors import NotFound, ValidationFailed

OPTION_NAME_RE = re.compile(r"^[a-z0-9_]{1,60}$")
OPTION_KINDS = {
    OptionKind.SELECT: "Choose one of several",
    OptionKind.QUANTITY: "A quantity (priced per unit)",
    OptionKind.YESNO: "Yes or no",
}


@dataclass(frozen=True)
class ChoiceView:
    """One value of an option."""

    id: int
    value: str
    label: str
    sort: int


@dataclass(frozen=True)
class OptionView:
    """A configurable option and its choices."""

    id: int
    name: str
    label: str
    kind: str
    min_quantity: int
    max_quantity: int
    sort: int
    choices: list[ChoiceView] = field(default_factory=list)


async def options_of(product_ids: Iterable[int]) -> dict[int, list[OptionView]]:
    """{product id: its options with their choices}, in sort order (two queries)."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    options = await ConfigOption.select().where(ConfigOption.product.is_in(ids)).order_by(ConfigOption.sort)
    choices = (
        await OptionChoice.select()
        .where(OptionChoice.option.is_in([o["id"] for o in options] or [0]))
        .order_by(OptionChoice.sort)
        .order_by(OptionChoice.id)
    )
    by_option: dict[int, list[ChoiceView]] = {}
    for c in choices:
        by_option.setdefault(int(c["option"]), []).append(ChoiceView(c["id"], c["value"], c["label"], int(c["sort"])))
    out: dict[int, list[OptionView]] = {}
    for o in options:
        out.setdefault(int(o["product"]), []).append(
            OptionView(
                o["id"],
                o["name"],
                o["label"],
                o["kind"],
                int(o["min_quantity"]),
                int(o["max_quantity"]),
                int(o["sort"]),
                by_option.get(int(o["id"]), []),
            )
        )
    return out


async def _option_product(option_id: int) -> tuple[int, str]:
    row = (
        await ConfigOption.select(ConfigOption.product, ConfigOption.label).where(ConfigOption.id == option_id).first()
    )
    if row is None:
        raise NotFound("No such option.")
    return int(row["product"]), row["label"]


async def save_option(
    product_id: int, option_id: int | None, values: Mapping[str, Any], *, by: AuditContext = SYSTEM
) -> int:
    """Add (`option_id` None) or change an option of a product: name, label, kind, quantities, sort."""
    await get_product(product_id)
    if option_id is not None and (await _option_product(option_id))[0] != product_id:
        raise NotFound("No such option.")
    errors: dict[str, str] = {}
    name = str(values.get("name") or "").strip().lower()
    if not OPTION_NAME_RE.match(name):
        errors["name"] = "Use 1 to 60 lower-case letters, digits and underscores, like disk_size."
    elif await ConfigOption.exists().where(
        (ConfigOption.product == product_id) & (ConfigOption.name == name) & (ConfigOption.id != (option_id or 0))
    ):
        errors["name"] = "The product has an option of this name."
    label = str(values.get("label") or "").strip()
    if not label or len(label) > 200:
        errors["label"] = "Give the option a label (at most 200 characters)."
    kind = str(values.get("kind") or OptionKind.SELECT)
    if kind not in OPTION_KINDS:
        errors["kind"] = "Choose a kind of option."
    low = int_field(values.get("min_quantity"), "min_quantity", errors, 0, 100000)
    high = int_field(values.get("max_quantity"), "max_quantity", errors, 0, 100000)
    if kind == OptionKind.QUANTITY and "max_quantity" not in errors and high < max(low, 1):
        errors["max_quantity"] = "The most must be at least 1 and not below the least."
    sort = int_field(values.get("sort"), "sort", errors)
    if errors:
        raise ValidationFailed(errors)
    columns: dict[Any, Any] = {
        ConfigOption.name: name,
        ConfigOption.label: label,
        ConfigOption.kind: kind,
        ConfigOption.min_quantity: low,
        ConfigOption.max_quantity: high,
        ConfigOption.sort: sort,
    }
    async with db.write_transaction():
        if option_id is None:
            row = await ConfigOption.insert(ConfigOption({**columns, ConfigOption.product: product_id})).returning(
                ConfigOption.id
            )
            option_id = int(row[0]["id"])
        else:
            await ConfigOption.update(columns).where(ConfigOption.id == option_id)
        await record(
            "catalog.option_save",
            account_id=None,
            target=f"product:{product_id}",
            summary=f"Saved the option {label}.",
            details={"option": option_id, "name": name, "kind": kind},
            **by,
        )
    return option_id


async def delete_option(product_id: int, option_id: int, *, by: AuditContext = SYSTEM) -> None:
    """Remove an option, its choices and their prices."""
    from panel.core.catalog.prices import delete_choice_prices

    owner, label = await _option_product(option_id)
    if owner != product_id:
        raise NotFound("No such option.")
    choice_ids = [r["id"] for r in await OptionChoice.select(OptionChoice.id).where(OptionChoice.option == option_id)]
    async with db.write_transaction():
        await delete_choice_prices(choice_ids)
        await ConfigOption.delete().where(ConfigOption.id == option_id)
        await record(
            "catalog.option_delete",
            account_id=None,
            target=f"product:{product_id}",
            summary=f"Deleted the option {label}.",
            **by,
        )


async def add_choice(product_id: int, option_id: int, values: Mapping[str, Any], *, by: AuditContext = SYSTEM) -> int:
    """Add a value to an option: value (what is stored), label (what clients read), sort."""
    owner, option_label = await _option_product(option_id)
    if owner != product_id:
        raise NotFound("No such option.")
    errors: dict[str, str] = {}
    value = str(values.get("value") or "").strip()
    if not value or len(value) > 100:
        errors["value"] = "Enter the value (at most 100 characters)."
    elif await OptionChoice.exists().where((OptionChoice.option == option_id) & (OptionChoice.value == value)):
        errors["value"] = "The option has this value already."
    label = str(values.get("label") or "").strip() or value
    if len(label) > 200:
        errors["label"] = "Use at most 200 characters."
    sort = int_field(values.get("sort"), "sort", errors)
    if errors:
        raise ValidationFailed(errors)
    async with db.write_transaction():
        row = await OptionChoice.insert(OptionChoice(option=option_id, value=value, label=label, sort=sort)).returning(
            OptionChoice.id
        )
        await record(
            "catalog.choice_add",
            account_id=None,
            target=f"product:{product_id}",
            summary=f"Added {label} to the option {option_label}.",
            **by,
        )
    return int(row[0]["id"])


async def delete_choice(product_id: int, choice_id: int, *, by: AuditContext = SYSTEM) -> None:
    """Remove one value of an option and its prices."""
    from panel.core.catalog.prices import delete_choice_prices

    row = await OptionChoice.select(OptionChoice.option, OptionChoice.label).where(OptionChoice.id == choice_id).first()
    if row is None or (await _option_product(int(row["option"])))[0] != product_id:
        raise NotFound("No such choice.")
    async with db.write_transaction():
        await delete_choice_prices([choice_id])
        await OptionChoice.delete().where(OptionChoice.id == choice_id)
        await record(
            "catalog.choice_delete",
            account_id=None,
            target=f"product:{product_id}",
            summary=f"Deleted the choice {row['label']}.",
            **by,
        )
