"""The partner store: only the partner changes the plan; it pays by Reseller Card or Customer Card, tagged so."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import factories as f
import pcsupport as w
from dummy_plugin import card
from panel.core.billing.tables import Invoice, PayerKind, Payment, PaymentMethod
from panel.core.catalog.tables import Price, PriceTarget, Product, ProductGroup, StoreProduct
from panel.core.lifecycle.tables import PackageChange
from panel.core.services import provisioning
from panel.core.services.lifecycle import utc_today
from panel.core.services.tables import Service
from services import commerce

from panel_partner_console.tables import PartnerLink

VISA, MASTERCARD, DECLINED = "4242424242424242", "5555555555554444", "4000000000000002"


async def _product(name: str, group: int, store: int, amount: int) -> int:
    row = await Product.insert(
        Product(name=name, slug=name.lower(), group=group, product_type="dummy.thing", config={})
    ).returning(Product.id)
    product_id = int(row[0]["id"])
    await StoreProduct.insert(StoreProduct(store=store, product=product_id))
    await Price.insert(
        Price(
            store=store,
            target=PriceTarget.PRODUCT,
            target_id=product_id,
            currency="USD",
            cycle="monthly",
            amount=amount,
        )
    )
    return product_id


async def _plans(client: Any, account: int) -> tuple[int, dict[str, int]]:
    """Small, Large and XL plans of one group; Acme runs Small, due in 10 days (mid-period)."""
    store = await commerce.store(default=True)
    group = int(
        (await ProductGroup.insert(ProductGroup(name="Plans", slug="plans")).returning(ProductGroup.id))[0]["id"]
    )
    plans = {n: await _product(n, group, store, a) for n, a in (("Small", 1000), ("Large", 2500), ("XL", 4000))}
    order_id, [sid] = await commerce.order(
        account, store, [{"product": plans["Small"], "type": "dummy.thing", "label": "acme.example", "amount": 1000}]
    )
    await provisioning.enqueue_order(client.app.state.settings, order_id)
    await f.run_jobs(client.app)
    await Service.update({Service.next_due_date: utc_today() + timedelta(days=10)}).where(Service.id == sid)
    return sid, plans


async def _package(sid: int) -> int:
    row = await Service.select(Service.product).where(Service.id == sid).first()
    return int(row["product"])


async def test_only_the_partner_changes_the_plan_and_pays_by_either_card(client: Any, smtp: Any) -> None:
    wd = await w.world(client)
    sid, plans = await _plans(client, wd.acme)

    # the customer's owner sees the plan and "contact your partner", and is refused with the rule
    await f.login_as(client, w.ALICE)
    page = await client.get(f"/services/{sid}/change")
    assert 'data-testid="plan-managed"' in page.text and "contact your partner" in page.text
    assert f'action="/services/{sid}/change"' not in page.text
    refused = await f.post_form(client, f"/services/{sid}/change", {"product_id": str(plans["Large"])})
    assert refused.status_code == 403
    assert "p, role:owner, class:partner_managed, subscription, ^update$, deny" in w.reason(refused)
    assert await _package(sid) == plans["Small"]

    # the partner keeps a reseller card of its own
    await f.login_as(client, w.PARTNER_OWNER)
    await client.get("/payment-methods")
    added = await f.post_form(
        client, "/payment-methods", {"gateway": card.NAME, "card_number": VISA, "expiry": "12/30", "reseller": "1"}
    )
    assert added.status_code == 303, added.text[:300]

    # Change card: "Are you using the customer's card?" must be answered; yes stores it on the customer
    form = await client.get(f"/partner/children/{wd.acme}/card")
    assert "Are you using the customer's card?" in form.text
    unanswered = await f.post_form(
        client, f"/partner/children/{wd.acme}/card", {"gateway": card.NAME, "card_number": MASTERCARD}
    )
    assert unanswered.status_code == 422 and 'id="customer_card-error"' in unanswered.text
    yes = await f.post_form(
        client,
        f"/partner/children/{wd.acme}/card",
        {"customer_card": "yes", "gateway": card.NAME, "card_number": MASTERCARD, "expiry": "11/29"},
    )
    assert yes.status_code == 303
    customer_card = await PaymentMethod.select().where(PaymentMethod.account == wd.acme).first()
    assert customer_card is not None and customer_card["payer"] == PayerKind.CUSTOMER
    page = await client.get(f"/partner/children/{wd.acme}/card")
    assert re.search(r"Customer Card: Mastercard[^<]*4444 <span class=\"tag\" data-testid=\"chosen\">", page.text)
    reseller_card = await PaymentMethod.select().where(PaymentMethod.account == wd.partner).first()
    assert reseller_card["payer"] == PayerKind.RESELLER
    assert (
        await f.post_form(client, f"/partner/children/{wd.acme}/card", {"method_id": str(reseller_card["id"])})
    ).status_code == 303
    link = await PartnerLink.select(PartnerLink.card).where(PartnerLink.child == wd.acme).first()
    assert link["card"] == reseller_card["id"]

    # upgrade Small -> Large, prorated, paid by the Reseller Card
    plan = await client.get(f"/partner/children/{wd.acme}/plan")
    assert "Reseller Card: Visa" in plan.text and "Customer Card: Mastercard" in plan.text
    paid = await f.post_form(
        client,
        f"/partner/children/{wd.acme}/plan",
        {"service_id": str(sid), "product_id": str(plans["Large"]), "method_id": str(reseller_card["id"])},
    )
    assert paid.status_code == 303, paid.text[:400]
    await f.run_jobs(client.app)
    assert await _package(sid) == plans["Large"]
    first = await Payment.select().where(Payment.account == wd.acme).first()
    assert first["payer"] == PayerKind.RESELLER and first["payer_account"] == wd.partner
    assert 0 < first["amount"] < 1500  # the prorated difference, not a month
    assert sum(c.amount for c in card.LEDGER.values() if c.card == VISA) >= first["amount"]

    # a declined Customer Card leaves nothing half done: no open change, no unpaid invoice
    declined = await f.post_form(
        client,
        f"/partner/children/{wd.acme}/card",
        {"customer_card": "yes", "gateway": card.NAME, "card_number": DECLINED},
    )
    assert declined.status_code == 303
    bad = (
        await PaymentMethod.select()
        .where((PaymentMethod.account == wd.acme) & PaymentMethod.label.like("%0002"))
        .first()
    )
    failed = await f.post_form(
        client,
        f"/partner/children/{wd.acme}/plan",
        {"service_id": str(sid), "product_id": str(plans["XL"]), "method_id": str(bad["id"])},
    )
    assert failed.status_code == 422 and 'data-testid="error"' in failed.text
    assert await PackageChange.count().where((PackageChange.service == sid) & (PackageChange.status == "open")) == 0
    assert await Invoice.count().where((Invoice.account == wd.acme) & (Invoice.status == "unpaid")) == 0
    assert await _package(sid) == plans["Large"]

    # upgrade Large -> XL paid by the Customer Card
    again = await f.post_form(
        client,
        f"/partner/children/{wd.acme}/plan",
        {"service_id": str(sid), "product_id": str(plans["XL"]), "method_id": str(customer_card["id"])},
    )
    assert again.status_code == 303
    await f.run_jobs(client.app)
    assert await _package(sid) == plans["XL"]
    payers = [
        r["payer"] for r in await Payment.select(Payment.payer).where(Payment.account == wd.acme).order_by(Payment.id)
    ]
    assert payers == [PayerKind.RESELLER, PayerKind.CUSTOMER]

    # the report tags each payment; the customer's invoices say who paid
    report = await client.get("/partner/payments")
    tags = re.findall(r'data-testid="paid-by">([^<(]+)', report.text)
    assert [t.strip() for t in tags] == ["Customer Card", "Reseller Card"]
    await f.login_as(client, w.ALICE)
    invoice = await client.get(f"/invoices/{first['invoice']}")
    assert "Paid by reseller card (Visa" in invoice.text
