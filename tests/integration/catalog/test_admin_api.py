"""Staff build the catalogue through the API; the storefront API shows what they set."""

from __future__ import annotations

import factories as f
from catalog_support import login_as, make_store

from panel.core.catalog.tables import Price, Product, ProductGroup, StoreProduct
from panel.core.stores.tables import StoreKind


async def _admin(client, staff_login, role="admin") -> dict[str, str]:
    await staff_login(client, client.app.state.authz, role)
    return {"x-csrftoken": f.csrf(client)}


def _prices_of(body: dict, slug: str) -> list[tuple[str, int, int]]:
    products = [p for g in body["groups"] for p in g["products"] if p["slug"] == slug]
    return [(p["cycle"], p["amount"], p["setup_fee"]) for product in products for p in product["prices"]]


async def test_staff_build_a_product_through_the_api_and_the_storefront_shows_it(typed_client, staff_login):
    client = typed_client
    main = await make_store("Main", "main", default=True)
    headers = await _admin(client, staff_login)

    bad_group = await client.post(
        "/api/v1/admin/catalog/groups", json={"name": "", "slug": "Bad Slug"}, headers=headers
    )
    assert bad_group.status_code == 422 and set(bad_group.json()["errors"]) == {"name", "slug"}
    assert await ProductGroup.count() == 0
    group = await client.post(
        "/api/v1/admin/catalog/groups", json={"name": "Hosting", "slug": "hosting", "sort": 2}, headers=headers
    )
    assert group.status_code == 201, group.text
    group_id = group.json()["id"]
    renamed = await client.patch(
        f"/api/v1/admin/catalog/groups/{group_id}", json={"name": "Web hosting"}, headers=headers
    )
    assert (renamed.status_code, renamed.json()["name"], renamed.json()["slug"]) == (200, "Web hosting", "hosting")
    assert [g["name"] for g in (await client.get("/api/v1/admin/catalog/groups")).json()] == ["Web hosting"]

    bad = await client.post(
        "/api/v1/admin/catalog/products",
        json={"name": "Plan", "slug": "plan", "product_type": "nope.type", "group_id": group_id},
        headers=headers,
    )
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"product_type"}
    assert await Product.count() == 0
    made = await client.post(
        "/api/v1/admin/catalog/products",
        json={"name": "Plan", "slug": "plan", "product_type": "dummy.thing", "group_id": group_id},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    product = made.json()["product"]
    product_id = product["id"]
    assert (product["config"], product["is_active"], product["kind"]) == ({"size": "small"}, True, "product")
    assert made.json()["store_ids"] == [] and made.json()["prices"][0]["amounts"] == {}

    sold = await client.put(
        f"/api/v1/admin/catalog/products/{product_id}/stores", json={"store_ids": [main]}, headers=headers
    )
    assert sold.status_code == 200 and sold.json()["store_ids"] == [main]
    priced = await client.put(
        f"/api/v1/admin/catalog/products/{product_id}/prices",
        json={
            "store_id": main,
            "currency": "USD",
            "prices": {"monthly": {"amount": 500, "setup_fee": 250}, "annual": {"amount": 5000}},
        },
        headers=headers,
    )
    assert priced.status_code == 200, priced.text
    [grid] = priced.json()["prices"]
    assert (grid["amounts"], grid["setup_fees"]) == ({"monthly": 500, "annual": 5000}, {"monthly": 250})
    shop = (await client.get("/api/v1/store/main/products")).json()
    assert _prices_of(shop, "plan") == [("monthly", 500, 250), ("annual", 5000, 0)]

    # The grid is replaced whole: annual left out is no longer offered.
    again = await client.put(
        f"/api/v1/admin/catalog/products/{product_id}/prices",
        json={"store_id": main, "currency": "USD", "prices": {"monthly": {"amount": 700}}},
        headers=headers,
    )
    assert again.status_code == 200
    assert _prices_of((await client.get("/api/v1/store/main/products")).json(), "plan") == [("monthly", 700, 0)]

    changed = await client.patch(
        f"/api/v1/admin/catalog/products/{product_id}",
        json={"name": "Plan Plus", "config": {"size": "large"}},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    after = changed.json()["product"]
    assert (after["name"], after["slug"], after["config"], after["group_id"]) == (
        "Plan Plus",
        "plan",
        {"size": "large"},
        group_id,
    )
    assert (await client.get(f"/api/v1/admin/catalog/products/{product_id}")).json()["product"]["name"] == "Plan Plus"
    listed = (await client.get(f"/api/v1/admin/catalog/products?group={group_id}")).json()
    assert listed["total"] == 1 and [p["slug"] for p in listed["items"]] == ["plan"]

    hidden = await client.patch(
        f"/api/v1/admin/catalog/products/{product_id}", json={"is_active": False}, headers=headers
    )
    assert hidden.status_code == 200
    assert _prices_of((await client.get("/api/v1/store/main/products")).json(), "plan") == []
    assert (await client.get("/api/v1/admin/catalog/products/999999")).status_code == 404


async def test_bad_prices_and_stores_answer_422_by_field_and_change_nothing(typed_client, staff_login):
    client = typed_client
    main = await make_store("Main", "main", default=True)
    owner = await f.user(client.app.state.authz, "r@example.com")
    reseller = await f.account(client.app.state.authz, "R", owner)
    catalog_store = await make_store("Cat", "cat", kind=StoreKind.RESELLER_CATALOG, reseller=reseller)
    headers = await _admin(client, staff_login)
    made = await client.post(
        "/api/v1/admin/catalog/products",
        json={"name": "Plan", "slug": "plan", "product_type": "dummy.thing"},
        headers=headers,
    )
    product_id = made.json()["product"]["id"]
    url = f"/api/v1/admin/catalog/products/{product_id}/prices"
    good = {"store_id": main, "currency": "USD", "prices": {"monthly": {"amount": 500}}}
    assert (await client.put(url, json=good, headers=headers)).status_code == 200

    cases = [
        (
            {"prices": {"monthly": {"amount": -1}, "annual": {"setup_fee": 100}}},
            {"prices.monthly.amount", "prices.annual.amount"},
        ),
        ({"prices": {"free": {"amount": 100}}}, {"prices.free.amount"}),
        ({"prices": {"weekly": {"amount": 100}}}, {"prices.weekly"}),
        ({"currency": "XYZ"}, {"currency"}),
        ({"store_id": catalog_store}, {"store_id"}),
        ({"store_id": 999999}, {"store_id"}),
    ]
    for change, fields in cases:
        refused = await client.put(url, json={**good, **change}, headers=headers)
        assert refused.status_code == 422, change
        assert set(refused.json()["errors"]) == fields, change
    rows = await Price.select(Price.cycle, Price.amount).where(Price.target_id == product_id)
    assert [(r["cycle"], r["amount"]) for r in rows] == [("monthly", 500)]

    stores_url = f"/api/v1/admin/catalog/products/{product_id}/stores"
    refused = await client.put(stores_url, json={"store_ids": [catalog_store]}, headers=headers)
    assert refused.status_code == 422 and set(refused.json()["errors"]) == {"stores"}
    assert await StoreProduct.count() == 0

    bad_patch = await client.patch(
        f"/api/v1/admin/catalog/products/{product_id}", json={"slug": "Not A Slug", "sort": 10**9}, headers=headers
    )
    assert bad_patch.status_code == 422 and set(bad_patch.json()["errors"]) == {"slug", "sort"}
    assert (await Product.select(Product.slug).first())["slug"] == "plan"


async def test_clients_and_support_staff_may_not_use_the_catalogue_api(typed_client, staff_login):
    client = typed_client
    authz = client.app.state.authz
    main = await make_store("Main", "main", default=True)
    owner = await f.user(authz, "client@example.com")
    await f.account(authz, "Client", owner)
    await login_as(client, "client@example.com")
    attempts = [
        ("get", "/api/v1/admin/catalog/groups", None),
        ("get", "/api/v1/admin/catalog/products", None),
        ("post", "/api/v1/admin/catalog/groups", {"name": "G", "slug": "g"}),
        ("post", "/api/v1/admin/catalog/products", {"name": "P", "slug": "p", "product_type": "dummy.thing"}),
    ]
    for who in ("client", "support"):
        if who == "support":
            await _admin(client, staff_login, "support")
        headers = {"x-csrftoken": f.csrf(client)}
        for method, path, body in attempts:
            answer = await client.request(method, path, json=body, headers=headers)
            assert answer.status_code == 403, (who, method, path)
        prices = await client.put(
            "/api/v1/admin/catalog/products/1/prices",
            json={"store_id": main, "currency": "USD", "prices": {"monthly": {"amount": 1}}},
            headers=headers,
        )
        assert prices.status_code == 403, who
    assert await ProductGroup.count() == 0 and await Product.count() == 0
    # The pages refuse support staff as well.
    assert (await client.get("/admin/catalog")).status_code == 403
