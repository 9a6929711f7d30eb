"""The rounding rules of `panel.money`, each proved with numbers (see docs/billing.md, "Rounding")."""

from __future__ import annotations

from decimal import Decimal

import pytest

from panel.core.billing.invoicing import LineDraft, totals
from panel.errors import ValidationFailed
from panel.money import (
    Money,
    format_money,
    format_percent,
    format_plain,
    parse_amount,
    parse_percent,
    percent_of,
    prorate,
    round_half_up,
    to_decimal,
)

# -- rule 2: a percentage is exact, then rounded once, half away from zero ----------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.5", 1), ("1.5", 2), ("2.5", 3), ("2.4999", 2), ("-0.5", -1), ("-2.5", -3), ("-2.4", -2), ("0", 0)],
)
def test_round_half_up_goes_away_from_zero_on_a_half(value, expected):
    assert round_half_up(Decimal(value)) == expected  # not banker's rounding: 2.5 -> 3, never 2


@pytest.mark.parametrize(
    ("amount", "bp", "expected"),
    [
        (1000, 2100, 210),  # 21 % of 10.00 = 2.10 exactly
        (999, 2100, 210),  # 209.79 -> 210
        (250, 1000, 25),
        (5, 1000, 1),  # 0.5 cent -> 1 (half up)
        (15, 1000, 2),  # 1.5 cents -> 2
        (25, 1000, 3),  # 2.5 cents -> 3 (banker's would give 2)
        (1, 4900, 0),  # 0.49 -> 0
        (-25, 1000, -3),  # negative halves go away from zero too
        (1999, 1950, 390),  # 389.805 -> 390
        (0, 2100, 0),
    ],
)
def test_percent_of_rounds_once_to_the_minor_unit(amount, bp, expected):
    assert percent_of(amount, bp) == expected


def test_percent_is_computed_exactly_before_rounding():
    # a float computation of 1.005 * 100 gives 100.49999..., which would round down
    assert percent_of(100_500, 100) == 1005
    assert percent_of(33_333, 3333) == 11110  # 11109.8889 -> 11110


@pytest.mark.parametrize(
    ("amount", "num", "den", "expected"), [(3000, 15, 30, 1500), (1000, 1, 3, 333), (1000, 2, 3, 667), (100, 1, 8, 13)]
)
def test_prorate_rounds_by_the_same_rule(amount, num, den, expected):
    assert prorate(amount, num, den) == expected


def test_prorate_refuses_a_zero_period():
    with pytest.raises(ValueError):
        prorate(100, 1, 0)


# -- rule 3: tax per line, rounded per line; the invoice's tax is the sum -----------------------


def test_tax_is_rounded_per_line_and_summed():
    lines = [LineDraft(f"Item {i}", 5, tax_bp=1000) for i in range(3)]  # 0.5 cent of tax each
    subtotal, discount, tax, total = totals(lines)
    assert [line.tax for line in lines] == [1, 1, 1]
    assert (subtotal, discount, tax, total) == (15, 0, 3, 18)  # not round(1.5) = 2 on the sum


def test_tax_is_on_the_amount_after_the_lines_discount():
    line = LineDraft("Hosting", 1000, quantity=3, discount=500, tax_bp=2100)
    assert line.amount == 2500
    assert line.tax == 525
    assert totals([line]) == (3000, 500, 525, 3025)


def test_an_invoice_cannot_total_below_zero():
    with pytest.raises(ValidationFailed):
        totals([LineDraft("Credit", -100)])
    with pytest.raises(ValidationFailed):
        totals([])


# -- rule 1 and 4: integers of minor units, never two currencies mixed ---------------------------


def test_adding_minor_units_never_rounds():
    values = [Money(1, "EUR")] * 10
    total = Money(0, "EUR")
    for v in values:
        total = total + v
    assert total == Money(10, "EUR")
    assert sum([0.1] * 10) != 1.0  # the float trap the integers avoid


def test_currencies_never_mix():
    with pytest.raises(ValueError, match="cannot combine"):
        Money(100, "EUR") + Money(100, "USD")


# -- reading and showing amounts ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("12.50", "EUR", 1250),
        ("12,50", "EUR", 1250),
        (" 1 000.01 ", "USD", 100001),
        ("7", "JPY", 7),
        ("1.234", "BHD", 1234),
        ("0.1", "EUR", 10),
    ],
)
def test_parse_amount_reads_exactly(text, currency, expected):
    assert parse_amount(text, currency) == expected


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("12.345", "EUR", "2 decimal places"),
        ("1.5", "JPY", "0 decimal places"),
        ("-1", "EUR", "cannot be negative"),
        ("", "EUR", "Enter an amount"),
        ("ten", "EUR", "Enter a number"),
        ("NaN", "EUR", "Enter a number"),
        ("1e20", "EUR", "too large"),
        ("1", "XXX", "Unknown currency"),
    ],
)
def test_parse_amount_refuses_what_it_cannot_read_exactly(text, currency, message):
    with pytest.raises(ValidationFailed) as refused:
        parse_amount(text, currency)
    assert message in next(iter(refused.value.errors.values()))


def test_negative_amounts_only_where_allowed():
    assert parse_amount("-2.50", "EUR", allow_negative=True) == -250


@pytest.mark.parametrize(("text", "bp"), [("20", 2000), ("7.5", 750), ("0", 0), ("100", 10_000), ("21,00", 2100)])
def test_parse_percent(text, bp):
    assert parse_percent(text) == bp


@pytest.mark.parametrize("text", ["101", "-1", "7.555", "x", ""])
def test_parse_percent_refuses(text):
    with pytest.raises(ValidationFailed):
        parse_percent(text)


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (1250, "EUR", "€12.50"),
        (-300, "EUR", "-€3.00"),
        (123456789, "USD", "$1,234,567.89"),
        (12500, "BHD", "12.500 BHD"),
        (500, "JPY", "¥500"),
        (5, "CHF", "0.05 CHF"),
    ],
)
def test_format_money(amount, currency, shown):
    assert format_money(amount, currency) == shown


def test_plain_and_decimal_forms():
    assert format_plain(1250, "EUR") == "12.50"
    assert format_plain(7, "JPY") == "7"
    assert to_decimal(1250, "EUR") == Decimal("12.50")
    assert format_percent(2100) == "21 %" and format_percent(750) == "7.5 %"
