"""Staff create and change stores: every field checked, errors beside fields, one default store."""

from __future__ import annotations

import factories as f
from stores_support import login_as, make_store, post_form, store_form

from panel.core.audit.tables import AuditEvent
from panel.core.stores.tables import Store


async def _store(slug):
    return await Store.select().where(Store.slug == slug).output(load_json=True).first()


async def test_admin_creates_the_first_store_which_becomes_the_default(client, authz, staff_login):
    await staff_login(client, authz, "admin")
    form = store_form(
        brand_name="Acme Hosting",
        accent_color="#1A6FB0",
        logo_url="https://cdn.example.com/logo.png",
        contact_instructions="Write to help@acme.example.",
        money_back_days="100",
        auto_renew="on",
        setup_fees_allowed=None,  # unticked
    )
    created = await post_form(client, "/admin/stores/new", form)
    assert created.status_code == 303, created.text[-2000:]
    row = await _store("main")
    assert created.headers["location"] == f"/admin/stores/{row['id']}?done=created"
    assert row["is_default"] is True  # the first open provider store, though not ticked
    assert row["brand_name"] == "Acme Hosting" and row["accent_color"] == "#1a6fb0"
    assert row["money_back_days"] == 100 and row["auto_renew"] is True and row["setup_fees_allowed"] is False
    page = await client.get(created.headers["location"])
    assert "The store was created." in page.text
    assert "<li>Setup fees: none</li>" in page.text and "<li>100-day money-back guarantee</li>" in page.text
    assert "<li>Renews automatically</li>" in page.text
    listed = await client.get("/admin/stores")
    assert 'data-testid="default-store">default<' in listed.text and "/store/main" in listed.text
    [event] = await AuditEvent.select().where(AuditEvent.action == "store.create")
    assert event["target"] == f"store:{row['id']}"


async def test_bad_values_are_shown_beside_their_fields_and_nothing_is_saved(client, authz, staff_login):
    await staff_login(client, authz, "admin")
    form = store_form(
        name="",
        slug="Main Store!",
        currency="XXX",
        kind="reseller",
        reseller_id="",
        accent_color="blue",
        logo_url="javascript:alert(1)",
        money_back_days="3651",
        invoice_prefix="INV/",
    )
    refused = await post_form(client, "/admin/stores/new", form)
    assert refused.status_code == 422
    for field, message in [
        ("name", "Give the store a name."),
        ("slug", "lower-case letters, digits and dashes"),
        ("currency", "Choose one of the currencies offered."),
        ("reseller_id", "Enter the number of the reseller&#39;s account."),
        ("accent_color", "Enter a colour like #1a6fb0"),
        ("logo_url", "Enter an address starting with https://"),
        ("money_back_days", "Enter a number of days from 0 to 3650."),
        ("invoice_prefix", "Use at most 20 letters, digits and dashes."),
    ]:
        assert f'<p id="{field}-error" class="field-error">' in refused.text, field
        assert message in refused.text, field
    assert 'value="Main Store!"' in refused.text  # what was typed comes back
    assert await Store.count() == 0
    assert await AuditEvent.count().where(AuditEvent.action == "store.create") == 0


async def test_a_reseller_store_needs_an_existing_account_and_a_provider_store_none(client, authz, staff_login):
    await staff_login(client, authz, "admin")
    no_account = await post_form(client, "/admin/stores/new", store_form(kind="reseller", reseller_id="999999"))
    assert no_account.status_code == 422 and "No account has this number." in no_account.text
    provider = await post_form(client, "/admin/stores/new", store_form(reseller_id="1"))
    assert provider.status_code == 422 and "The provider&#39;s own stores have no reseller" in provider.text
    assert await Store.count() == 0

    owner = await f.user(authz, "reseller@example.com")
    reseller = await f.account(authz, "Acme Reseller", owner)
    made = await post_form(
        client, "/admin/stores/new", store_form(kind="reseller", reseller_id=str(reseller), slug="acme", currency="EUR")
    )
    assert made.status_code == 303, made.text[-1500:]
    row = await _store("acme")
    assert row["reseller"] == reseller and row["kind"] == "reseller" and row["currency"] == "EUR"
    assert row["is_default"] is False  # a reseller's store is never the default
    taken = await post_form(client, "/admin/stores/new", store_form(slug="acme"))
    assert taken.status_code == 422 and "Another store has this address." in taken.text


async def test_exactly_one_store_is_the_default(client, authz, staff_login):
    await staff_login(client, authz, "admin")
    main = await make_store("Main", "main", default=True)
    other = await make_store("Second", "second")
    owner = await f.user(authz, "r@example.com")
    reseller = await f.account(authz, "R", owner)
    resold = await make_store("Resold", "resold", kind="reseller", reseller=reseller)

    keep = await post_form(client, f"/admin/stores/{main}", store_form(name="Main", slug="main"))
    assert keep.status_code == 422
    assert '<p id="is_default-error" class="field-error">One store must be the default' in keep.text
    closed = await post_form(client, f"/admin/stores/{main}", store_form(slug="main", is_default="on", is_active=None))
    assert closed.status_code == 422 and "The default store must stay open" in closed.text
    not_reseller = await post_form(
        client,
        f"/admin/stores/{resold}",
        store_form(slug="resold", kind="reseller", reseller_id=str(reseller), is_default="on"),
    )
    assert not_reseller.status_code == 422 and "Only one of the provider&#39;s own stores" in not_reseller.text
    assert (await _store("main"))["is_default"] and (await _store("main"))["name"] == "Main"

    moved = await post_form(client, f"/admin/stores/{other}", store_form(name="Second", slug="second", is_default="on"))
    assert moved.status_code == 303
    assert [r["slug"] for r in await Store.select(Store.slug).where(Store.is_default.eq(True))] == ["second"]
    [event] = await AuditEvent.select().where(AuditEvent.action == "store.update").output(load_json=True)
    assert event["details"]["is_default"] == {"before": False, "after": True}


async def test_only_staff_admins_reach_the_store_pages(client, authz, staff_login):
    store = await make_store("Main", "main", default=True)
    owner = await f.user(authz, "client@example.com")
    await f.account(authz, "Client", owner)
    await login_as(client, "client@example.com")
    for path in ("/admin/stores", "/admin/stores/new", f"/admin/stores/{store}", "/admin/reseller-tiers"):
        assert (await client.get(path)).status_code == 403, path
    assert (await post_form(client, f"/admin/stores/{store}", store_form(name="Hacked"))).status_code == 403
    api = await client.get("/api/v1/admin/stores")
    assert api.status_code == 403
    await staff_login(client, authz, "support")
    assert (await client.get("/admin/stores")).status_code == 403
    assert "/admin/stores" not in (await client.get("/admin")).text  # no nav link either
    client.cookies.clear()
    anonymous = await client.get("/admin/stores", follow_redirects=False)
    assert anonymous.status_code in (302, 303, 401) and "/login" in anonymous.headers.get("location", "/login")
    assert (await _store("main"))["name"] == "Main"


async def test_store_api_creates_changes_and_refuses_with_field_errors(client, authz, staff_login):
    await staff_login(client, authz, "admin")
    headers = {"x-csrftoken": f.csrf(client)}
    made = await client.post(
        "/api/v1/admin/stores",
        json={"name": "Main", "slug": "main", "currency": "GBP", "money_back_days": 14},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    store_id = body["store"]["id"]
    assert body["store"]["is_default"] is True and body["store"]["currency"] == "GBP"
    assert "14-day money-back guarantee" in body["terms"]

    bad = await client.patch(
        f"/api/v1/admin/stores/{store_id}",
        json={"money_back_days": -1, "non_refundable_types": ["nope.type"], "min_contract_months": {"x.y": 12}},
        headers=headers,
    )
    assert bad.status_code == 422
    errors = bad.json()["errors"]
    assert errors["money_back_days"] == "Enter a number of days from 0 to 3650."
    assert errors["non_refundable_types"] == "Not a product type of this panel: nope.type."
    assert errors["min_contract_months.x.y"] == "x.y is not a product type of this panel."
    assert (await _store("main"))["money_back_days"] == 14

    changed = await client.patch(
        f"/api/v1/admin/stores/{store_id}", json={"auto_renew": True, "brand_name": "Main Hosting"}, headers=headers
    )
    assert changed.status_code == 200
    assert changed.json()["store"]["brand_name"] == "Main Hosting" and "Renews automatically" in changed.json()["terms"]
    assert changed.json()["store"]["currency"] == "GBP"  # untouched fields stay
    listed = await client.get("/api/v1/admin/stores")
    assert [s["slug"] for s in listed.json()] == ["main"]
    assert (await client.get("/api/v1/admin/stores/999999")).status_code == 404


async def test_policies_may_name_registered_product_types_only(typed_client, staff_login):
    client = typed_client
    authz = client.app.state.authz
    await staff_login(client, authz, "admin")
    store = await make_store("Main", "main", default=True)
    page = await client.get(f"/admin/stores/{store}")
    assert 'name="min_contract_months.dummy.thing"' in page.text and 'value="dummy.thing"' in page.text
    refused = await post_form(
        client, f"/admin/stores/{store}", store_form(is_default="on", **{"min_contract_months.dummy.thing": "121"})
    )
    assert refused.status_code == 422
    assert '<p id="min_contract_months-dummy-thing-error" class="field-error">' in refused.text
    assert "Enter a number of months from 0 to 120." in refused.text
    saved = await post_form(
        client,
        f"/admin/stores/{store}",
        [
            *store_form(is_default="on", **{"min_contract_months.dummy.thing": "12"}).items(),
            ("non_refundable_types", "dummy.thing"),
        ],
    )
    assert saved.status_code == 303, saved.text[-1500:]
    row = await _store("main")
    assert row["min_contract_months"] == {"dummy.thing": 12} and row["non_refundable_types"] == ["dummy.thing"]
    shown = await client.get(f"/admin/stores/{store}")
    assert "<li>Dummy thing: 12-month minimum term</li>" in shown.text
    assert "<li>Dummy things are not refundable</li>" in shown.text
