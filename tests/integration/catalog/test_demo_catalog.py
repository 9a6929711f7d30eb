"""The demo catalogue: both demo stores sell hosting at their own prices; loading twice adds nothing."""

from __future__ import annotations

from catalog_support import make_store

from panel.core.catalog import pricing
from panel.core.catalog.demo import load_demo_catalog
from panel.core.catalog.tables import ConfigOption, OptionChoice, Price, Product, ProductAddon, StoreProduct


async def _counts():
    return [await t.count() for t in (Product, ProductAddon, ConfigOption, OptionChoice, StoreProduct, Price)]


async def test_demo_catalogue_is_loaded_once_with_prices_per_store(client):
    main = await make_store("Main store", "main", default=True)
    acme = await make_store("Acme Reseller", "acme", currency="EUR")
    await load_demo_catalog({"main": main, "acme": acme})
    first = await _counts()
    await load_demo_catalog({"main": main, "acme": acme})
    assert await _counts() == first and first[0] == 3

    starter = (await Product.select(Product.id).where(Product.slug == "starter").first())["id"]
    usd = await pricing.quote(main, starter, "monthly")
    eur = await pricing.quote(acme, starter, "monthly")
    assert (usd.currency, usd.amount, usd.setup_fee) == ("USD", 500, 500)
    assert (eur.currency, eur.amount, eur.setup_fee) == ("EUR", 600, 600)
    page = await client.get("/store/acme/starter")
    assert page.status_code == 200
    assert ">Daily backups</label>" in page.text
    assert '<option value="50">50 GB (+€3.50 monthly, €35.00 annually)</option>' in page.text
    shop = await client.get("/store/main")
    assert ">Starter</a>" in shop.text and ">Business</a>" in shop.text and "Shared hosting" in shop.text
