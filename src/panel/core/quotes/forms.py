"""Reading the staff's quote form: lines as on a manual invoice, each optionally priced from the catalogue.

A line row has `description_<i>`, `quantity_<i>`, `price_<i>`, `tax_<i>`, `tax_name_<i>`
(the manual invoice's fields, read by `panel.core.billing.drafts.parse_lines`) and
may name a catalogue product and billing cycle (`product_<i>`, `cycle_<i>`): then an
empty description becomes the product's name and cycle, and an empty price its price
in the account's store. Every error is keyed by its field, for the form to show it
beside the right box.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from panel.core.billing.drafts import MAX_LINES, parse_due, parse_lines
from panel.core.billing.invoicing import LineDraft
from panel.core.catalog import pricing
from panel.core.catalog.tables import Cycle, Product
from panel.errors import NotFound, ValidationFailed
from panel.money import format_plain


@dataclass(frozen=True)
class QuoteLineIn:
    """A line to write: the invoice line it becomes, and the catalogue product it was priced from."""

    draft: LineDraft
    product_id: int | None = None
    cycle: str = ""


@dataclass(frozen=True)
class QuoteForm:
    """A quote's content as the staff form gives it."""

    lines: list[QuoteLineIn]
    valid_until: dt.date
    notes: str


def _text(form: Mapping[str, str], key: str) -> str:
    return str(form.get(key, "") or "").strip()


async def _catalogue_rows(
    form: dict[str, str], store_id: int, currency: str
) -> tuple[dict[int, tuple[int, str]], dict[str, str]]:
    """Fill description and price of the rows naming a product; returns {row: (product, cycle)} and errors."""
    wanted = {i: _text(form, f"product_{i}") for i in range(MAX_LINES) if _text(form, f"product_{i}")}
    errors: dict[str, str] = {}
    ids = [int(v) for v in wanted.values() if v.isdigit()]
    names = (
        {int(r["id"]): r["name"] for r in await Product.select(Product.id, Product.name).where(Product.id.is_in(ids))}
        if ids
        else {}
    )
    picked: dict[int, tuple[int, str]] = {}
    for i, raw in wanted.items():
        if not raw.isdigit() or int(raw) not in names:
            errors[f"product_{i}"] = "Choose a product from the list."
            continue
        cycle = _text(form, f"cycle_{i}")
        try:
            price = await pricing.quote(store_id, int(raw), cycle)
        except ValidationFailed as exc:
            errors[f"cycle_{i}" if "cycle" in exc.errors else f"product_{i}"] = exc.message
            continue
        except NotFound as exc:
            errors[f"product_{i}"] = exc.message
            continue
        picked[i] = (int(raw), cycle)
        if not _text(form, f"description_{i}"):
            form[f"description_{i}"] = f"{names[int(raw)]} ({Cycle.LABELS.get(cycle, cycle)})"
        if not _text(form, f"price_{i}"):
            form[f"price_{i}"] = format_plain(price.amount, currency)
    return picked, errors


async def parse_quote_form(raw: Mapping[str, str], store_id: int, currency: str) -> QuoteForm:
    """The quote in the form, catalogue rows priced in the store; `ValidationFailed` with every problem at once."""
    form = {k: str(v) for k, v in raw.items()}
    picked, errors = await _catalogue_rows(form, store_id, currency)
    lines: list[LineDraft] = []
    try:
        lines = parse_lines(form, currency)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    valid_until = None
    try:
        valid_until = parse_due(_text(form, "valid_until"))
        if valid_until is None:
            errors["valid_until"] = "Enter the last day the client may accept the quote."
    except ValidationFailed:
        errors["valid_until"] = "Enter a date like 2026-12-31."
    notes = _text(form, "notes")
    if len(notes) > 5000:
        errors["notes"] = "Keep the notes under 5000 characters."
    if errors or valid_until is None:
        raise ValidationFailed(errors)
    # parse_lines keeps the rows that have a description or a price, in order
    rows = [i for i in range(MAX_LINES) if _text(form, f"description_{i}") or _text(form, f"price_{i}")]
    out = [QuoteLineIn(line, *(picked.get(i) or (None, ""))) for i, line in zip(rows, lines, strict=True)]
    return QuoteForm(out, valid_until, notes)
