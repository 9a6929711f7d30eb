"""The reseller area: its standing, its stores and its clients, and nobody else's."""

from __future__ import annotations

import factories as f
import pytest
from stores_support import (
    bind,
    client_of,
    login_as,
    make_product,
    make_service,
    make_store,
    post_form,
)

from panel.core.accounts.tables import Account
from panel.core.audit.tables import AuditEvent
from panel.core.auth.tables import Session
from panel.core.catalog.tables import Price, PriceTarget, StoreProduct
from panel.core.stores.tables import ResellerTier, Store


@pytest.fixture
async def world(client, authz):
    """Provider store with a client; reseller R with two stores and a client; reseller Z with one."""
    main = await make_store("Main", "main", default=True)
    r_owner = await f.user(authz, "r@example.com")
    reseller = await f.account(authz, "R Hosting", r_owner)
    await bind(reseller, main)
    own = await make_store("R Store", "r-store", kind="reseller", reseller=reseller)
    catalogue = await make_store("R Catalogue", "r-cat", kind="reseller_catalog", reseller=reseller)
    _, mine = await client_of(authz, "mine@example.com", own, "Mine Ltd")
    _, direct = await client_of(authz, "direct@example.com", main, "Direct Ltd")
    z_owner = await f.user(authz, "z@example.com")
    other = await f.account(authz, "Z Hosting", z_owner)
    theirs_store = await make_store("Z Store", "z-store", kind="reseller", reseller=other)
    _, theirs = await client_of(authz, "theirs@example.com", theirs_store, "Theirs Ltd")
    return {
        "main": main,
        "reseller": reseller,
        "own": own,
        "catalogue": catalogue,
        "mine": mine,
        "direct": direct,
        "other": other,
        "theirs_store": theirs_store,
        "theirs": theirs,
        "r_owner": r_owner,
    }


async def _status(account_id):
    return (await Account.select(Account.status).where(Account.id == account_id).first())["status"]


async def _store_of(account_id):
    return (await Account.select(Account.store).where(Account.id == account_id).first())["store"]


async def test_reseller_lists_moves_suspends_and_reactivates_its_own_client(client, world):
    await login_as(client, "mine@example.com")
    browser = dict(client.cookies)
    await login_as(client, "r@example.com")

    listed = await client.get("/reseller/clients")
    assert listed.status_code == 200
    assert "Mine Ltd" in listed.text and "Direct Ltd" not in listed.text and "Theirs Ltd" not in listed.text
    assert 'data-testid="client-total">1 client<' in listed.text

    moved = await post_form(client, f"/reseller/clients/{world['mine']}/move", {"store_id": str(world["catalogue"])})
    assert moved.status_code == 303 and moved.headers["location"] == "/reseller/clients?done=moved"
    assert await _store_of(world["mine"]) == world["catalogue"]
    [event] = await AuditEvent.select().where(AuditEvent.action == "reseller.client_move").output(load_json=True)
    assert event["account_id"] == world["reseller"] and event["target"] == f"account:{world['mine']}"
    assert event["details"]["store"] == {"before": world["own"], "after": world["catalogue"]}

    suspended = await post_form(client, f"/reseller/clients/{world['mine']}/suspend")
    assert suspended.status_code == 303
    assert await _status(world["mine"]) == "suspended"
    owner = (await Account.select(Account.owner).where(Account.id == world["mine"]).first())["owner"]
    assert await Session.count().where(Session.user == owner) == 0
    assert await AuditEvent.count().where(AuditEvent.action == "reseller.client_suspend") == 1
    assert await AuditEvent.count().where(AuditEvent.action == "account.suspend") == 1
    page = await client.get("/reseller/clients?done=suspended")
    assert "The client is suspended" in page.text and f"/reseller/clients/{world['mine']}/unsuspend" in page.text

    reseller_cookies = dict(client.cookies)
    client.cookies.clear()
    client.cookies.update(browser)  # the client's open browser is logged out
    out = await client.get("/", follow_redirects=False)
    assert out.status_code in (302, 303) and out.headers["location"].startswith("/login")

    client.cookies.clear()
    client.cookies.update(reseller_cookies)
    back = await post_form(client, f"/reseller/clients/{world['mine']}/unsuspend")
    assert back.status_code == 303 and await _status(world["mine"]) == "active"
    await login_as(client, "mine@example.com")
    assert (await client.get("/")).status_code == 200


async def test_reseller_is_refused_for_provider_and_other_resellers_clients(client, world):
    await login_as(client, "r@example.com")
    for target in (world["direct"], world["theirs"], world["reseller"]):
        for action in ("suspend", "unsuspend"):
            refused = await post_form(client, f"/reseller/clients/{target}/{action}")
            assert refused.status_code == 404, (target, action)
            assert "This is not a client of your stores." in refused.text
        moved = await post_form(client, f"/reseller/clients/{target}/move", {"store_id": str(world["own"])})
        assert moved.status_code == 404
    assert await _status(world["direct"]) == "active" and await _status(world["theirs"]) == "active"
    assert await _store_of(world["direct"]) == world["main"]

    # never into a store of someone else
    for store in (world["theirs_store"], world["main"]):
        refused = await post_form(client, f"/reseller/clients/{world['mine']}/move", {"store_id": str(store)})
        assert refused.status_code == 422
        assert f'<p id="move-{world["mine"]}-error" class="field-error">Choose one of your stores.</p>' in refused.text
    assert await _store_of(world["mine"]) == world["own"]
    assert await AuditEvent.count().where(AuditEvent.action.like("reseller.%")) == 0


async def test_a_member_needs_the_reseller_permission(client, authz, world):
    clerk = await f.user(authz, "clerk@example.com")
    boss = await f.user(authz, "boss@example.com")
    from panel.core.accounts import services as accounts

    await accounts.add_member(authz, world["reseller"], clerk, ["invoices"])
    await accounts.add_member(authz, world["reseller"], boss, ["reseller"])

    await login_as(client, "clerk@example.com")
    for path in ("/reseller", "/reseller/clients", f"/reseller/stores/{world['own']}"):
        assert (await client.get(path)).status_code == 403, path
    assert (await post_form(client, f"/reseller/clients/{world['mine']}/suspend")).status_code == 403
    assert await _status(world["mine"]) == "active"
    assert 'href="/reseller"' not in (await client.get("/")).text

    await login_as(client, "boss@example.com")
    assert 'href="/reseller"' in (await client.get("/")).text
    assert (await client.get("/reseller")).status_code == 200
    assert "Mine Ltd" in (await client.get("/reseller/clients")).text


async def test_accounts_that_are_not_resellers_have_no_reseller_area(client, world):
    await login_as(client, "direct@example.com")
    for path in ("/reseller", "/reseller/clients"):
        answer = await client.get(path)
        assert answer.status_code == 404 and "This account is not a reseller." in answer.text
    assert (await client.get(f"/reseller/stores/{world['own']}")).status_code == 404
    assert (await post_form(client, f"/reseller/clients/{world['mine']}/suspend")).status_code == 404


async def test_only_reseller_accounts_show_the_reseller_link(client, world):
    await login_as(client, "direct@example.com")
    direct_home = await client.get("/")
    await login_as(client, "r@example.com")
    reseller_home = await client.get("/")

    assert direct_home.status_code == 200 and 'href="/reseller"' not in direct_home.text
    assert 'href="/reseller"' in reseller_home.text


async def test_overview_shows_tier_and_discount_rising_with_clients_services(client, world):
    await ResellerTier.insert(
        ResellerTier(name="Bronze", min_services=1, discount_bp=500),
        ResellerTier(name="Silver", min_services=3, discount_bp=1250),
    )
    product = await make_product("plan")
    await make_service(world["mine"], world["own"], product)
    await make_service(world["mine"], world["own"], product, status="pending")  # not active: does not count
    await make_service(world["direct"], world["main"], product)  # not the reseller's client
    await login_as(client, "r@example.com")
    page = await client.get("/reseller")
    assert 'data-testid="active-services">1<' in page.text
    assert 'data-testid="tier">Bronze<' in page.text and 'data-testid="discount">5 %<' in page.text
    assert "2 more active services reach Silver (12.5 % off)" in page.text
    assert "R Store" in page.text and "R Catalogue" in page.text and "Z Store" not in page.text

    await make_service(world["reseller"], world["main"], product)  # the reseller's own count too
    await make_service(world["mine"], world["own"], product)
    page = await client.get("/reseller")
    assert 'data-testid="tier">Silver<' in page.text and 'data-testid="discount">12.5 %<' in page.text


async def test_reseller_edits_its_store_but_not_anyone_elses(client, world):
    await login_as(client, "r@example.com")
    assert (await client.get(f"/reseller/stores/{world['theirs_store']}")).status_code == 404
    assert (await client.get(f"/reseller/stores/{world['main']}")).status_code == 404
    denied = await post_form(client, f"/reseller/stores/{world['theirs_store']}", {"brand_name": "Mine now"})
    assert denied.status_code == 404

    page = await client.get(f"/reseller/stores/{world['own']}")
    assert page.status_code == 200 and 'name="brand_name"' in page.text and 'name="slug"' not in page.text
    bad = await post_form(
        client,
        f"/reseller/stores/{world['own']}",
        {"brand_name": "R Web", "accent_color": "red", "money_back_days": "5"},
    )
    assert bad.status_code == 422 and '<p id="accent_color-error" class="field-error">' in bad.text
    assert (await Store.select(Store.brand_name).where(Store.id == world["own"]).first())["brand_name"] == ""

    saved = await post_form(
        client,
        f"/reseller/stores/{world['own']}",
        {
            "brand_name": "R Web",
            "accent_color": "#112233",
            "contact_instructions": "Call R on 555-0100.",
            "money_back_days": "100",
            "auto_renew": "on",
            "name": "Renamed",  # not the reseller's to change: ignored
            "currency": "JPY",
        },
    )
    assert saved.status_code == 303
    row = await Store.select().where(Store.id == world["own"]).first()
    assert row["brand_name"] == "R Web" and row["money_back_days"] == 100 and row["auto_renew"] is True
    assert row["name"] == "R Store" and row["currency"] == "USD" and row["kind"] == "reseller"
    assert row["setup_fees_allowed"] is False  # unticked in the form
    catalogue = await client.get(f"/reseller/stores/{world['catalogue']}")
    assert catalogue.status_code == 200 and "at the provider's prices less your discount" in catalogue.text
    shown = await client.get(f"/reseller/stores/{world['own']}?done=saved")
    assert "<li>100-day money-back guarantee</li>" in shown.text and "<li>Setup fees: none</li>" in shown.text


async def test_reseller_chooses_products_from_the_provider_and_prices_them(client, world):
    sold = await make_product("starter")
    not_sold = await make_product("secret")
    await StoreProduct.insert(StoreProduct(store=world["main"], product=sold))
    await login_as(client, "r@example.com")
    page = await client.get(f"/reseller/stores/{world['own']}")
    # the product checkboxes (an account id in the account menu may have the same number)
    assert f'id="offer-{sold}"' in page.text and f'id="offer-{not_sold}"' not in page.text

    refused = await post_form(client, f"/reseller/stores/{world['own']}/products", {"product_id": str(not_sold)})
    assert refused.status_code == 422 and "Choose products from the list." in refused.text
    chosen = await post_form(client, f"/reseller/stores/{world['own']}/products", {"product_id": str(sold)})
    assert chosen.status_code == 303
    assert await StoreProduct.exists().where((StoreProduct.store == world["own"]) & (StoreProduct.product == sold))

    path = f"/reseller/stores/{world['own']}/prices/{sold}"
    bad = await post_form(client, path, {"monthly.amount": "abc", "annual.amount": "50.00"})
    assert bad.status_code == 422
    assert "Enter a number, like 12.50." in bad.text and 'value="abc"' in bad.text
    assert await Price.count().where(Price.store == world["own"]) == 0
    ok = await post_form(client, path, {"monthly.amount": "6.50", "monthly.setup_fee": "2", "annual.amount": "60"})
    assert ok.status_code == 303
    rows = await Price.select(Price.cycle, Price.amount, Price.setup_fee, Price.currency).where(
        (Price.store == world["own"]) & (Price.target == PriceTarget.PRODUCT) & (Price.target_id == sold)
    )
    assert sorted((r["cycle"], r["amount"], r["setup_fee"], r["currency"]) for r in rows) == [
        ("annual", 6000, 0, "USD"),
        ("monthly", 650, 200, "USD"),
    ]
    # a product the store does not sell, and another reseller's store, cannot be priced
    assert (await post_form(client, f"/reseller/stores/{world['own']}/prices/{not_sold}", {})).status_code == 404
    other = await post_form(client, f"/reseller/stores/{world['theirs_store']}/prices/{sold}", {"monthly.amount": "1"})
    assert other.status_code == 404
    assert await Price.count().where(Price.store == world["theirs_store"]) == 0


async def test_reseller_prices_the_options_of_the_products_it_sells(client, world):
    from panel.core.catalog.tables import ConfigOption, OptionChoice

    sold = await make_product("starter")
    await StoreProduct.insert(
        StoreProduct(store=world["main"], product=sold), StoreProduct(store=world["own"], product=sold)
    )
    option = (
        await ConfigOption.insert(ConfigOption(product=sold, name="disk", label="Disk")).returning(ConfigOption.id)
    )[0]["id"]
    big = (
        await OptionChoice.insert(OptionChoice(option=option, value="50", label="50 GB")).returning(OptionChoice.id)
    )[0]["id"]
    elsewhere = await make_product("elsewhere")
    foreign = (
        await ConfigOption.insert(ConfigOption(product=elsewhere, name="ram", label="RAM")).returning(ConfigOption.id)
    )[0]["id"]
    await login_as(client, "r@example.com")
    page = await client.get(f"/reseller/stores/{world['own']}")
    assert "Starter: Disk" in page.text and f'name="{big}.monthly"' in page.text

    path = f"/reseller/stores/{world['own']}/options/{option}"
    bad = await post_form(client, path, {f"{big}.monthly": "-1"})
    assert bad.status_code == 422 and "The amount cannot be negative." in bad.text and 'value="-1"' in bad.text
    ok = await post_form(client, path, {f"{big}.monthly": "4.25"})
    assert ok.status_code == 303
    [row] = await Price.select().where((Price.store == world["own"]) & (Price.target == PriceTarget.CHOICE))
    assert (row["target_id"], row["cycle"], row["amount"], row["currency"]) == (big, "monthly", 425, "USD")
    assert (await post_form(client, f"/reseller/stores/{world['own']}/options/{foreign}", {})).status_code == 404
