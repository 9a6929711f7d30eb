"""Demo data: a provider admin, staff, two stores, accounts and users.

Idempotent: running it again creates nothing twice, and gives every demo login a
fresh random password, which it returns so the CLI can print it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from panel.core import db
from panel.core.accounts import services as accounts
from panel.core.accounts.tables import Account
from panel.core.auth import services as auth
from panel.core.authz import Authorizer
from panel.core.billing import credit
from panel.core.billing.tables import CreditEntry, CreditKind
from panel.core.catalog.demo import load_demo_catalog
from panel.core.stores.tables import Store, StoreKind
from panel.core.support import demo as support_demo


@dataclass(frozen=True)
class DemoLogin:
    """A login to print."""

    email: str
    password: str
    what: str


STAFF = (
    ("admin@example.com", "Ada Admin", "admin", "provider admin (admin area)"),
    ("support@example.com", "Sam Support", "support", "support staff"),
    ("billing@example.com", "Bill Billing", "billing", "billing staff"),
)
CLIENTS = (
    (
        "alice@example.com",
        "Alice Meyer",
        "owner of two accounts (one runs the Acme reseller store), billing in a third",
    ),
    ("bob@example.com", "Bob Baker", "owner of Bob's Bakery"),
    ("carol@example.com", "Carol Chen", "domains and tickets in Alice Web Studio"),
)
STORES = (("Main store", "main", "USD", True), ("Acme Reseller", "acme", "EUR", False))
ACCOUNTS: tuple[tuple[str, str, str, list[tuple[str, list[str]]]], ...] = (
    ("Alice Web Studio", "alice@example.com", "main", [("carol@example.com", ["domains", "tickets"])]),
    ("Alice Personal", "alice@example.com", "main", []),
    ("Bob's Bakery", "bob@example.com", "acme", [("alice@example.com", ["invoices"])]),
    ("Dormant Ltd", "bob@example.com", "main", []),
)
SUSPENDED = ("Dormant Ltd",)
DEMO_CREDIT = "Demo credit"


def _password() -> str:
    return "demo-" + secrets.token_urlsafe(9)


async def _user(email: str, name: str, password: str) -> int:
    user_id = await auth.user_id_by_email(email)
    if user_id is None:
        return await auth.create_user(email, password, name)
    await auth.set_password(user_id, password)
    return user_id


async def load_demo(authz: Authorizer) -> list[DemoLogin]:
    """Create what is missing and return the logins with fresh passwords."""
    logins: list[DemoLogin] = []
    ids: dict[str, int] = {}
    for email, name, role, what in STAFF:
        password = _password()
        ids[email] = await _user(email, name, password)
        await auth.grant_staff_role(authz, ids[email], role)
        logins.append(DemoLogin(email, password, what))
    for email, name, what in CLIENTS:
        password = _password()
        ids[email] = await _user(email, name, password)
        logins.append(DemoLogin(email, password, what))
    store_ids: dict[str, int] = {}
    for name, slug, currency, default in STORES:
        row = await Store.select(Store.id).where(Store.slug == slug).first()
        if row is None:
            row = (
                await Store.insert(Store(name=name, slug=slug, currency=currency, is_default=default)).returning(
                    Store.id
                )
            )[0]
        store_ids[slug] = row["id"]
    for name, owner, store, members in ACCOUNTS:
        row = await Account.select(Account.id).where(Account.name == name).first()
        account_id = row["id"] if row else await accounts.create_account(authz, name, ids[owner], store_ids[store])
        for email, perms in members:
            await accounts.add_member(authz, account_id, ids[email], perms)
        if name in SUSPENDED:
            await accounts.suspend(authz, account_id)
    await _storefront(store_ids)
    await load_demo_catalog(store_ids)
    await _client_area(store_ids["main"])
    await support_demo.seed(staff_emails=("support@example.com", "admin@example.com"))
    return logins


async def _storefront(store_ids: dict[str, int]) -> None:
    """Policies of the main store; Alice Web Studio runs Acme as its reseller store; some credit."""
    await Store.update(
        {Store.money_back_days: 30, Store.contact_instructions: "Write to support@example.com or call +1 555 0100."}
    ).where(Store.id == store_ids["main"])
    studio = await Account.select(Account.id).where(Account.name == "Alice Web Studio").first()
    await Store.update(
        {
            Store.kind: StoreKind.RESELLER,
            Store.reseller: studio["id"] if studio else None,
            Store.brand_name: "Acme Hosting",
            Store.accent_color: "#b5452b",
            Store.setup_fees_allowed: False,
            Store.money_back_days: 100,
            Store.contact_instructions: "Acme Hosting support: help@acme.example.",
        }
    ).where(Store.id == store_ids["acme"])
    personal = await Account.select(Account.id).where(Account.name == "Alice Personal").first()
    if personal and not await CreditEntry.exists().where(
        (CreditEntry.account == personal["id"]) & (CreditEntry.note == DEMO_CREDIT)
    ):
        async with db.write_transaction():
            await credit.add(personal["id"], "USD", 2500, CreditKind.ADJUSTMENT, DEMO_CREDIT, None)


DEMO_SERVICES = ("alice-personal.example", "alice-blog.example")


async def _client_area(store_id: int) -> None:
    """Alice Personal: two live Starter plans due in ten days, each with an unpaid renewal invoice."""
    import datetime as dt

    from panel.core.catalog.tables import Product
    from panel.core.lifecycle.renewals import renew_now
    from panel.core.services.services import create_pending_service
    from panel.core.services.tables import Service, ServiceStatus

    personal = await Account.select(Account.id).where(Account.name == "Alice Personal").first()
    starter = await Product.select(Product.id).where(Product.slug == "starter").first()
    if personal is None or starter is None:
        return
    for label in DEMO_SERVICES:
        if await Service.exists().where((Service.account == personal["id"]) & (Service.label == label)):
            continue
        async with db.write_transaction():
            service_id = await create_pending_service(
                account_id=personal["id"],
                store_id=store_id,
                product_id=starter["id"],
                product_type="core.hosting_plan",
                label=label,
                cycle="monthly",
                currency="USD",
                recurring_amount=500,
                fields={"domain": label},
            )
            today = dt.datetime.now(dt.UTC)
            await Service.update(
                {
                    Service.status: ServiceStatus.ACTIVE,
                    Service.activated_at: today - dt.timedelta(days=20),
                    Service.next_due_date: (today + dt.timedelta(days=10)).date(),
                }
            ).where(Service.id == service_id)
        await renew_now(personal["id"], [service_id])
