"""Discounts, taxes and totals of an order, computed exactly and the same way everywhere.

The cart page, the API and checkout all call `compute`, so what the buyer is shown
is what the order and its invoice say, to the minor unit. Rules (see docs/orders.md):

- every unit of a cart item is one line (a quantity of 3 is three lines, each with
  its own service), plus one line per setup fee;
- a percentage promotion takes `percent_of(line amount, bp)` off each applicable line,
  rounded per line (rule 2 of `panel.money`);
- a fixed promotion is spread over the applicable lines in order, each taking at most
  its own amount, until the promotion's value is used up;
- setup fees are never discounted;
- tax is computed per line on the amount after its discount, rounded per line (rule 3);
  a reverse-charge buyer pays none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from panel.money import percent_of


@dataclass(frozen=True)
class Unit:
    """One unit of a cart item, priced: what one service will cost.

    `amount` is the first period's price (product and options); `recurring` what each
    later period costs before any recurring discount (the same today, kept apart so
    introductory prices can differ later).
    """

    item_id: int
    product_id: int
    name: str
    product_type: str
    cycle: str
    amount: int
    setup_fee: int
    recurring: int
    parent_item_id: int | None = None


@dataclass(frozen=True)
class Promotion:
    """A promotion as totals need it (see `promos.PromoCode`).

    `products` empty: every product. `recurring`: the discount applies to later
    periods too, else to the first period only.
    """

    code: str
    kind: str  # "percent" (value in basis points) or "fixed" (value in minor units)
    value: int
    products: frozenset[int] = frozenset()
    recurring: bool = False

    def applies_to(self, product_id: int) -> bool:
        """Whether this promotion discounts the product."""
        return not self.products or product_id in self.products


@dataclass(frozen=True)
class TaxChoice:
    """The tax rule that applies to a buyer: name and rate, or the reverse-charge text."""

    name: str = ""
    rate_bp: int = 0
    reverse_charge: str = ""


NO_TAX = TaxChoice()


@dataclass(frozen=True)
class UnitTotal:
    """A unit with its discount, recurring discount and taxes."""

    unit: Unit
    discount: int
    recurring_discount: int
    tax: int
    setup_tax: int

    @property
    def recurring_amount(self) -> int:
        """What each later period costs (after a recurring discount)."""
        return self.unit.recurring - self.recurring_discount


@dataclass(frozen=True)
class Totals:
    """Every line's figures and the sums an order and its invoice carry."""

    lines: list[UnitTotal] = field(default_factory=list)
    subtotal: int = 0
    discount: int = 0
    tax: int = 0
    tax_choice: TaxChoice = NO_TAX

    @property
    def total(self) -> int:
        """What the buyer pays now."""
        return self.subtotal - self.discount + self.tax


def _discounts(units: Sequence[Unit], promo: Promotion | None) -> list[tuple[int, int]]:
    """(first-period discount, recurring discount) per unit."""
    out = [(0, 0)] * len(units)
    if promo is None:
        return out
    if promo.kind == "percent":
        for i, unit in enumerate(units):
            if promo.applies_to(unit.product_id):
                first = percent_of(unit.amount, promo.value)
                again = percent_of(unit.recurring, promo.value) if promo.recurring else 0
                out[i] = (first, again)
        return out
    left = promo.value
    for i, unit in enumerate(units):
        if left <= 0:
            break
        if promo.applies_to(unit.product_id) and unit.amount > 0:
            first = min(left, unit.amount)
            left -= first
            out[i] = (first, min(first, unit.recurring) if promo.recurring else 0)
    return out


def applicable(units: Sequence[Unit], promo: Promotion) -> bool:
    """Whether the promotion discounts at least one unit."""
    return any(promo.applies_to(u.product_id) and u.amount > 0 for u in units)


def compute(units: Sequence[Unit], promo: Promotion | None = None, tax: TaxChoice = NO_TAX) -> Totals:
    """The figures of these units with this promotion and tax."""
    rate = 0 if tax.reverse_charge else tax.rate_bp
    lines: list[UnitTotal] = []
    for unit, (first, again) in zip(units, _discounts(units, promo), strict=True):
        lines.append(
            UnitTotal(
                unit=unit,
                discount=first,
                recurring_discount=again,
                tax=percent_of(unit.amount - first, rate),
                setup_tax=percent_of(unit.setup_fee, rate),
            )
        )
    return Totals(
        lines=lines,
        subtotal=sum(u.amount + u.setup_fee for u in units),
        discount=sum(line.discount for line in lines),
        tax=sum(line.tax + line.setup_tax for line in lines),
        tax_choice=tax,
    )
