"""A service's page: the product type's own buttons in the `service.actions` slot, and addons ordered for it."""

from __future__ import annotations

from typing import Any

import factories as f
from markupsafe import escape

from panel.core.accounts import services as accounts
from panel.core.auth.tables import User
from panel.core.billing.tables import InvoiceLine
from panel.core.orders.tables import CartItem, Order
from panel.core.services.tables import Service
from panel.plugin import PluginMeta, hookimpl

from .helpers import active_service, client_account, shop


class ThingButtons:
    """A product type's plugin that puts its buttons in the service page's slot."""

    PLUGIN_META = PluginMeta(name="thing_buttons", version="0.1.0", summary="buttons for dummy.thing services")

    @staticmethod
    @hookimpl
    def panel_render_page_slot(slot: str, request: Any, context: dict[str, Any]) -> str | None:
        service = context.get("service")
        if slot != "service.actions" or service is None or service.product_type != "dummy.thing":
            return None
        return f'<button data-testid="thing-reboot" data-service="{service.id}">Reboot {escape(service.label)}</button>'


async def test_a_plugin_fills_the_service_actions_slot_with_the_service_in_context(client, authz):
    s = await shop()
    acct = await client_account(authz, "owner@example.com", s.store)
    service_id = await active_service(client.app, acct, s, label="<b>box</b>.example")
    await f.login_as(client, "owner@example.com")
    assert 'data-testid="type-actions"' not in (await client.get(f"/services/{service_id}")).text

    plugins = client.app.state.plugins
    plugins.pm.register(ThingButtons, name="thing_buttons")
    try:
        page = await client.get(f"/services/{service_id}")
        elsewhere = await client.get("/services")
    finally:
        plugins.pm.unregister(name="thing_buttons")

    assert f'data-service="{service_id}">Reboot &lt;b&gt;box&lt;/b&gt;.example</button>' in page.text
    assert 'data-testid="type-actions"' in page.text
    assert 'data-testid="thing-reboot"' not in elsewhere.text


async def test_an_addon_is_ordered_for_an_existing_service_from_its_page(client, authz):
    s = await shop()
    acct = await client_account(authz, "owner@example.com", s.store, {"viewer@example.com": ["services"]})
    service_id = await active_service(client.app, acct, s)
    await f.login_as(client, "owner@example.com")

    page = await client.get(f"/services/{service_id}")
    assert page.status_code == 200
    assert "Daily backups" in page.text and "€2.00 monthly" in page.text and "€20.00 annually" in page.text
    assert "Unsold backups" not in page.text  # not sold in the account's store
    assert f'data-testid="order-addon-{s.backups}"' in page.text

    ordered = await f.post_form(
        client, f"/services/{service_id}/addons", {"addon_id": str(s.backups), "cycle": "annual"}
    )
    assert ordered.status_code == 303 and ordered.headers["location"] == "/cart?done=added"
    again = await f.post_form(client, f"/services/{service_id}/addons", {"addon_id": str(s.backups), "cycle": "annual"})
    assert again.status_code == 303
    assert await CartItem.count().where(CartItem.for_service == service_id) == 1
    cart = await client.get("/cart")
    assert "Daily backups" in cart.text and f'for <a href="/services/{service_id}">thing.example</a>' in cart.text
    assert "€20.00" in cart.text

    placed = await f.post_form(client, "/checkout", {"account_id": str(acct)})
    assert placed.status_code == 303, placed.text
    child = await Service.select().where(Service.parent == service_id).first()
    assert child is not None
    assert (child["product"], child["cycle"], child["status"], child["account"]) == (
        s.backups,
        "annual",
        "pending",
        acct,
    )
    line = await InvoiceLine.select().where(InvoiceLine.service_id == child["id"]).first()
    assert line["description"] == "Daily backups for thing.example (Annually)" and line["unit_amount"] == 2000

    after = await client.get(f"/services/{service_id}")
    assert 'data-testid="addon-owned"' in after.text and f'data-testid="order-addon-{s.backups}"' not in after.text
    twice = await f.post_form(
        client, f"/services/{service_id}/addons", {"addon_id": str(s.backups), "cycle": "monthly"}
    )
    assert twice.status_code == 422 and "has that addon already" in twice.text
    unsold = await f.post_form(
        client, f"/services/{service_id}/addons", {"addon_id": str(s.unsold), "cycle": "monthly"}
    )
    assert unsold.status_code == 422

    # a member who may see services but not order gets no button, and the form is refused
    await f.login_as(client, "viewer@example.com")
    seen = await client.get(f"/services/{service_id}")
    assert seen.status_code == 200 and "Daily backups" in seen.text and "order-addon-" not in seen.text
    refused = await f.post_form(
        client, f"/services/{service_id}/addons", {"addon_id": str(s.backups), "cycle": "monthly"}
    )
    assert refused.status_code == 403


async def test_an_addon_for_another_accounts_service_is_404(client, authz):
    s = await shop()
    await client_account(authz, "owner@example.com", s.store)
    theirs = await client_account(authz, "other@example.com", s.store)
    their_service = await active_service(client.app, theirs, s)
    await f.login_as(client, "owner@example.com")

    answer = await f.post_form(
        client, f"/services/{their_service}/addons", {"addon_id": str(s.backups), "cycle": "monthly"}
    )

    assert answer.status_code == 404
    assert await CartItem.count() == 0


async def test_checkout_refuses_an_addon_for_a_service_of_another_account(client, authz):
    """The cart belongs to the user: an addon put in for account A's service cannot be ordered for account B."""
    s = await shop()
    first = await client_account(authz, "owner@example.com", s.store)
    service_id = await active_service(client.app, first, s)
    owner = await User.select(User.id).where(User.email == "owner@example.com").first()
    second = await accounts.create_account(authz, "Second Ltd", owner["id"], s.store)
    await f.login_as(client, "owner@example.com")
    assert (await f.post_form(client, "/accounts/switch", {"account_id": first})).status_code == 303
    ordered = await f.post_form(
        client, f"/services/{service_id}/addons", {"addon_id": str(s.backups), "cycle": "monthly"}
    )
    assert ordered.status_code == 303

    refused = await f.post_form(client, "/checkout", {"account_id": str(second)})

    assert refused.status_code == 422
    assert "is for a service that is not an active service of this account" in refused.text
    assert await Order.count().where(Order.account == second) == 0
    assert await Service.count().where(Service.parent == service_id) == 0
