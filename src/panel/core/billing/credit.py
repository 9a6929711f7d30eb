"""Account credit: one balance per account and currency, and the entries that explain it.

`add` and `spend` run inside the caller's write transaction and always write the
`CreditEntry` beside the change of `CreditBalance`, so the entries of an account sum
to its balance. `spend` is one conditional UPDATE (`balance >= amount`): two
concurrent spends of the whole balance cannot both succeed, on SQLite (one writer
at a time) nor on PostgreSQL (the second waits for the row and then finds too
little). The balance never goes below zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from panel.core import db
from panel.core.audit.services import AuditContext, record
from panel.core.billing.paging import Page
from panel.core.billing.tables import CreditBalance, CreditEntry, CreditKind
from panel.errors import ValidationFailed
from panel.money import exponent, format_money

PAGE_SIZE = 50
KINDS = (CreditKind.DEPOSIT, CreditKind.PAYMENT, CreditKind.REFUND, CreditKind.ADJUSTMENT, CreditKind.OVERPAYMENT)
KIND_LABELS = {
    CreditKind.DEPOSIT: "Funds added",
    CreditKind.PAYMENT: "Invoice payment",
    CreditKind.REFUND: "Refund",
    CreditKind.ADJUSTMENT: "Adjustment by staff",
    CreditKind.OVERPAYMENT: "Overpayment",
    "referral": "Referral reward",  # panel.core.referrals
}


def _check(currency: str, amount: int) -> None:
    exponent(currency)  # unknown currencies are refused
    if amount <= 0:
        raise ValidationFailed({"amount": "Enter an amount above zero."})


async def balance(account_id: int, currency: str) -> int:
    """The account's credit in `currency` (0 when it never had any)."""
    row = (
        await CreditBalance.select(CreditBalance.balance)
        .where((CreditBalance.account == account_id) & (CreditBalance.currency == currency))
        .first()
    )
    return int(row["balance"]) if row else 0


async def balances(account_id: int) -> dict[str, int]:
    """Every currency the account has (or had) credit in, with its balance."""
    rows = await CreditBalance.select(CreditBalance.currency, CreditBalance.balance).where(
        CreditBalance.account == account_id
    )
    return {r["currency"]: int(r["balance"]) for r in sorted(rows, key=lambda r: r["currency"])}


async def _entry(
    account_id: int,
    currency: str,
    amount: int,
    after: int,
    kind: str,
    note: str,
    by: int | None,
    invoice_id: int | None,
    payment_id: int | None,
) -> None:
    await CreditEntry.insert(
        CreditEntry(
            account=account_id,
            currency=currency,
            amount=amount,
            balance_after=after,
            kind=kind,
            invoice_id=invoice_id,
            payment_id=payment_id,
            note=note[:255],
            created_by=by,
        )
    )


async def add(
    account_id: int,
    currency: str,
    amount: int,
    kind: str,
    note: str,
    by: int | None,
    invoice_id: int | None = None,
    payment_id: int | None = None,
) -> int:
    """Add `amount` (> 0) to the account's credit, in the caller's transaction; returns the new balance."""
    _check(currency, amount)
    await CreditBalance.insert(CreditBalance(account=account_id, currency=currency, balance=0)).on_conflict(
        action="DO NOTHING"
    )
    rows = (
        await CreditBalance.update({CreditBalance.balance: CreditBalance.balance + amount})
        .where((CreditBalance.account == account_id) & (CreditBalance.currency == currency))
        .returning(CreditBalance.balance)
    )
    after = int(rows[0]["balance"])
    await _entry(account_id, currency, amount, after, kind, note, by, invoice_id, payment_id)
    return after


async def spend(
    account_id: int,
    currency: str,
    amount: int,
    kind: str,
    note: str,
    by: int | None,
    invoice_id: int | None = None,
    payment_id: int | None = None,
) -> int:
    """Take `amount` (> 0) from the account's credit, in the caller's transaction; returns the new balance.

    Raises `ValidationFailed` on `amount` when the credit is short; nothing changes then.
    """
    _check(currency, amount)
    rows = (
        await CreditBalance.update({CreditBalance.balance: CreditBalance.balance - amount})
        .where(
            (CreditBalance.account == account_id)
            & (CreditBalance.currency == currency)
            & (CreditBalance.balance >= amount)
        )
        .returning(CreditBalance.balance)
    )
    if not rows:
        have = await balance(account_id, currency)
        raise ValidationFailed({"amount": f"Not enough credit: the account has {format_money(have, currency)}."})
    after = int(rows[0]["balance"])
    await _entry(account_id, currency, -amount, after, kind, note, by, invoice_id, payment_id)
    return after


async def adjust(account_id: int, currency: str, amount: int, reason: str, *, by: AuditContext) -> int:
    """Staff add (`amount` > 0) or remove (< 0) credit with a reason; audited. Returns the new balance."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed({"reason": "Say why the credit changes; the client sees it."})
    if amount == 0:
        raise ValidationFailed({"amount": "Enter an amount other than zero."})
    async with db.write_transaction():
        if amount > 0:
            after = await add(account_id, currency, amount, CreditKind.ADJUSTMENT, reason, by["actor"])
        else:
            after = await spend(account_id, currency, -amount, CreditKind.ADJUSTMENT, reason, by["actor"])
        verb = "Added" if amount > 0 else "Removed"
        await record(
            "credit.adjust",
            account_id=account_id,
            target=f"account:{account_id}",
            summary=f"{verb} {format_money(abs(amount), currency)} of account credit: {reason}",
            details={"currency": currency, "amount": amount, "balance_after": after, "reason": reason},
            **by,
        )
    return after


@dataclass(frozen=True)
class EntryView:
    """One credit movement as pages and the API show it."""

    id: int
    currency: str
    amount: int
    balance_after: int
    kind: str
    kind_label: str
    note: str
    invoice_id: int | None
    invoice_number: str
    created_at: datetime
    amount_text: str
    balance_text: str


async def entries(account_id: int, limit: int = PAGE_SIZE, offset: int = 0) -> Page[EntryView]:
    """The account's credit movements, newest first, with the invoice numbers they refer to (two queries)."""
    from panel.core.billing.tables import Invoice

    limit = max(1, min(limit, 500))
    offset = max(0, offset)
    where = CreditEntry.account == account_id
    total = int(await CreditEntry.count().where(where))
    rows = await CreditEntry.select().where(where).order_by(CreditEntry.id, ascending=False).limit(limit).offset(offset)
    invoice_ids = {r["invoice_id"] for r in rows if r["invoice_id"]}
    numbers: dict[int, str] = {}
    if invoice_ids:
        found = await Invoice.select(Invoice.id, Invoice.number).where(Invoice.id.is_in(list(invoice_ids)))
        numbers = {r["id"]: r["number"] or "draft" for r in found}
    return Page([_view(r, numbers) for r in rows], total, limit, offset)


def _view(r: dict[str, Any], numbers: dict[int, str]) -> EntryView:
    return EntryView(
        id=r["id"],
        currency=r["currency"],
        amount=int(r["amount"]),
        balance_after=int(r["balance_after"]),
        kind=r["kind"],
        kind_label=KIND_LABELS.get(r["kind"], r["kind"]),
        note=r["note"],
        invoice_id=r["invoice_id"],
        invoice_number=numbers.get(r["invoice_id"], "") if r["invoice_id"] else "",
        created_at=r["created_at"],
        amount_text=format_money(int(r["amount"]), r["currency"]),
        balance_text=format_money(int(r["balance_after"]), r["currency"]),
    )
