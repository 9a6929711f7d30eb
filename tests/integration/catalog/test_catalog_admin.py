"""Staff build the catalogue: groups, products of a registered type, stores, price grids, addons, options."""

from __future__ import annotations

import factories as f
from catalog_support import login_as, make_group, make_product, make_store, post_form

from panel.core.catalog.tables import (
    ConfigOption,
    OptionChoice,
    Price,
    PriceTarget,
    Product,
    ProductAddon,
    ProductGroup,
    StoreProduct,
)


async def _prices(store_id, product_id, currency="USD"):
    rows = await Price.select(Price.cycle, Price.amount, Price.setup_fee).where(
        (Price.store == store_id)
        & (Price.target == PriceTarget.PRODUCT)
        & (Price.target_id == product_id)
        & (Price.currency == currency)
    )
    return sorted((r["cycle"], r["amount"], r["setup_fee"]) for r in rows)


async def test_staff_create_groups_and_products_with_errors_beside_fields(typed_client, staff_login):
    client = typed_client
    await staff_login(client, client.app.state.authz, "admin")
    bad_group = await post_form(client, "/admin/catalog/groups", {"name": "", "slug": "Bad Slug", "sort": "x"})
    assert bad_group.status_code == 422
    assert '<p id="group-name-error" class="field-error">Give the group a name.</p>' in bad_group.text
    assert '<p id="group-slug-error" class="field-error">' in bad_group.text
    assert '<p id="group-sort-error" class="field-error">' in bad_group.text
    assert await ProductGroup.count() == 0
    made = await post_form(client, "/admin/catalog/groups", {"name": "Hosting", "slug": "hosting", "sort": "3"})
    assert made.status_code == 303
    group = (await ProductGroup.select(ProductGroup.id).first())["id"]

    form = await client.get("/admin/catalog/products/new?product_type=dummy.thing")
    assert 'name="config.size"' in form.text and 'value="small"' in form.text
    bad = await post_form(
        client,
        "/admin/catalog/products/new",
        {"name": "Plan", "slug": "plan", "product_type": "nope.type", "group_id": str(group)},
    )
    assert bad.status_code == 422
    assert '<p id="product_type-error" class="field-error">Choose one of the product types.</p>' in bad.text
    assert await Product.count() == 0
    created = await post_form(
        client,
        "/admin/catalog/products/new",
        {
            "name": "Plan",
            "slug": "plan",
            "product_type": "dummy.thing",
            "group_id": str(group),
            "kind": "product",
            "config.size": "large",
            "is_active": "on",
            "description": "A plan.",
        },
    )
    assert created.status_code == 303, created.text[-1500:]
    row = await Product.select().where(Product.slug == "plan").output(load_json=True).first()
    assert row["config"] == {"size": "large"} and row["group"] == group and row["is_active"] is True
    assert created.headers["location"] == f"/admin/catalog/products/{row['id']}?done=created"
    listed = await client.get("/admin/catalog")
    assert ">Plan</a>" in listed.text and ">Hosting</a>" in listed.text and "Dummy thing" in listed.text


async def test_price_grid_per_store_and_currency(client, authz, staff_login):
    main = await make_store("Main", "main", default=True)
    eur = await make_store("Euro", "euro", currency="EUR")
    yen = await make_store("Yen", "yen", currency="JPY")
    owner = await f.user(authz, "r@example.com")
    reseller = await f.account(authz, "R", owner)
    await make_store("R Cat", "r-cat", kind="reseller_catalog", reseller=reseller, currency="GBP")
    product = await make_product("plan")
    await staff_login(client, authz, "admin")
    page = await client.get(f"/admin/catalog/products/{product}")
    assert page.status_code == 200
    for key in (f"{main}-USD", f"{main}-GBP", f"{eur}-EUR", f"{yen}-JPY"):
        assert f'data-grid="{key}"' in page.text, key  # the default store also holds GBP for the catalogue store
    assert "R Cat: sells what the default store sells." in page.text

    path = f"/admin/catalog/products/{product}/prices"
    bad = await post_form(
        client,
        path,
        {"store_id": str(yen), "currency": "JPY", "monthly.amount": "12.5", "annual.setup_fee": "100"},
    )
    assert bad.status_code == 422
    assert (
        f'<p id="price-{yen}-JPY-monthly-amount-error" class="field-error">JPY has 0 decimal places at most.</p>'
        in bad.text
    )
    assert "Enter the price too, or clear the setup fee." in bad.text
    assert 'value="12.5"' in bad.text
    assert await _prices(yen, product, "JPY") == []

    ok = await post_form(
        client,
        path,
        {
            "store_id": str(main),
            "currency": "USD",
            "monthly.amount": "5",
            "monthly.setup_fee": "2.50",
            "free.amount": "0",
        },
    )
    assert ok.status_code == 303
    assert await _prices(main, product) == [("free", 0, 0), ("monthly", 500, 250)]
    again = await post_form(client, path, {"store_id": str(main), "currency": "USD", "annual.amount": "50"})
    assert again.status_code == 303
    assert await _prices(main, product) == [("annual", 5000, 0)]  # emptied cycles are no longer offered
    shown = await client.get(f"/admin/catalog/products/{product}")
    assert f'id="price-{main}-USD-annual-amount" name="annual.amount" value="50.00"' in shown.text


async def test_stores_addons_and_options(client, authz, staff_login):
    main = await make_store("Main", "main", default=True)
    owner = await f.user(authz, "r@example.com")
    reseller = await f.account(authz, "R", owner)
    catalogue = await make_store("R Cat", "r-cat", kind="reseller_catalog", reseller=reseller)
    plan = await make_product("plan", await make_group("Hosting", "hosting"))
    backups = await make_product("backups", kind="addon")
    other_plan = await make_product("other-plan")
    await staff_login(client, authz, "admin")
    base = f"/admin/catalog/products/{plan}"

    assert (await post_form(client, f"{base}/stores", {"store_id": str(main)})).status_code == 303
    assert await StoreProduct.exists().where((StoreProduct.store == main) & (StoreProduct.product == plan))
    refused = await post_form(client, f"{base}/stores", {"store_id": str(catalogue)})
    assert refused.status_code == 422 and "Choose stores that have products of their own." in refused.text
    assert (await post_form(client, f"{base}/stores", {})).status_code == 303
    assert await StoreProduct.count() == 0

    wrong = await post_form(client, f"{base}/addons", {"addon_id": str(other_plan)})
    assert wrong.status_code == 422 and "Choose addons from the list." in wrong.text
    assert (await post_form(client, f"{base}/addons", {"addon_id": str(backups)})).status_code == 303
    assert [r["addon"] for r in await ProductAddon.select(ProductAddon.addon)] == [backups]

    bad = await post_form(client, f"{base}/options", {"name": "Disk Size", "label": "", "kind": "select"})
    assert bad.status_code == 422
    assert '<p id="new-option-name-error" class="field-error">' in bad.text
    assert '<p id="new-option-label-error" class="field-error">' in bad.text
    assert (
        await post_form(client, f"{base}/options", {"name": "disk", "label": "Disk", "kind": "select"})
    ).status_code == 303
    option = (await ConfigOption.select(ConfigOption.id).first())["id"]
    for value, label in (("10", "10 GB"), ("50", "50 GB")):
        added = await post_form(client, f"{base}/options/{option}/choices", {"value": value, "label": label})
        assert added.status_code == 303
    dup = await post_form(client, f"{base}/options/{option}/choices", {"value": "50"})
    assert dup.status_code == 422 and "The option has this value already." in dup.text
    big = (await OptionChoice.select(OptionChoice.id).where(OptionChoice.value == "50").first())["id"]
    priced = await post_form(
        client, f"{base}/options/{option}/prices", {"store_id": str(main), "currency": "USD", f"{big}.monthly": "3"}
    )
    assert priced.status_code == 303
    [row] = await Price.select().where(Price.target == PriceTarget.CHOICE)
    assert (row["target_id"], row["cycle"], row["amount"]) == (big, "monthly", 300)
    page = await client.get(base)
    assert "10 GB" in page.text and f'name="{big}.monthly" value="3.00"' in page.text
    # deleting the option takes its choices and their prices
    assert (await post_form(client, f"{base}/options/{option}/delete")).status_code == 303
    assert await OptionChoice.count() == 0 and await Price.count() == 0


async def test_only_staff_admins_reach_the_catalogue(client, authz, staff_login):
    product = await make_product("plan")
    owner = await f.user(authz, "c@example.com")
    await f.account(authz, "C", owner)
    await login_as(client, "c@example.com")
    for path in ("/admin/catalog", f"/admin/catalog/products/{product}", "/admin/catalog/products/new"):
        assert (await client.get(path)).status_code == 403, path
    refused = await post_form(client, "/admin/catalog/groups", {"name": "X", "slug": "x"})
    assert refused.status_code == 403 and await ProductGroup.count() == 0
    await staff_login(client, authz, "billing")
    assert (await client.get("/admin/catalog")).status_code == 403
    await staff_login(client, authz, "admin")
    admin_home = await client.get("/admin")
    assert 'href="/admin/catalog"' in admin_home.text and 'href="/admin/stores"' in admin_home.text
