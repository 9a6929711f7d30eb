"""Upgrades and downgrades: prorated invoice or credit, applied once by a job, refused types, deny paths."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import dummy_plugin
import factories as f
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from services import commerce  # tests/integration/services (its folder is on the path)
from support import empty_tables, shared_app

from panel.core import db, runtime
from panel.core.accounts import services as accounts
from panel.core.audit.services import SYSTEM
from panel.core.audit.tables import AuditEvent
from panel.core.billing import credit
from panel.core.billing.payments import record_bank_transfer
from panel.core.billing.tables import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from panel.core.catalog.tables import Price, PriceTarget, Product, ProductGroup, StoreProduct
from panel.core.contacts import services as contacts
from panel.core.jobs.services import enqueue
from panel.core.lifecycle import packages, renewals
from panel.core.lifecycle.config import LifecycleConfig
from panel.core.lifecycle.tables import PackageChange
from panel.core.mail.tables import OutgoingEmail
from panel.core.orders import taxes
from panel.core.services import provisioning
from panel.core.services.lifecycle import add_months, utc_today
from panel.core.services.services import as_dict
from panel.core.services.tables import Service, ServiceStatus
from panel.errors import ValidationFailed
from panel.plugin import PluginMeta, hookimpl
from panel.product_types import OperationResult, ProductType, ServiceContext
from panel.settings import Setting, Settings

TYPE = "pkgtest.plan"
SMALL, LARGE, TINY = 1000, 2500, 600
TAX_BP = 1000  # 10 % for the buyer's address


class Plan(ProductType):
    """A hosting plan that records each `change_package` and refuses while `refusal` is set."""

    name = TYPE
    label = "Test plan"
    options = (Setting("disk", "Disk in GB.", default="10"),)
    calls: list[tuple[int, dict[str, Any]]] = []  # noqa: RUF012 - reset by the fixture
    refusal = ""

    async def change_package(self, ctx: ServiceContext, new_config: Mapping[str, Any]) -> OperationResult:
        type(self).calls.append((ctx.service_id, dict(new_config)))
        if self.refusal:
            return OperationResult(ok=False, message=self.refusal)
        return OperationResult(data={"plan_disk": new_config.get("disk")})


EVENTS: list[tuple[str, int]] = []


class PackagePlugin:
    """Registers the test plan and records service events."""

    PLUGIN_META = PluginMeta(name="pkgtest", version="0.1.0", summary="a plan that records package changes")

    @staticmethod
    @hookimpl
    def panel_register_product_types(register: Callable[[ProductType], None]) -> None:
        register(Plan())

    @staticmethod
    @hookimpl
    async def panel_on_service_event(event: str, service_id: int, account_id: int, product_type: str) -> None:
        EVENTS.append((event, service_id))


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The lifecycle client, with the test plan's plugin installed too."""
    Plan.calls, Plan.refusal = [], ""
    EVENTS.clear()
    application = shared_app(settings, dummy_plugin, PackagePlugin)
    await db.migrate()
    await empty_tables()
    async with AsyncTestClient(app=application, base_url="http://testserver.local") as c:
        yield c
    Plan.calls, Plan.refusal = [], ""


@dataclass(frozen=True)
class Shop:
    store: int
    account: int
    small: int
    large: int
    tiny: int
    elsewhere: int  # same type, another group
    other_type: int  # same group, another type


async def _product(name: str, group: int, store: int, amount: int, product_type: str = TYPE, **config: Any) -> int:
    row = await Product.insert(
        Product(name=name, slug=name.lower().replace(" ", "-"), group=group, product_type=product_type, config=config)
    ).returning(Product.id)
    product_id = int(row[0]["id"])
    await StoreProduct.insert(StoreProduct(store=store, product=product_id))
    await Price.insert(
        *[
            Price(store=store, target=PriceTarget.PRODUCT, target_id=product_id, currency="USD", cycle=c, amount=a)
            for c, a in (("monthly", amount), ("annual", amount * 10))
        ]
    )
    return product_id


async def _group(slug: str) -> int:
    return int((await ProductGroup.insert(ProductGroup(name=slug, slug=slug)).returning(ProductGroup.id))[0]["id"])


async def shop(app: Any) -> Shop:
    """A store selling three plans of one group, a plan of another group and a thing; a New York buyer (10 %)."""
    store = await commerce.store(default=True)
    plans, others = await _group("plans"), await _group("others")
    small = await _product("Small", plans, store, SMALL, disk="10")
    large = await _product("Large", plans, store, LARGE, disk="50")
    tiny = await _product("Tiny", plans, store, TINY, disk="5")
    elsewhere = await _product("Elsewhere", others, store, 3000)
    other_type = await _product("Thing", plans, store, 2000, product_type="dummy.thing")
    _, account = await f.client_of(app.state.authz, "owner@example.com", store)
    await contacts.save_primary(
        account, {"name": "Owner", "email": "owner@example.com", "country": "US", "region": "New York"}
    )
    await taxes.create_rule({"name": "NY tax", "country": "US", "region": "New York", "rate": "10"})
    return Shop(store, account, small, large, tiny, elsewhere, other_type)


async def plan_service(app: Any, s: Shop, product: int, amount: int, label: str, days_left: int = 10) -> int:
    """An active service of the plan, its due date `days_left` days away (mid-period)."""
    order_id, [sid] = await commerce.order(
        s.account, s.store, [{"product": product, "type": TYPE, "label": label, "amount": amount}]
    )
    await provisioning.enqueue_order(app.state.settings, order_id)
    await f.run_jobs(app)
    await Service.update({Service.next_due_date: utc_today() + timedelta(days=days_left)}).where(Service.id == sid)
    assert (await _service(sid))["status"] == ServiceStatus.ACTIVE
    return sid


async def _service(sid: int) -> dict[str, Any]:
    row = await Service.select().where(Service.id == sid).first()
    assert row is not None
    return dict(row)


def expected(difference: int, days_left: int = 10) -> tuple[int, int]:
    """(prorated amount, tax) computed here by hand: difference x days left / days of the month-long period."""
    due = utc_today() + timedelta(days=days_left)
    period = (due - add_months(due, -1)).days
    amount = int((Decimal(difference) * days_left / period).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    tax = int((Decimal(abs(amount)) * TAX_BP / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return amount, tax if amount >= 0 else -tax


async def api(client: Any, method: str, path: str, body: Any = None) -> Any:
    """An API call from the logged-in browser session (with its CSRF token)."""
    await f.get_csrf(client)
    return await client.request(method, path, json=body, headers={"x-csrftoken": f.csrf(client)})


async def events(action: str) -> int:
    return await AuditEvent.count().where(AuditEvent.action == action)


def subjects(smtp: Any) -> list[str]:
    return [str(m["Subject"]) for m in smtp.messages]


def text_of(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


async def test_an_upgrade_mid_period_invoices_the_prorated_difference_and_applies_once_paid(client, smtp):
    app = client.app
    s = await shop(app)
    sid = await plan_service(app, s, s.small, SMALL, "site.example")
    await smtp.wait_for(1)  # the welcome email
    amount, tax = expected(LARGE - SMALL)
    assert 0 < amount < LARGE - SMALL

    await f.login_as(client, "owner@example.com")
    detail = await client.get(f"/services/{sid}")
    assert f'href="/services/{sid}/change"' in detail.text
    page = await client.get(f"/services/{sid}/change")
    assert page.status_code == 200
    assert "Large" in page.text and "Tiny" in page.text
    assert "Elsewhere" not in page.text and "Thing" not in page.text  # other group, other type
    assert f"${(amount + tax) / 100:.2f} to pay now" in page.text

    sent = await f.post_form(client, f"/services/{sid}/change", {"product_id": s.large})
    assert sent.status_code == 303
    invoice_id = int(sent.headers["location"].rsplit("/", 1)[1])
    invoice = await Invoice.select().where(Invoice.id == invoice_id).first()
    assert (invoice["status"], invoice["subtotal"], invoice["tax"], invoice["total"]) == (
        InvoiceStatus.UNPAID,
        amount,
        tax,
        amount + tax,
    )
    [line] = await InvoiceLine.select().where(InvoiceLine.invoice == invoice_id)
    last_day = utc_today() + timedelta(days=9)
    assert line["description"] == f"site.example: upgrade Small to Large, prorated to {last_day.isoformat()}"
    assert line["service_id"] == sid and line["tax_bp"] == TAX_BP
    await f.run_jobs(app)
    assert Plan.calls == [] and (await _service(sid))["product"] == s.small  # nothing changes before payment

    # A second change while this one waits is refused, with the reason.
    again = await api(client, "POST", f"/api/v1/accounts/{s.account}/services/{sid}/package", {"product_id": s.tiny})
    assert again.status_code == 422 and invoice["number"] in again.text

    await record_bank_transfer(runtime.current(), invoice_id, amount + tax, "BANK-1", None, by=SYSTEM)
    await f.run_jobs(app)
    [change] = await PackageChange.select()
    await enqueue(app.state.settings, "lifecycle.package_change", {"change_id": change["id"]}, key="rerun")
    await f.run_jobs(app)  # the job once more, as after a crash: nothing happens twice

    row = await _service(sid)
    assert (row["product"], row["recurring_amount"], row["label"]) == (s.large, LARGE, "site.example")
    assert as_dict(row["data"])["plan_disk"] == "50"  # what the type returned is kept on the service
    assert Plan.calls == [(sid, {"disk": "50"})]
    assert EVENTS.count(("package_changed", sid)) == 1
    assert await events("service.package_change") == 1
    assert (await PackageChange.select(PackageChange.status).first())["status"] == "applied"
    await smtp.wait_for(2)
    assert subjects(smtp)[1:] == ["site.example now runs on Large"]
    assert await OutgoingEmail.count().where(OutgoingEmail.template == "package_changed") == 1  # however often it ran
    assert "From its next renewal it costs $25.00, billed monthly." in text_of(smtp.messages[1])

    # The next renewal invoice charges the new price.
    run = await renewals.issue_due_renewals(utc_today(), LifecycleConfig())
    renewal = await Invoice.select().where(Invoice.id == run.invoices[0]).first()
    assert (renewal["subtotal"], renewal["tax"]) == (LARGE, LARGE * TAX_BP // 10_000)


async def test_a_downgrade_applies_at_once_and_credits_the_difference(client, smtp):
    app = client.app
    s = await shop(app)
    sid = await plan_service(app, s, s.small, SMALL, "Small", days_left=20)
    amount, tax = expected(TINY - SMALL, days_left=20)
    assert amount < 0
    await f.login_as(client, "owner@example.com")

    answer = await api(client, "POST", f"/api/v1/accounts/{s.account}/services/{sid}/package", {"product_id": s.tiny})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["status"], body["prorated_amount"], body["invoice_id"], body["new_amount"]) == (
        "open",
        amount,
        None,
        TINY,
    )
    assert await Invoice.count().where(Invoice.kind == InvoiceKind.INVOICE) == 0

    await f.run_jobs(app)
    await enqueue(app.state.settings, "lifecycle.package_change", {"change_id": body["id"]}, key="rerun")
    await f.run_jobs(app)

    row = await _service(sid)
    assert (row["product"], row["recurring_amount"], row["label"]) == (s.tiny, TINY, "Tiny")
    credited = -(amount + tax)
    assert await credit.balance(s.account, "USD") == credited
    [note] = await Invoice.select().where(Invoice.kind == InvoiceKind.CREDIT_NOTE)
    assert (note["total"], note["tax"], note["status"]) == (credited, -tax, InvoiceStatus.PAID)
    [line] = await InvoiceLine.select().where(InvoiceLine.invoice == note["id"])
    assert line["description"].startswith("Small: downgrade Small to Tiny, prorated to")
    assert Plan.calls == [(sid, {"disk": "5"})] and EVENTS.count(("package_changed", sid)) == 1
    page = await client.get(f"/services/{sid}/change")
    assert 'data-status="applied"' in page.text and "in your account credit" in page.text
    await smtp.wait_for(2)
    [mail] = [m for m in smtp.messages if m["Subject"] == "Tiny now runs on Tiny"]
    assert f"${credited / 100:.2f}, is in your account credit" in text_of(mail)


async def test_a_type_that_refuses_leaves_the_change_failed_and_the_money_as_credit(client, smtp):
    app = client.app
    s = await shop(app)
    sid = await plan_service(app, s, s.small, SMALL, "site.example")
    Plan.refusal = "The server has no room for a larger plan."
    await f.login_as(client, "owner@example.com")

    answer = await api(client, "POST", f"/api/v1/accounts/{s.account}/services/{sid}/package", {"product_id": s.large})
    assert answer.status_code == 201, answer.text
    invoice_id = answer.json()["invoice_id"]
    total = (await Invoice.select(Invoice.total).where(Invoice.id == invoice_id).first())["total"]
    await record_bank_transfer(runtime.current(), invoice_id, total, "BANK-2", None, by=SYSTEM)
    await f.run_jobs(app)
    await f.run_jobs(app)

    change = await PackageChange.select().first()
    assert (change["status"], change["error"]) == ("failed", "The server has no room for a larger plan.")
    row = await _service(sid)
    assert (row["product"], row["recurring_amount"]) == (s.small, SMALL)
    assert await credit.balance(s.account, "USD") == total
    assert (await Invoice.select(Invoice.status).where(Invoice.id == invoice_id).first())["status"] == "refunded"
    assert await events("service.package_change_failed") == 1 and await events("invoice.refund") == 1
    assert ("package_changed", sid) not in EVENTS and len(Plan.calls) == 1
    page = await client.get(f"/services/{sid}/change")
    assert "could not be made: The server has no room for a larger plan." in page.text

    # After a failure the client may try again.
    Plan.refusal = ""
    retry = await api(client, "POST", f"/api/v1/accounts/{s.account}/services/{sid}/package", {"product_id": s.tiny})
    assert retry.status_code == 201


async def test_an_unpaid_upgrade_can_be_withdrawn_with_its_invoice(client):
    app = client.app
    s = await shop(app)
    sid = await plan_service(app, s, s.small, SMALL, "site.example")
    await f.login_as(client, "owner@example.com")
    sent = await f.post_form(client, f"/services/{sid}/change", {"product_id": s.large})
    invoice_id = int(sent.headers["location"].rsplit("/", 1)[1])

    withdrawn = await f.post_form(client, f"/services/{sid}/change/withdraw")
    assert withdrawn.status_code == 303
    assert (await Invoice.select(Invoice.status).where(Invoice.id == invoice_id).first())["status"] == "cancelled"
    assert (await PackageChange.select(PackageChange.status).first())["status"] == "cancelled"
    options = await api(client, "GET", f"/api/v1/accounts/{s.account}/services/{sid}/package")
    assert [o["name"] for o in options.json()["options"]] == ["Tiny", "Large"]


async def test_deny_paths(client):
    app = client.app
    s = await shop(app)
    mine = await plan_service(app, s, s.small, SMALL, "mine.example")
    _, other_account = await f.client_of(app.state.authz, "other@example.com", s.store)
    theirs = await plan_service(app, type(s)(**{**s.__dict__, "account": other_account}), s.small, SMALL, "theirs")
    await f.login_as(client, "owner@example.com")
    path = f"/api/v1/accounts/{s.account}/services"

    assert (await client.get(f"/services/{theirs}/change")).status_code == 404
    assert (await api(client, "POST", f"{path}/{theirs}/package", {"product_id": s.large})).status_code == 404
    refused = await f.post_form(client, f"/services/{theirs}/change", {"product_id": s.large})
    assert refused.status_code == 404

    for product in (s.elsewhere, s.other_type, s.small):
        answer = await api(client, "POST", f"{path}/{mine}/package", {"product_id": product})
        assert answer.status_code == 422 and "not on offer" in answer.text, answer.text
    page = await f.post_form(client, f"/services/{mine}/change", {"product_id": s.elsewhere})
    assert page.status_code == 422 and "not on offer" in page.text

    await Service.update({Service.status: ServiceStatus.SUSPENDED}).where(Service.id == mine)
    suspended = await api(client, "POST", f"{path}/{mine}/package", {"product_id": s.large})
    assert suspended.status_code == 422 and "Only an active service" in suspended.text
    await Service.update({Service.status: ServiceStatus.ACTIVE}).where(Service.id == mine)

    billing = await f.user(app.state.authz, "billing@example.com")
    await accounts.add_member(app.state.authz, s.account, billing, ["invoices"])
    await f.login_as(client, "billing@example.com")
    assert (await client.get(f"/services/{mine}/change")).status_code == 403
    assert (await api(client, "POST", f"{path}/{mine}/package", {"product_id": s.large})).status_code == 403
    assert await PackageChange.count() == 0 and await Invoice.count() == 0


async def test_two_requests_at_once_leave_one_change(client):
    app = client.app
    s = await shop(app)
    sid = await plan_service(app, s, s.small, SMALL, "site.example")

    results = await asyncio.gather(
        packages.request_change(s.account, sid, s.large),
        packages.request_change(s.account, sid, s.large),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, ValidationFailed)]
    assert len(refused) == 1 and "already under way" in refused[0].message, results
    assert await PackageChange.count() == 1 and await Invoice.count() == 1
