"""Exact money: amounts are integers of a currency's minor unit (cents), never floats.

Rounding rules (docs/money.md says the same, and tests/unit/test_money.py proves it):

1. Amounts are stored and added as integers of minor units; adding never rounds.
2. A percentage of an amount (a discount, a tax, a proration) is computed exactly as
   a `Decimal` and rounded once, half away from zero, to the minor unit.
3. Tax is computed per invoice line, on the line's amount after its discount, and
   rounded per line; the invoice's tax is the sum of its lines' taxes.
4. Prices are set per currency; the panel never converts between currencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from panel.errors import ValidationFailed

# ISO 4217 minor-unit exponents of the currencies a store may use.
CURRENCIES: dict[str, int] = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CAD": 2,
    "AUD": 2,
    "NZD": 2,
    "CHF": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "CZK": 2,
    "INR": 2,
    "BRL": 2,
    "ZAR": 2,
    "JPY": 0,
    "KRW": 0,
    "BHD": 3,
    "KWD": 3,
}

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}

# Basis points: 1 % = 100 bp; rates and discounts are stored this way.
BP_PER_UNIT = 10_000


def exponent(currency: str) -> int:
    """Digits after the decimal point for `currency`; unknown codes are refused."""
    try:
        return CURRENCIES[currency]
    except KeyError:
        raise ValidationFailed({"currency": f"Unknown currency {currency!r}."}) from None


def round_half_up(value: Decimal) -> int:
    """Round an exact amount of minor units to an integer, half away from zero."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(amount: int, bp: int) -> int:
    """`bp` basis points of `amount` minor units, rounded by rule 2."""
    return round_half_up(Decimal(amount) * Decimal(bp) / Decimal(BP_PER_UNIT))


def prorate(amount: int, numerator: int, denominator: int) -> int:
    """`amount * numerator / denominator`, rounded by rule 2 (e.g. days left / days in period)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    return round_half_up(Decimal(amount) * Decimal(numerator) / Decimal(denominator))


def parse_amount(text: str, currency: str, *, field: str = "amount", allow_negative: bool = False) -> int:
    """Read "12.50" (or "12,50") in `currency` as minor units; too many decimals is an error."""
    exp = exponent(currency)
    cleaned = text.strip().replace(",", ".").replace(" ", "")
    if not cleaned:
        raise ValidationFailed({field: "Enter an amount."})
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationFailed({field: "Enter a number, like 12.50."}) from None
    if not value.is_finite():
        raise ValidationFailed({field: "Enter a number, like 12.50."})
    scaled = value.scaleb(exp)
    if scaled != scaled.to_integral_value():
        raise ValidationFailed({field: f"{currency} has {exp} decimal places at most."})
    if value < 0 and not allow_negative:
        raise ValidationFailed({field: "The amount cannot be negative."})
    if abs(scaled) >= Decimal(10) ** 15:
        raise ValidationFailed({field: "The amount is too large."})
    return int(scaled)


def parse_percent(text: str, *, field: str = "percent") -> int:
    """Read "20" or "7.5" (per cent) as basis points, 0 to 100 %."""
    try:
        value = Decimal(text.strip().replace(",", ".") or "x")
    except InvalidOperation:
        raise ValidationFailed({field: "Enter a percentage, like 20 or 7.5."}) from None
    if not value.is_finite() or value < 0 or value > 100:
        raise ValidationFailed({field: "Enter a percentage between 0 and 100."})
    bp = value * 100
    if bp != bp.to_integral_value():
        raise ValidationFailed({field: "Use at most two decimal places."})
    return int(bp)


def to_decimal(amount: int, currency: str) -> Decimal:
    """Minor units as a `Decimal` of major units (1250 USD -> Decimal("12.50"))."""
    return Decimal(amount).scaleb(-exponent(currency))


def format_plain(amount: int, currency: str) -> str:
    """Plain "12.50", for form fields and CSV."""
    exp = exponent(currency)
    return f"{to_decimal(amount, currency):.{exp}f}"


def format_money(amount: int, currency: str) -> str:
    """Display form: "$12.50", "-€3.00", "12.500 BHD", for pages, emails and PDFs."""
    plain = format_plain(abs(amount), currency)
    whole, _, frac = plain.partition(".")
    whole = f"{int(whole):,}"
    text = f"{whole}.{frac}" if frac else whole
    sign = "-" if amount < 0 else ""
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def format_percent(bp: int) -> str:
    """Basis points as "20 %" or "7.5 %"."""
    value = (Decimal(bp) / 100).normalize()
    return f"{value:f} %"


@dataclass(frozen=True, order=True)
class Money:
    """An amount in one currency; adding two currencies is an error, never a conversion."""

    amount: int
    currency: str

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)
