"""The public storefront: only what a store sells, at its prices, beside its terms."""

from __future__ import annotations

import re

import factories as f
import pytest
from catalog_support import client_of, login_as, make_group, make_product, make_store, sell, set_prices

from panel.core.catalog.tables import ConfigOption, OptionChoice, Price, PriceTarget, ProductAddon, StoreProduct
from panel.core.stores.tables import ResellerTier


@pytest.fixture
async def shop(client, authz):
    main = await make_store(
        "Main", "main", default=True, money_back_days=30, setup_fees_allowed=True, contact_instructions="Call 555-0100."
    )
    hosting = await make_group("Shared hosting", "shared-hosting", sort=10)
    domains = await make_group("Domains", "domains", sort=5)
    secret = await make_group("Secret", "secret", hidden=True)
    starter = await make_product("starter", hosting)
    business = await make_product("business", hosting)
    await sell(main, starter, {"monthly": (500, 500), "annual": (5000, 0)})
    await sell(main, business, {"annual": (12000, 0)})
    com = await make_product("dot-com", domains)
    await sell(main, com, {"annual": (1200, 0)})
    retired = await make_product("retired", hosting, active=False)
    await sell(main, retired, {"monthly": (100, 0)})
    unlisted = await make_product("unlisted", hosting)
    await set_prices(main, unlisted, {"monthly": (100, 0)})  # priced, not enabled
    hidden = await make_product("hidden-plan", secret)
    await sell(main, hidden, {"monthly": (100, 0)})
    unpriced = await make_product("unpriced", hosting)
    await sell(main, unpriced, {"monthly": (100, 0)}, currency="EUR")  # no USD price
    backups = await make_product("backups", kind="addon")
    await sell(main, backups, {"monthly": (200, 0)})
    await ProductAddon.insert(ProductAddon(product=starter, addon=backups))
    option = (
        await ConfigOption.insert(ConfigOption(product=starter, name="disk", label="Disk")).returning(ConfigOption.id)
    )[0]["id"]
    small = OptionChoice(option=option, value="10", label="10 GB", sort=0)
    big = OptionChoice(option=option, value="50", label="50 GB", sort=1)
    ids = [r["id"] for r in await OptionChoice.insert(small, big).returning(OptionChoice.id)]
    await Price.insert(
        Price(store=main, target=PriceTarget.CHOICE, target_id=ids[1], currency="USD", cycle="monthly", amount=300)
    )
    return {"main": main, "starter": starter, "backups": backups, "business": business}


async def test_store_page_lists_only_enabled_active_priced_products_in_group_order(client, shop):
    page = await client.get("/store/main")
    assert page.status_code == 200
    text = page.text
    for shown in ("Starter", "Business", "Dot Com"):
        assert f">{shown}</a>" in text, shown
    for absent in ("Retired", "Unlisted", "Hidden Plan", "Unpriced", "Backups", "Secret"):
        assert absent not in text, absent
    assert text.index("Domains") < text.index("Shared hosting")  # group sort order
    assert '<span data-cycle="monthly">$5.00</span>' in text and "+ $5.00 setup" in text
    assert '<span data-cycle="annual">$120.00</span>' in text
    terms = re.search(r'<ul data-testid="store-terms">(.*?)</ul>', text, re.S).group(1)
    assert (
        "<li>30-day money-back guarantee</li>" in terms and "<li>Setup fees: as shown beside each price</li>" in terms
    )
    assert 'data-testid="store-contact">Call 555-0100.<' in text
    # visitors get the default store at /store
    assert ">Starter</a>" in (await client.get("/store")).text


async def test_product_page_offers_cycles_addons_options_and_posts_to_the_cart(client, shop):
    page = await client.get("/store/main/starter")
    assert page.status_code == 200
    text = page.text
    assert '<form method="post" action="/cart/items"' in text
    assert f'name="product_id" value="{shop["starter"]}"' in text and 'name="store" value="main"' in text
    assert 'name="cycle" value="monthly" checked' in text and 'name="cycle" value="annual"' in text
    assert '<strong data-cycle="monthly">$5.00</strong> + <span data-setup="monthly">$5.00</span> setup fee' in text
    assert f'name="addon_{shop["backups"]}"' in text and '<option value="monthly">Monthly: $2.00</option>' in text
    assert 'name="option_disk"' in text and '<option value="50">50 GB (+$3.00 monthly)</option>' in text
    assert '<option value="10">10 GB</option>' in text
    assert "<li>30-day money-back guarantee</li>" in text
    assert 'name="_csrf_token"' in text
    for slug in ("retired", "unlisted", "backups", "nothing-here"):
        missing = await client.get(f"/store/main/{slug}")
        assert missing.status_code == 404 and "This store does not sell that product." in missing.text, slug


async def test_each_store_shows_its_own_branding_prices_and_terms(client, authz, shop):
    owner = await f.user(authz, "r@example.com")
    reseller = await f.account(authz, "R", owner)
    own = await make_store(
        "R Shop",
        "r-shop",
        kind="reseller",
        reseller=reseller,
        brand_name="R Web",
        accent_color="#112233",
        setup_fees_allowed=False,
        auto_renew=True,
    )
    await StoreProduct.insert(StoreProduct(store=own, product=shop["starter"]))
    await set_prices(own, shop["starter"], {"monthly": (700, 300)})
    catalogue = await make_store("R Cat", "r-cat", kind="reseller_catalog", reseller=reseller)
    await ResellerTier.insert(ResellerTier(name="All", min_services=0, discount_bp=1000))
    closed = await make_store("Closed", "closed", is_active=False)

    page = await client.get("/store/r-shop")
    assert 'data-testid="store-brand">R Web<' in page.text and "--accent: #112233" in page.text
    assert '<span data-cycle="monthly">$7.00</span>' in page.text and "setup" not in page.text.split("Terms")[0]
    assert "<li>Setup fees: none</li>" in page.text and "<li>Renews automatically</li>" in page.text
    assert "Business" not in page.text  # only what this store enables
    discounted = await client.get("/store/r-cat")
    assert 'data-testid="store-discount">Your prices include a 10 % discount.' in discounted.text
    assert '<s>$5.00</s> <span data-cycle="monthly">$4.50</span>' in discounted.text
    assert ">Business</a>" in discounted.text  # the provider's whole catalogue
    assert (await client.get("/store/closed")).status_code == 404
    assert (await client.get("/store/nowhere")).status_code == 404
    assert closed

    # a logged-in client sees its own account's store at /store
    await client_of(authz, "buyer@example.com", catalogue)
    await login_as(client, "buyer@example.com")
    mine = await client.get("/store")
    assert "$4.50" in mine.text and 'data-store="r-cat"' in mine.text


async def test_public_catalogue_api(client, shop):
    answer = await client.get("/api/v1/store/main/products")
    assert answer.status_code == 200
    body = answer.json()
    assert body["store"]["slug"] == "main" and body["store"]["currency"] == "USD"
    assert "30-day money-back guarantee" in body["store"]["terms"]
    assert [g["slug"] for g in body["groups"]] == ["domains", "shared-hosting"]
    hosting = body["groups"][1]["products"]
    assert [p["slug"] for p in hosting] == ["business", "starter"]
    starter = hosting[1]
    assert [(p["cycle"], p["amount"], p["setup_fee"], p["price"]) for p in starter["prices"]] == [
        ("monthly", 500, 500, "$5.00"),
        ("annual", 5000, 0, "$50.00"),
    ]
    assert (await client.get("/api/v1/store/nowhere/products")).status_code == 404
