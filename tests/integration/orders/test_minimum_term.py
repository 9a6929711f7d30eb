"""A minimum term the store wants paid in advance is enforced when ordering: in the cart and at checkout."""

from __future__ import annotations

from panel.core.orders.tables import CartItem, Order
from panel.core.stores.tables import Store

from .shop import SIGNUP, add, post


async def test_a_cycle_shorter_than_a_prepaid_minimum_term_is_refused_beside_the_cycle(client, shop):
    await Store.update({Store.min_contract_months: {"test.plan": 12}, Store.full_prepayment: True}).where(
        Store.id == shop.main
    )

    monthly = await add(client, shop.starter, "monthly")
    assert monthly.status_code == 422
    assert "Starter has a 12-month minimum term, paid in advance in this store" in monthly.text
    assert await CartItem.count() == 0

    annual = await add(client, shop.starter, "annual")
    assert annual.status_code in (302, 303)
    assert await CartItem.count() == 1


async def test_without_full_prepayment_any_cycle_may_be_ordered(client, shop):
    await Store.update({Store.min_contract_months: {"test.plan": 12}, Store.full_prepayment: False}).where(
        Store.id == shop.main
    )
    assert (await add(client, shop.starter, "monthly")).status_code in (302, 303)


async def test_a_policy_changed_after_the_item_was_added_stops_the_checkout(client, shop):
    assert (await add(client, shop.starter, "monthly")).status_code in (302, 303)
    await Store.update({Store.min_contract_months: {"test.plan": 12}, Store.full_prepayment: True}).where(
        Store.id == shop.main
    )
    placed = await post(client, "/checkout", **SIGNUP)
    assert placed.status_code == 422 and "12-month minimum term" in placed.text
    assert await Order.count() == 0
