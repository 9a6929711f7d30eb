"""Issuing invoices: lines, tax per line, totals, and gapless numbers per store.

`issue_invoice` runs inside the caller's transaction (checkout, renewals, staff), so
an order and its invoice are written together or not at all, and a rolled-back
issue gives its number back. Staff drafts (`drafts.py`) take their number only when
they are issued, for the same reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec

from panel.core import db
from panel.core.accounts.tables import Account
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.billing.tables import Invoice, InvoiceKind, InvoiceLine, InvoiceSequence, InvoiceStatus
from panel.core.stores.tables import Store
from panel.errors import NotFound, PanelError, ValidationFailed
from panel.money import exponent, format_money, percent_of

ACCOUNT_CREDIT_TYPE = "core.account_credit"
"""`InvoiceLine.product_type` of an "Add funds" line: paying the invoice adds the credit."""


P = ParamSpec("P")


@dataclass(frozen=True)
class LineDraft:
    """One line to invoice: `quantity * unit_amount - discount`, then tax at `tax_bp` on that."""

    description: str
    unit_amount: int
    quantity: int = 1
    discount: int = 0
    tax_name: str = ""
    tax_bp: int = 0
    product_type: str = ""
    service_id: int | None = None
    order_item_id: int | None = None

    @property
    def amount(self) -> int:
        """The line's amount before tax."""
        return self.quantity * self.unit_amount - self.discount

    @property
    def tax(self) -> int:
        """The line's tax, rounded per line (rule 3 of `panel.money`)."""
        return percent_of(self.amount, self.tax_bp)


def draft_of(row: Mapping[str, Any], description: str | None = None) -> LineDraft:
    """An invoice line as read from `InvoiceLine`, as a draft to write again (a credit note's line)."""
    return LineDraft(
        description=(description if description is not None else str(row["description"]))[:255],
        unit_amount=int(row["unit_amount"]),
        quantity=int(row["quantity"]),
        discount=int(row["discount"]),
        tax_name=row["tax_name"],
        tax_bp=int(row["tax_bp"]),
        product_type=row["product_type"],
        service_id=row["service_id"],
    )


async def next_number(store_id: int, kind: str) -> tuple[int, str]:
    """Take the next number of a store's invoices or credit notes, in the caller's transaction.

    The increment is one UPDATE, which locks the sequence row until the transaction
    ends (PostgreSQL) or runs under SQLite's single writer; so two concurrent issues
    get two consecutive numbers, and a rollback gives the number back.
    """
    return (await next_numbers(store_id, kind, 1))[0]


async def next_numbers(store_id: int, kind: str, count: int) -> list[tuple[int, str]]:
    """Take `count` consecutive numbers at once (one UPDATE), for a batch of invoices in one transaction.

    The same rules as `next_number`: a rollback gives them all back, so numbering
    stays without gaps as long as the caller issues every number it took.
    """
    take = (
        InvoiceSequence.update({InvoiceSequence.next_number: InvoiceSequence.next_number + count})
        .where((InvoiceSequence.store == store_id) & (InvoiceSequence.kind == kind))
        .returning(InvoiceSequence.next_number)
    )
    rows = await take
    if not rows:  # the store's first invoice of this kind
        await InvoiceSequence.insert(InvoiceSequence(store=store_id, kind=kind, next_number=1)).on_conflict(
            action="DO NOTHING"
        )
        rows = await take
    first = int(rows[0]["next_number"]) - count
    store = await Store.select(Store.invoice_prefix, Store.slug).where(Store.id == store_id).first()
    prefix = (store or {}).get("invoice_prefix") or ""
    if kind == InvoiceKind.CREDIT_NOTE:
        prefix = f"CN-{prefix}"
    return [(seq, f"{prefix}{seq:06d}") for seq in range(first, first + count)]


async def issue_numbered_invoice(
    *,
    store_id: int,
    account_id: int,
    currency: str,
    lines: Sequence[LineDraft],
    billing: Mapping[str, Any],
    due_date: dt.date | None = None,
    order_id: int | None = None,
    notes: str = "",
    reverse_charge: str = "",
    kind: str = InvoiceKind.INVOICE,
    original_id: int | None = None,
    number: tuple[int, str] | None = None,
) -> tuple[int, str]:
    """Write an issued invoice (status unpaid; paid at once when its total is 0); return its id and number.

    `billing` is the snapshot of the billing contact to print. Call inside a write
    transaction. Amounts are minor units of `currency`; negative totals are refused
    (a refund is a credit note, `kind=credit_note`, whose lines are positive).
    `number`, from `next_numbers`, is a number already taken in this transaction.
    """
    exponent(currency)  # an unknown currency is refused
    subtotal, discount, tax, total = totals(lines)
    now = dt.datetime.now(dt.UTC)
    seq, number_text = number or await next_number(store_id, kind)
    paid = total == 0 and kind == InvoiceKind.INVOICE
    row = (
        await Invoice.insert(
            Invoice(
                store=store_id,
                account=account_id,
                kind=kind,
                number=number_text,
                seq=seq,
                status=InvoiceStatus.PAID if paid else InvoiceStatus.UNPAID,
                currency=currency,
                subtotal=subtotal,
                discount=discount,
                tax=tax,
                total=total,
                amount_paid=0,
                billing=dict(billing),
                notes=notes,
                reverse_charge=reverse_charge,
                order_id=order_id,
                original=original_id,
                issued_at=now,
                due_date=due_date or now.date(),
                paid_at=now if paid else None,
            )
        ).returning(Invoice.id)
    )[0]
    invoice_id = int(row["id"])
    await write_lines(invoice_id, lines)
    return invoice_id, number_text


def _id_only(issue: Callable[P, Awaitable[tuple[int, str]]]) -> Callable[P, Awaitable[int]]:
    async def issue_invoice(*args: P.args, **kwargs: P.kwargs) -> int:
        return (await issue(*args, **kwargs))[0]

    issue_invoice.__doc__ = "`issue_numbered_invoice`, answering the invoice's id only."
    return issue_invoice


issue_invoice = _id_only(issue_numbered_invoice)


def check_lines(lines: Sequence[LineDraft]) -> None:
    """Refuse lines people typed that cannot be invoiced: none, negative amounts, quantities below one.

    Used for staff drafts; `issue_invoice` itself only refuses an empty or negative invoice.
    """
    if not lines:
        raise ValidationFailed({"lines": "An invoice needs at least one line."})
    for line in lines:
        if not line.description.strip():
            raise ValidationFailed({"lines": "Every line needs a description."})
        if line.quantity < 1:
            raise ValidationFailed({"lines": "A quantity is at least 1."})
        if line.unit_amount < 0 or line.discount < 0:
            raise ValidationFailed({"lines": "Amounts cannot be negative; refunds are credit notes."})
        if line.discount > line.quantity * line.unit_amount:
            raise ValidationFailed({"lines": "A discount cannot exceed its line's amount."})
        if not 0 <= line.tax_bp <= 10_000:
            raise ValidationFailed({"lines": "A tax rate is between 0 and 100 %."})


def totals(lines: Sequence[LineDraft]) -> tuple[int, int, int, int]:
    """(subtotal, discount, tax, total) of the lines; tax is the sum of the per-line taxes."""
    if not lines:
        raise ValidationFailed({"lines": "An invoice needs at least one line."})
    subtotal = sum(line.quantity * line.unit_amount for line in lines)
    discount = sum(line.discount for line in lines)
    tax = sum(line.tax for line in lines)
    total = subtotal - discount + tax
    if total < 0:
        raise ValidationFailed({"lines": "An invoice cannot total less than zero."})
    return subtotal, discount, tax, total


async def write_lines(invoice_id: int, lines: Sequence[LineDraft]) -> None:
    """Insert an invoice's lines in order (in the caller's transaction)."""
    await InvoiceLine.insert(
        *[
            InvoiceLine(
                invoice=invoice_id,
                description=line.description[:255],
                quantity=line.quantity,
                unit_amount=line.unit_amount,
                discount=line.discount,
                amount=line.amount,
                tax_name=line.tax_name,
                tax_bp=line.tax_bp,
                tax=line.tax,
                product_type=line.product_type,
                service_id=line.service_id,
                order_item_id=line.order_item_id,
                sort=i,
            )
            for i, line in enumerate(lines)
        ]
    )


def snapshot_of(contact: Any) -> dict[str, str]:
    """The billing details printed on an invoice, from a `ContactView` (or {} without one)."""
    if contact is None:
        return {}
    keys = (
        "name",
        "company",
        "email",
        "address1",
        "address2",
        "city",
        "region",
        "postcode",
        "country",
        "country_name",
        "vat_id",
    )
    return {k: str(getattr(contact, k, "") or "") for k in keys}


async def billing_snapshot(account_id: int) -> dict[str, str]:
    """The account's billing contact as printed on an invoice issued now; the account's name without one."""
    from panel.core.contacts import services as contacts

    snapshot = snapshot_of(await contacts.billing_contact(account_id))
    if not snapshot.get("name"):
        row = await Account.select(Account.name).where(Account.id == account_id).first()
        snapshot["name"] = row["name"] if row else ""
    return snapshot


async def account_store(account_id: int) -> dict[str, Any]:
    """The store that invoices the account: its own store, else the provider's default store."""
    row = await Account.select(Account.store).where(Account.id == account_id).first()
    if row is None:
        raise NotFound("No such account.")
    query = Store.select(Store.id, Store.currency, Store.name)
    store = await (
        query.where(Store.id == row["store"]) if row["store"] else query.where(Store.is_default.eq(True))
    ).first()
    if store is None:
        raise PanelError("This account has no store to invoice from: staff must set one first.")
    return dict(store)


async def add_funds_invoice(account_id: int, amount: int, *, by: AuditContext = SYSTEM) -> int:
    """Issue an "Account credit" invoice (no tax) in the store's currency; paying it adds the credit.

    Runs in its own transaction. Paying it from credit is refused (`payments.py`).
    """
    if amount <= 0:
        raise ValidationFailed({"amount": "Enter an amount above zero."})
    store = await account_store(account_id)
    line = LineDraft("Account credit", unit_amount=amount, product_type=ACCOUNT_CREDIT_TYPE)
    async with db.write_transaction():
        invoice_id = await issue_invoice(
            store_id=int(store["id"]),
            account_id=account_id,
            currency=str(store["currency"]),
            lines=[line],
            billing=await billing_snapshot(account_id),
        )
        await record(
            "invoice.add_funds",
            account_id=account_id,
            target=f"invoice:{invoice_id}",
            summary=f"Asked to add {format_money(amount, str(store['currency']))} of account credit.",
            **by,
        )
    return invoice_id
