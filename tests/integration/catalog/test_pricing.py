"""What a product costs in each kind of store, and the clear refusals when it is not sold so."""

from __future__ import annotations

import factories as f
import pytest
from catalog_support import client_of, make_product, make_store, sell, set_prices

from panel.core.catalog import pricing
from panel.core.catalog.tables import ConfigOption, OptionChoice, Price, PriceTarget
from panel.core.services.tables import Service
from panel.core.stores.tables import ResellerTier, Store
from panel.errors import NotFound, ValidationFailed


@pytest.fixture
async def shop(client, authz):
    """A default provider store, a reseller with its own store and a catalogue store, a product sold in each."""
    main = await make_store("Main", "main", default=True)
    owner = await f.user(authz, "r@example.com")
    reseller = await f.account(authz, "Reseller", owner)
    own = await make_store("Own", "own", kind="reseller", reseller=reseller)
    catalogue = await make_store("Catalogue", "cat", kind="reseller_catalog", reseller=reseller)
    plan = await make_product("plan")
    await sell(main, plan, {"monthly": (1000, 500), "annual": (10000, 0)})
    await sell(own, plan, {"monthly": (1500, 700)})
    return {"main": main, "own": own, "catalogue": catalogue, "plan": plan, "reseller": reseller}


async def test_each_kind_of_store_prices_its_own_way(shop):
    provider = await pricing.quote(shop["main"], shop["plan"], "monthly")
    assert (provider.amount, provider.setup_fee, provider.currency, provider.discount_bp) == (1000, 500, "USD", 0)
    own = await pricing.quote(shop["own"], shop["plan"], "monthly")
    assert (own.amount, own.setup_fee, own.discount_bp) == (1500, 700, 0)  # the reseller's own prices
    catalogue = await pricing.quotes(shop["catalogue"], shop["plan"])
    assert [(q.cycle, q.amount, q.list_amount) for q in catalogue] == [
        ("monthly", 1000, 1000),
        ("annual", 10000, 10000),
    ]
    assert [q.cycle for q in await pricing.quotes(shop["main"], shop["plan"])] == ["monthly", "annual"]
    batch = await pricing.store_quotes(shop["main"], [shop["plan"], 999999])
    assert batch == {shop["plan"]: await pricing.quotes(shop["main"], shop["plan"])}


async def test_the_reseller_discount_rises_as_its_clients_services_become_active(authz, shop):
    await ResellerTier.insert(
        ResellerTier(name="Bronze", min_services=1, discount_bp=1000),
        ResellerTier(name="Gold", min_services=3, discount_bp=2550),
    )
    _, buyer = await client_of(authz, "buyer@example.com", shop["catalogue"])
    _, direct = await client_of(authz, "direct@example.com", shop["main"])

    async def service(account, status="active"):
        await Service.insert(
            Service(
                account=account,
                store=shop["catalogue"],
                product=shop["plan"],
                product_type="x.plan",
                status=status,
                cycle="monthly",
                currency="USD",
            )
        )

    assert (await pricing.quote(shop["catalogue"], shop["plan"], "monthly")).amount == 1000
    await service(buyer, "pending")
    await service(direct)  # a provider client's service is not the reseller's
    assert (await pricing.quote(shop["catalogue"], shop["plan"], "monthly")).amount == 1000
    await Service.update({Service.status: "active"}).where(Service.account == buyer)
    bronze = await pricing.quote(shop["catalogue"], shop["plan"], "monthly")
    assert (bronze.amount, bronze.list_amount, bronze.discount_bp) == (900, 1000, 1000)
    await service(buyer)
    await service(shop["reseller"])  # its own services count too
    gold = await pricing.quote(shop["catalogue"], shop["plan"], "annual")
    assert (gold.amount, gold.discount_bp) == (10000 - 2550, 2550)
    # the provider's own store and the reseller's own-price store give no discount
    assert (await pricing.quote(shop["main"], shop["plan"], "monthly")).amount == 1000
    assert (await pricing.quote(shop["own"], shop["plan"], "monthly")).amount == 1500


async def test_setup_fees_are_dropped_where_the_store_does_not_allow_them(shop):
    await Store.update({Store.setup_fees_allowed: False}).where(Store.id.is_in([shop["own"], shop["catalogue"]]))
    assert (await pricing.quote(shop["own"], shop["plan"], "monthly")).setup_fee == 0
    assert (await pricing.quote(shop["catalogue"], shop["plan"], "monthly")).setup_fee == 0
    assert (await pricing.quote(shop["main"], shop["plan"], "monthly")).setup_fee == 500


async def test_clear_errors_when_a_product_is_not_sold_so(shop):
    with pytest.raises(ValidationFailed) as cycle:
        await pricing.quote(shop["main"], shop["plan"], "quarterly")
    assert cycle.value.errors == {"cycle": "This product is not offered quarterly; choose monthly, annually."}
    with pytest.raises(ValidationFailed) as bad:
        await pricing.quote(shop["main"], shop["plan"], "weekly")
    assert bad.value.errors == {"cycle": "Choose a billing cycle."}
    hidden = await make_product("hidden")
    await set_prices(shop["main"], hidden, {"monthly": (100, 0)})  # priced but not enabled
    with pytest.raises(ValidationFailed) as not_sold:
        await pricing.quote(shop["main"], hidden, "monthly")
    assert not_sold.value.errors == {"product": "This product is not sold in your store."}
    with pytest.raises(NotFound):
        await pricing.quote(shop["main"], 999999, "monthly")
    retired = await make_product("retired", active=False)
    await sell(shop["main"], retired, {"monthly": (100, 0)})
    assert not await pricing.sells(shop["main"], retired) and await pricing.quotes(shop["main"], retired) == []


async def test_prices_are_per_currency_never_converted(shop):
    await Store.update({Store.currency: "EUR"}).where(Store.id == shop["catalogue"])
    assert await pricing.quotes(shop["catalogue"], shop["plan"]) == []  # the default store has no EUR prices yet
    await set_prices(shop["main"], shop["plan"], {"monthly": (900, 0)}, currency="EUR")
    [eur] = await pricing.quotes(shop["catalogue"], shop["plan"])
    assert (eur.currency, eur.amount) == ("EUR", 900)


async def test_option_choices_are_priced_per_cycle_with_the_discount(shop):
    await ResellerTier.insert(ResellerTier(name="All", min_services=0, discount_bp=5000))
    option = (
        await ConfigOption.insert(ConfigOption(product=shop["plan"], name="disk", label="Disk")).returning(
            ConfigOption.id
        )
    )[0]["id"]
    big = (
        await OptionChoice.insert(OptionChoice(option=option, value="50", label="50 GB")).returning(OptionChoice.id)
    )[0]["id"]
    await Price.insert(
        Price(store=shop["main"], target=PriceTarget.CHOICE, target_id=big, currency="USD", cycle="monthly", amount=301)
    )
    assert await pricing.choice_price(shop["main"], big, "monthly") == 301
    assert await pricing.choice_price(shop["catalogue"], big, "monthly") == 150  # 150.5 rounds half away: 151 off
    assert await pricing.choice_price(shop["main"], big, "annual") == 0
    assert await pricing.choice_prices(shop["catalogue"], [big]) == {big: {"monthly": 150}}
