"""Staff manage promo codes and tax rules through the API; a buyer's cart quote follows."""

from __future__ import annotations

import factories as f

from panel.core.contacts import services as contacts
from panel.core.orders.tables import PromoCode, TaxRule

from .shop import bind


async def _staff(client, authz, role="admin") -> dict[str, str]:
    await f.user(authz, f"{role}@example.com", staff=role)
    client.cookies.clear()
    assert (await f.login(client, f"{role}@example.com")).status_code == 303
    return {"x-csrftoken": f.csrf(client)}


async def _quote(buyer, headers=None) -> dict:
    answer = await buyer.get("/api/v1/cart", headers=headers or {})
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_promo_codes_through_the_api_change_a_cart_quote(client, authz, shop, new_client):
    headers = await _staff(client, authz)
    bad = await client.post(
        "/api/v1/admin/promos",
        json={
            "code": "x",
            "kind": "fixed",
            "value": -5,
            "currency": "USD",
            "max_uses": -1,
            "expires_on": "soon",
            "store_id": 999999,
        },
        headers=headers,
    )
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"code", "value", "max_uses", "expires_on", "store_id"}
    assert await PromoCode.count() == 0

    made = await client.post(
        "/api/v1/admin/promos",
        json={"code": "save5", "kind": "fixed", "value": 500, "currency": "USD"},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    promo = made.json()
    assert (promo["code"], promo["value"], promo["currency"], promo["is_active"]) == ("SAVE5", 500, "USD", True)

    async with new_client() as buyer:
        added = await buyer.post("/api/v1/cart/items", json={"product_id": shop.starter, "cycle": "monthly"})
        assert added.status_code == 201, added.text
        applied = await buyer.post("/api/v1/cart/promo", json={"code": "SAVE5"})
        assert applied.status_code == 200 and applied.json()["discount"] == 500

        changed = await client.patch(f"/api/v1/admin/promos/{promo['id']}", json={"value": 250}, headers=headers)
        assert changed.status_code == 200, changed.text
        assert (changed.json()["value"], changed.json()["kind"], changed.json()["code"]) == (250, "fixed", "SAVE5")
        assert (await _quote(buyer))["discount"] == 250

        refused = await client.patch(f"/api/v1/admin/promos/{promo['id']}", json={"value": -100}, headers=headers)
        assert refused.status_code == 422 and set(refused.json()["errors"]) == {"value"}
        assert (await PromoCode.select(PromoCode.value).first())["value"] == 250
        assert (await _quote(buyer))["discount"] == 250

        listed = await client.get("/api/v1/admin/promos")
        assert [p["code"] for p in listed.json()["items"]] == ["SAVE5"]
        gone = await client.delete(f"/api/v1/admin/promos/{promo['id']}", headers=headers)
        assert gone.status_code == 204
        assert (await client.get("/api/v1/admin/promos")).json()["items"] == []
        assert (await _quote(buyer))["discount"] == 0
    assert (await client.patch("/api/v1/admin/promos/999999", json={}, headers=headers)).status_code == 404


async def _buyer(authz, shop, email: str, country: str) -> None:
    owner = await f.user(authz, email)
    account_id = await f.account(authz, email, owner)
    await bind(account_id, shop.main)
    await contacts.save_primary(account_id, {"name": "Buyer", "email": email, "country": country})


async def test_tax_rules_through_the_api_change_a_cart_quote(client, authz, shop, new_client):
    headers = await _staff(client, authz)
    bad = await client.post(
        "/api/v1/admin/taxes", json={"country": "XX", "rate_bp": 15000, "reverse_charge": True}, headers=headers
    )
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"country", "rate_bp", "home_country"}
    assert await TaxRule.count() == 0

    made = await client.post("/api/v1/admin/taxes", json={"country": "FR", "rate_bp": 2000}, headers=headers)
    assert made.status_code == 201, made.text
    rule = made.json()
    assert (rule["country"], rule["rate_bp"], rule["name"], rule["store_id"]) == ("FR", 2000, "VAT", None)

    await _buyer(authz, shop, "fr@example.com", "FR")
    async with new_client() as buyer:
        await f.login(buyer, "fr@example.com")
        own = {"x-csrftoken": f.csrf(buyer)}
        added = await buyer.post(
            "/api/v1/cart/items", json={"product_id": shop.starter, "cycle": "monthly"}, headers=own
        )
        assert added.status_code == 201, added.text
        assert (added.json()["tax"], added.json()["total"]) == (300, 1800)

        changed = await client.patch(
            f"/api/v1/admin/taxes/{rule['id']}", json={"rate_bp": 1000, "store_id": shop.main}, headers=headers
        )
        assert changed.status_code == 200, changed.text
        assert (changed.json()["rate_bp"], changed.json()["store_id"], changed.json()["country"]) == (
            1000,
            shop.main,
            "FR",
        )
        assert (await _quote(buyer))["tax"] == 150

        refused = await client.patch(f"/api/v1/admin/taxes/{rule['id']}", json={"rate_bp": -1}, headers=headers)
        assert refused.status_code == 422 and set(refused.json()["errors"]) == {"rate_bp"}
        assert (await TaxRule.select(TaxRule.rate_bp).first())["rate_bp"] == 1000

        everywhere = await client.patch(f"/api/v1/admin/taxes/{rule['id']}", json={"store_id": 0}, headers=headers)
        assert everywhere.status_code == 200 and everywhere.json()["store_id"] is None
        assert (await _quote(buyer))["tax"] == 150

        listed = await client.get("/api/v1/admin/taxes")
        assert [(r["country"], r["rate_bp"]) for r in listed.json()] == [("FR", 1000)]
        assert (await client.delete(f"/api/v1/admin/taxes/{rule['id']}", headers=headers)).status_code == 204
        assert (await _quote(buyer))["tax"] == 0
    assert await TaxRule.count() == 0


async def test_only_staff_admins_manage_promos_and_taxes_through_the_api(client, authz, shop):
    owner = await f.user(authz, "client@example.com")
    await f.account(authz, "Client", owner)
    for who in ("client", "support", "billing"):
        if who == "client":
            client.cookies.clear()
            await f.login(client, "client@example.com")
            headers = {"x-csrftoken": f.csrf(client)}
        else:
            headers = await _staff(client, authz, who)
        assert (await client.get("/api/v1/admin/promos")).status_code == 403, who
        assert (await client.get("/api/v1/admin/taxes")).status_code == 403, who
        made = await client.post(
            "/api/v1/admin/promos", json={"code": "HACK", "kind": "percent", "value": 5000}, headers=headers
        )
        assert made.status_code == 403, who
        taxed = await client.post("/api/v1/admin/taxes", json={"country": "FR", "rate_bp": 1}, headers=headers)
        assert taxed.status_code == 403, who
    assert await PromoCode.count() == 0 and await TaxRule.count() == 0
