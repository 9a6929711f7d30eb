"""A store's policies in words, and where the client-area link shows."""

from __future__ import annotations

import factories as f
from stores_support import make_product, make_service, make_store, post_form

from panel.core.audit.tables import AuditEvent
from panel.core.services.tables import Service
from panel.core.stores import services
from panel.core.stores.terms import terms

LABELS = {
    "core.hosting_plan": "Shared hosting",
    "domains.registration": "Domain registration",
    "ssl.cert": "SSL certificate",
}


def _store(**changes):
    policies = {
        "setup_fees_allowed": False,
        "money_back_days": 100,
        "min_contract_months": {"core.hosting_plan": 12},
        "full_prepayment": True,
        "auto_renew": False,
        "non_refundable_types": ["ssl.cert", "domains.registration"],
    }
    return {**policies, **changes}


def test_terms_word_every_policy_for_people():
    assert terms(_store(), LABELS) == [
        "Setup fees: none",
        "100-day money-back guarantee",
        "Shared hosting: 12-month minimum term",
        "The whole term is paid in advance",
        "Renews only when you pay the renewal invoice",
        "Domain registrations and SSL certificates are not refundable",
    ]


def test_terms_follow_the_other_settings():
    worded = terms(
        _store(
            setup_fees_allowed=True,
            money_back_days=0,
            min_contract_months={},
            full_prepayment=False,
            auto_renew=True,
            non_refundable_types=["domains.registration"],
        ),
        LABELS,
    )
    assert worded == [
        "Setup fees: as shown beside each price",
        "No money-back guarantee",
        "Pay one billing cycle at a time",
        "Renews automatically",
        "Domain registrations are not refundable",
    ]
    # a type no plugin names any more still reads sensibly
    assert "Web hosting: 6-month minimum term" in terms(_store(min_contract_months={"x.web_hosting": 6}), {})


def test_client_area_link_rules():
    provider = {"kind": "provider", "show_client_area_link": False}
    reseller = {"kind": "reseller", "show_client_area_link": False}
    assert services.client_area_link_visible({"show_client_area_link": False}, provider) is True
    assert services.client_area_link_visible({"show_client_area_link": None}, reseller) is False
    assert services.client_area_link_visible({"show_client_area_link": True}, reseller) is True
    shown = {"kind": "reseller_catalog", "show_client_area_link": True}
    assert services.client_area_link_visible({"show_client_area_link": None}, shown) is True
    assert services.client_area_link_visible({"show_client_area_link": False}, shown) is False


async def _links(store_id):
    rows = await Service.select(Service.id, Service.show_client_area_link).where(Service.store == store_id)
    return {r["id"]: r["show_client_area_link"] for r in rows}


async def test_changing_the_setting_is_for_new_services_until_applied_to_all(client, authz, staff_login):
    owner = await f.user(authz, "r@example.com")
    reseller = await f.account(authz, "Reseller", owner)
    await make_store("Main", "main", default=True)
    store = await make_store("Resold", "resold", kind="reseller", reseller=reseller)
    product = await make_product("plan")
    following = await make_service(reseller, store, product)
    hidden = await make_service(reseller, store, product, show_link=False)

    await services.update_store(store, {"show_client_area_link": False}, [])

    # the service that followed the store keeps the link it had; new ones follow the new setting
    assert await _links(store) == {following: True, hidden: False}
    await staff_login(client, authz, "admin")
    applied = await post_form(client, f"/admin/stores/{store}/apply-client-area-link")
    assert applied.status_code == 303 and applied.headers["location"].endswith("done=applied")
    assert await _links(store) == {following: None, hidden: None}
    row = await services.get_store(store)
    assert all(
        services.client_area_link_visible(
            {"show_client_area_link": v}, {"kind": row.kind, "show_client_area_link": False}
        )
        is False
        for v in (await _links(store)).values()
    )
    [event] = await AuditEvent.select().where(AuditEvent.action == "store.apply_client_area_link")
    assert event["account_id"] == reseller and "hidden for all 2 services" in event["summary"]
