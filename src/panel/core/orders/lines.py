"""Pricing cart items: product, cycle, configurable options and addons.

Every price comes from `panel.core.catalog.pricing` (never from a form), so the
store's kind, the reseller's discount and the setup-fee policy apply alike in the
cart, the API and at checkout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from panel.core.catalog import pricing
from panel.core.catalog.tables import ConfigOption, Cycle, OptionChoice, OptionKind, Product, ProductKind
from panel.core.orders.totals import Unit
from panel.errors import NotFound, ValidationFailed

MAX_QUANTITY = 100


@dataclass(frozen=True)
class Choice:
    """One value of an option."""

    id: int
    value: str
    label: str


@dataclass(frozen=True)
class OptionSpec:
    """A configurable option of a product and its choices."""

    id: int
    name: str
    label: str
    kind: str
    min_quantity: int
    max_quantity: int
    choices: tuple[Choice, ...]


@dataclass(frozen=True)
class ProductInfo:
    """What the cart needs of a product."""

    id: int
    name: str
    kind: str
    product_type: str
    config: Mapping[str, Any]
    options: tuple[OptionSpec, ...] = ()


@dataclass
class PricedItem:
    """A cart item with its prices for one unit, or the reason it cannot be ordered now."""

    id: int
    product_id: int
    parent_id: int | None
    name: str
    product_type: str
    cycle: str
    quantity: int
    options: dict[str, str]
    fields: dict[str, Any]
    amount: int = 0
    setup_fee: int = 0
    problem: str = ""
    option_text: str = ""
    cycles: list[str] = field(default_factory=list)
    addons: list[PricedItem] = field(default_factory=list)
    for_service: int | None = None
    for_service_label: str = ""

    @property
    def cycle_label(self) -> str:
        """The cycle for people."""
        return Cycle.LABELS.get(self.cycle, self.cycle)


async def products(product_ids: Sequence[int]) -> dict[int, ProductInfo]:
    """Products with their options and choices, in three queries whatever their number."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = (
        await Product.select(Product.id, Product.name, Product.kind, Product.product_type, Product.config)
        .where(Product.id.is_in(ids))
        .output(load_json=True)
    )
    option_rows = (
        await ConfigOption.select().where(ConfigOption.product.is_in(ids)).order_by(ConfigOption.sort, ConfigOption.id)
    )
    option_ids = [r["id"] for r in option_rows]
    choice_rows = (
        await OptionChoice.select()
        .where(OptionChoice.option.is_in(option_ids))
        .order_by(OptionChoice.sort, OptionChoice.id)
        if option_ids
        else []
    )
    choices: dict[int, list[Choice]] = {}
    for c in choice_rows:
        choices.setdefault(c["option"], []).append(Choice(c["id"], c["value"], c["label"]))
    options: dict[int, list[OptionSpec]] = {}
    for o in option_rows:
        options.setdefault(o["product"], []).append(
            OptionSpec(
                o["id"],
                o["name"],
                o["label"],
                o["kind"],
                o["min_quantity"],
                o["max_quantity"],
                tuple(choices.get(o["id"], [])),
            )
        )
    return {
        r["id"]: ProductInfo(
            r["id"], r["name"], r["kind"], r["product_type"], r["config"] or {}, tuple(options.get(r["id"], []))
        )
        for r in rows
    }


def clean_options(specs: Sequence[OptionSpec], raw: Mapping[str, Any]) -> dict[str, str]:
    """The chosen value of each option, checked; errors are keyed `option_<name>`.

    A select needs one of its values; a quantity a whole number within its bounds; a
    yes/no option is "yes" or "no". Unknown option names are ignored.
    """
    out: dict[str, str] = {}
    errors: dict[str, str] = {}
    for spec in specs:
        key = f"option_{spec.name}"
        value = str(raw.get(spec.name) or "").strip()
        if spec.kind == OptionKind.SELECT:
            if not spec.choices:
                continue
            if not value:
                value = spec.choices[0].value
            if value not in {c.value for c in spec.choices}:
                errors[key] = f"Choose one of the values of {spec.label}."
            out[spec.name] = value
        elif spec.kind == OptionKind.QUANTITY:
            text = value or str(spec.min_quantity)
            high = spec.max_quantity or 1000
            if not text.isdigit() or not spec.min_quantity <= int(text) <= high:
                errors[key] = f"{spec.label}: enter a whole number from {spec.min_quantity} to {high}."
            else:
                out[spec.name] = str(int(text))
        else:  # yes/no: the storefront's checkbox sends its choice's value when ticked
            out[spec.name] = "no" if value.lower() in {"", "no", "0", "off", "false"} else "yes"
    if errors:
        raise ValidationFailed(errors)
    return out


def option_text(specs: Sequence[OptionSpec], chosen: Mapping[str, str]) -> str:
    """The options for people: "Disk: 50 GB, Extra IPs: 2"."""
    parts = []
    for spec in specs:
        value = chosen.get(spec.name)
        if value is None:
            continue
        if spec.kind == OptionKind.SELECT:
            label = next((c.label for c in spec.choices if c.value == value), value)
            parts.append(f"{spec.label}: {label}")
        elif spec.kind == OptionKind.QUANTITY:
            parts.append(f"{spec.label}: {value}")
        elif value == "yes":
            parts.append(spec.label)
    return ", ".join(parts)


async def options_price(store_id: int, specs: Sequence[OptionSpec], chosen: Mapping[str, str], cycle: str) -> int:
    """What the chosen options add to one unit's price in this cycle."""
    total = 0
    for spec in specs:
        value = chosen.get(spec.name)
        if value is None or not spec.choices:
            continue
        if spec.kind == OptionKind.SELECT:
            choice = next((c for c in spec.choices if c.value == value), None)
            if choice is not None:
                total += await pricing.choice_price(store_id, choice.id, cycle)
        elif spec.kind == OptionKind.QUANTITY:
            total += int(value) * await pricing.choice_price(store_id, spec.choices[0].id, cycle)
        elif value == "yes":
            total += await pricing.choice_price(store_id, spec.choices[0].id, cycle)
    return total


def check_quantity(text: Any) -> int:
    """A quantity from a form: a whole number from 1 to `MAX_QUANTITY`."""
    value = str(text if text is not None else "1").strip() or "1"
    if not value.lstrip("-").isdigit() or not 1 <= int(value) <= MAX_QUANTITY:
        raise ValidationFailed({"quantity": f"Enter a quantity from 1 to {MAX_QUANTITY}."})
    return int(value)


async def price_item(store_id: int, info: ProductInfo, row: Mapping[str, Any]) -> PricedItem:
    """One cart item priced in the store now; `problem` says why it cannot be ordered."""
    options = {str(k): str(v) for k, v in (row["options"] or {}).items()}
    item = PricedItem(
        id=row["id"],
        product_id=info.id,
        parent_id=row["parent"],
        name=info.name,
        product_type=info.product_type,
        cycle=row["cycle"],
        quantity=row["quantity"],
        options=options,
        fields=dict(row["fields"] or {}),
        option_text=option_text(info.options, options),
        for_service=row.get("for_service"),
    )
    offered = await pricing.quotes(store_id, info.id)
    item.cycles = [q.cycle for q in offered]
    quote = next((q for q in offered if q.cycle == row["cycle"]), None)
    if quote is None:
        try:  # not sold, or not in this cycle: pricing words the reason
            quote = await pricing.quote(store_id, info.id, row["cycle"])
        except (ValidationFailed, NotFound) as exc:
            item.problem = next(iter(exc.errors.values())) if isinstance(exc, ValidationFailed) else exc.message
            return item
    item.amount = quote.amount + await options_price(store_id, info.options, options, row["cycle"])
    item.setup_fee = quote.setup_fee
    return item


async def price_rows(store_id: int, rows: Sequence[Mapping[str, Any]]) -> list[PricedItem]:
    """Cart item rows priced, addons nested under their product, in the order they were added."""
    infos = await products([r["product"] for r in rows])
    priced: dict[int, PricedItem] = {}
    for row in rows:
        info = infos.get(row["product"])
        if info is None:
            continue
        priced[row["id"]] = await price_item(store_id, info, row)
    await _name_services([x for x in priced.values() if x.for_service is not None])
    top: list[PricedItem] = []
    for item in priced.values():
        parent = priced.get(item.parent_id) if item.parent_id else None
        if parent is not None:
            item.quantity = parent.quantity
            parent.addons.append(item)
        elif item.parent_id is None:
            top.append(item)
    return top


async def _name_services(items: Sequence[PricedItem]) -> None:
    """Label the addons bought for existing services with their service's name (one query)."""
    if not items:
        return
    from panel.core.services.tables import Service

    ids = sorted({int(x.for_service) for x in items if x.for_service is not None})
    rows = await Service.select(Service.id, Service.label, Service.product.name).where(Service.id.is_in(ids))
    names = {int(r["id"]): r["label"] or r["product.name"] or "" for r in rows}
    for item in items:
        item.for_service_label = names.get(int(item.for_service or 0), "")


def units(items: Sequence[PricedItem]) -> list[Unit]:
    """Every unit to order, each product followed by its addons; refuses items with a problem."""
    errors = {f"item_{i.id}": f"{i.name}: {i.problem}" for i in _all(items) if i.problem}
    if errors:
        raise ValidationFailed(errors)
    out: list[Unit] = []
    for item in items:
        for _ in range(item.quantity):
            out.append(_unit(item, None))
            out.extend(_unit(addon, item.id) for addon in item.addons)
    return out


def _all(items: Sequence[PricedItem]) -> list[PricedItem]:
    return [x for i in items for x in (i, *i.addons)]


def _unit(item: PricedItem, parent_id: int | None) -> Unit:
    name = f"{item.name} ({item.option_text})" if item.option_text else item.name
    return Unit(
        item_id=item.id,
        product_id=item.product_id,
        name=name,
        product_type=item.product_type,
        cycle=item.cycle,
        amount=item.amount,
        setup_fee=item.setup_fee,
        recurring=item.amount,
        parent_item_id=parent_id,
    )


def require_product(info: ProductInfo | None) -> ProductInfo:
    """The product for a new cart item: it must exist and not be an addon."""
    if info is None:
        raise NotFound("That product does not exist.")
    if info.kind == ProductKind.ADDON:
        raise ValidationFailed({"product": "This is an addon: order it together with a product it belongs to."})
    return info
