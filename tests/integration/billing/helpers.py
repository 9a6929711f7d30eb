"""Data and shortcuts for the billing tests: stores, client accounts, invoices, orders, forms."""

from __future__ import annotations

from typing import Any

import factories as f

from panel.core import db
from panel.core.accounts import services as accounts
from panel.core.billing import credit
from panel.core.billing.invoicing import LineDraft, billing_snapshot, issue_invoice
from panel.core.billing.tables import (
    CreditBalance,
    CreditEntry,
    CreditKind,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentMethod,
)
from panel.core.contacts import services as contacts
from panel.core.orders.tables import Order
from panel.core.stores.tables import Store

HOSTING = LineDraft("Hosting, 1 month", unit_amount=1000, tax_name="VAT", tax_bp=2100)  # 10.00 + 2.10 VAT


async def make_store(
    name: str = "Main",
    slug: str = "main",
    *,
    currency: str = "EUR",
    prefix: str = "",
    default: bool = True,
    reseller: int | None = None,
    **extra: Any,
) -> int:
    """A store; the first one is the provider's default."""
    kind = "reseller" if reseller else "provider"
    row = await Store.insert(
        Store(
            name=name,
            slug=slug,
            currency=currency,
            invoice_prefix=prefix,
            is_default=default,
            kind=kind,
            reseller=reseller,
            **extra,
        )
    ).returning(Store.id)
    return int(row[0]["id"])


async def client_account(
    authz: Any, email: str, store_id: int | None, members: dict[str, list[str]] | None = None
) -> int:
    """An account owned by a new user `email`, bound to the store, with a billing address.

    `members` maps more emails to their permissions in the account.
    """
    owner = await f.user(authz, email)
    member_ids = {await f.user(authz, m): perms for m, perms in (members or {}).items()}
    account_id = await accounts.create_account(authz, f"{email.split('@')[0].title()} Ltd", owner, store_id)
    for member_id, perms in member_ids.items():
        await accounts.add_member(authz, account_id, member_id, perms)
    await contacts.save_primary(
        account_id,
        {
            "name": email.split("@")[0].title(),
            "email": email,
            "address1": "1 Main Street",
            "city": "Utrecht",
            "postcode": "3511 AA",
            "country": "NL",
        },
    )
    return account_id


async def issue(
    store_id: int,
    account_id: int,
    lines: list[LineDraft] | None = None,
    *,
    currency: str = "EUR",
    order: bool = False,
    reverse_charge: str = "",
) -> int:
    """An issued invoice (12.10 EUR by default); with `order`, raised for a new pending order."""
    async with db.write_transaction():
        order_id = None
        if order:
            row = await Order.insert(
                Order(number=f"ORD-{account_id}-{store_id}", account=account_id, store=store_id, currency=currency)
            ).returning(Order.id)
            order_id = int(row[0]["id"])
        invoice_id = await issue_invoice(
            store_id=store_id,
            account_id=account_id,
            currency=currency,
            lines=lines or [HOSTING],
            billing=await billing_snapshot(account_id),
            order_id=order_id,
            reverse_charge=reverse_charge,
        )
        if order_id is not None:
            await Order.update({Order.invoice_id: invoice_id}).where(Order.id == order_id)
    return invoice_id


async def give_credit(account_id: int, amount: int, currency: str = "EUR") -> None:
    """Credit for an account, as a staff adjustment would add it."""
    async with db.write_transaction():
        await credit.add(account_id, currency, amount, CreditKind.ADJUSTMENT, "test credit", None)


async def invoice_row(invoice_id: int) -> dict[str, Any]:
    """The invoice's row."""
    return dict(await Invoice.select().where(Invoice.id == invoice_id).output(load_json=True).first())


async def order_of(invoice_id: int) -> dict[str, Any]:
    """The order raised with the invoice."""
    return dict(await Order.select().where(Order.invoice_id == invoice_id).first())


async def lines_of(invoice_id: int) -> list[dict[str, Any]]:
    """The invoice's lines, in order, without ids."""
    rows = await InvoiceLine.select().where(InvoiceLine.invoice == invoice_id).order_by(InvoiceLine.sort)
    return [{k: v for k, v in r.items() if k != "id"} for r in rows]


async def counts() -> dict[str, int]:
    """Rows of each billing table, to prove a refused action wrote nothing."""
    return {
        "invoices": await Invoice.count(),
        "lines": await InvoiceLine.count(),
        "payments": await Payment.count(),
        "credit_entries": await CreditEntry.count(),
        "credit_balances": await CreditBalance.count(),
        "methods": await PaymentMethod.count(),
    }


async def login(client: Any, email: str) -> None:
    """Log `email` in (forgetting any earlier login)."""
    client.cookies.clear()
    answer = await f.login(client, email)
    assert answer.status_code in (302, 303), answer.text


async def staff(client: Any, authz: Any, role: str) -> int:
    """A staff user of `role`, logged in."""
    email = f"{role}-staff@example.com"
    user_id = await f.user(authz, email, staff=role)
    await login(client, email)
    return user_id


async def post_form(client: Any, path: str, data: dict[str, str] | None = None) -> Any:
    """POST a form the way a browser does (with the CSRF token), not following redirects."""
    return await client.post(path, data={**(data or {}), "_csrf_token": f.csrf(client)}, follow_redirects=False)


def paid_events(events: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The dummy plugin's `panel_on_invoice_paid` notifications."""
    return [e for kind, e in events if kind == "invoice_paid"]
