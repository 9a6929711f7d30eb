"""Taxes by country and region, the most specific rule winning, and reverse charge with a VAT id."""

from __future__ import annotations

import factories as f

from panel.core.billing.tables import Invoice, InvoiceLine
from panel.core.contacts import services as contacts
from panel.core.orders import taxes
from panel.core.orders.tables import TaxRule
from panel.core.orders.taxes import BuyerPlace

from .shop import bind, place, post


async def _rule(**fields) -> int:
    return await taxes.create_rule({"name": "VAT", **fields})


async def _buyer(authz, shop, email: str, **address) -> int:
    owner = await f.user(authz, email)
    account_id = await f.account(authz, email, owner)
    await bind(account_id, shop.main)
    await contacts.save_primary(account_id, {"name": "Buyer", "email": email, **address})
    return account_id


async def test_the_most_specific_rule_wins(client, shop):
    await _rule(country="US", rate="5", name="Sales tax")
    await _rule(country="US", region="New York", rate="8.25", name="NY sales tax")
    await _rule(country="US", region="new york", rate="9", name="Main NY tax", store_id=str(shop.main))
    await _rule(country="US", rate="6", name="Acme US tax", store_id=str(shop.acme))
    ny = BuyerPlace("US", "New York")
    assert (await taxes.tax_for(shop.main, ny)).rate_bp == 900  # store + region
    assert (await taxes.tax_for(shop.acme, ny)).rate_bp == 825  # region beats Acme's country rule
    texas = BuyerPlace("US", "Texas")
    assert (await taxes.tax_for(shop.acme, texas)).rate_bp == 600  # store + country
    assert (await taxes.tax_for(shop.main, texas)).rate_bp == 500  # country
    assert (await taxes.tax_for(shop.main, BuyerPlace("CA", "Ontario"))).rate_bp == 0
    assert (await taxes.tax_for(shop.main, BuyerPlace())).rate_bp == 0


async def test_tax_is_charged_per_line_by_the_billing_address(client, authz, shop):
    await _rule(country="US", rate="5", name="Sales tax")
    await _rule(country="US", region="New York", rate="8.25", name="NY sales tax")
    ny = await _buyer(authz, shop, "ny@example.com", country="US", region="New York")
    tx = await _buyer(authz, shop, "tx@example.com", country="US", region="Texas")
    types = client.app.state.product_types
    placed = await place(types, ny, [(shop.starter, "monthly")], store_id=shop.main)
    lines = await InvoiceLine.select().where(InvoiceLine.invoice == placed.invoice_id).order_by(InvoiceLine.sort)
    # 8.25 % of 10.00 = 0.825 -> 0.83; of the 5.00 setup fee = 0.4125 -> 0.41 (each line rounded)
    assert [(line["amount"], line["tax_bp"], line["tax"], line["tax_name"]) for line in lines] == [
        (1000, 825, 83, "NY sales tax"),
        (500, 825, 41, "NY sales tax"),
    ]
    invoice = await Invoice.select().where(Invoice.id == placed.invoice_id).first()
    assert (invoice["tax"], invoice["total"], invoice["reverse_charge"]) == (124, 1624, "")
    assert placed.total == 1624
    placed = await place(types, tx, [(shop.starter, "monthly")], store_id=shop.main)
    assert placed.total == 1500 + 50 + 25


async def test_reverse_charge_for_a_business_buyer_abroad(client, authz, shop):
    await _rule(country="FR", rate="20", reverse_charge="on", home_country="DE")
    await _rule(country="DE", rate="19", reverse_charge="on", home_country="DE")
    business = await _buyer(authz, shop, "fr-biz@example.com", country="FR", vat_id="FR12123456789")
    consumer = await _buyer(authz, shop, "fr@example.com", country="FR")
    german = await _buyer(authz, shop, "de-biz@example.com", country="DE", vat_id="DE123456789")
    types = client.app.state.product_types
    placed = await place(types, business, [(shop.starter, "monthly")], store_id=shop.main)
    invoice = await Invoice.select().where(Invoice.id == placed.invoice_id).output(load_json=True).first()
    assert (invoice["tax"], invoice["total"]) == (0, 1500)
    assert invoice["reverse_charge"] == "VAT reverse charge: the buyer accounts for VAT (VAT id FR12123456789)"
    assert invoice["billing"]["vat_id"] == "FR12123456789"
    placed = await place(types, consumer, [(shop.starter, "monthly")], store_id=shop.main)
    assert placed.total == 1800  # no VAT id: French VAT
    placed = await place(types, german, [(shop.starter, "monthly")], store_id=shop.main)
    invoice = await Invoice.select().where(Invoice.id == placed.invoice_id).first()
    assert (invoice["tax"], invoice["reverse_charge"]) == (285, "")  # same country as the seller: charged


async def test_the_cart_shows_tax_for_the_current_accounts_address(client, authz, shop):
    await _rule(country="FR", rate="20")
    await _buyer(authz, shop, "fr@example.com", country="FR")
    await f.login(client, "fr@example.com")
    await post(client, "/cart/items", product_id=str(shop.starter), cycle="monthly")
    page = await client.get("/cart")
    assert '<dd data-testid="tax">$3.00</dd>' in page.text and '<dd data-testid="total"><strong>$18.00' in page.text


async def test_staff_manage_tax_rules_and_bad_input_saves_nothing(client, authz, shop):
    await f.user(authz, "admin@example.com", staff="admin")
    await f.login(client, "admin@example.com")
    bad = await post(client, "/admin/taxes/new", country="XX", rate="150", reverse_charge="on", home_country="")
    assert bad.status_code == 422
    for field in ("country", "rate", "home_country"):
        assert f'id="f-{field}-error"' in bad.text, field
    assert await TaxRule.count() == 0
    made = await post(client, "/admin/taxes/new", country="AT", rate="20", name="USt", store_id="")
    assert made.status_code == 303
    again = await post(client, "/admin/taxes/new", country="AT", rate="10")
    assert again.status_code == 422 and "Austria already has a tax rule" in again.text
    rule = (await taxes.list_rules())[0]
    assert (rule.country, rule.rate_bp, rule.name, rule.store_id) == ("AT", 2000, "USt", None)
    changed = await post(client, f"/admin/taxes/{rule.id}", country="AT", rate="13", name="USt")
    assert changed.status_code == 303
    assert (await taxes.get_rule(rule.id)).rate_bp == 1300
    listed = await client.get("/admin/taxes")
    assert "Austria" in listed.text and "13 %" in listed.text
    assert (await post(client, f"/admin/taxes/{rule.id}/delete")).status_code == 303
    assert await TaxRule.count() == 0


async def test_billing_staff_cannot_change_tax_rules(client, authz, shop):
    await f.user(authz, "billing@example.com", staff="billing")
    await f.login(client, "billing@example.com")
    assert (await client.get("/admin/taxes")).status_code == 403
    assert (await post(client, "/admin/taxes/new", country="AT", rate="20")).status_code == 403
    assert await TaxRule.count() == 0
