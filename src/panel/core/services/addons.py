"""Addons a client can order for a service they already have: the service page's "Addons" section.

What is offered comes from the catalogue (the addons linked to the service's
product) and is priced by `panel.core.catalog.pricing` in the store the account
buys from, like the storefront. Ordering one puts it in the cart
(`panel.core.orders.cart.add_service_addon`); checkout makes it a service under this one.
"""

from __future__ import annotations

from dataclasses import dataclass

from panel.core.catalog import pricing
from panel.core.catalog.storefront import PriceLine, price_line
from panel.core.catalog.tables import ProductAddon
from panel.core.orders.cart import account_store
from panel.core.services.services import ServiceDetail
from panel.core.services.tables import Service, ServiceStatus


@dataclass(frozen=True)
class AddonOffer:
    """An addon the service can have, its prices per cycle, and whether the service has it already."""

    id: int
    name: str
    description: str
    prices: list[PriceLine]
    has_it: bool


async def addon_offers(account_id: int, service: ServiceDetail) -> list[AddonOffer]:
    """The addons of the service's product that the account's store sells, with prices (a fixed few queries).

    Addons the store does not sell, or sells in no cycle, are left out; those the
    service already has (a live service under it) are marked `has_it`.
    """
    links = await (
        ProductAddon.select(ProductAddon.addon.id, ProductAddon.addon.name, ProductAddon.addon.description)
        .where((ProductAddon.product == service.product_id) & ProductAddon.addon._.is_active.eq(True))
        .order_by(ProductAddon.addon.sort)
        .order_by(ProductAddon.addon.name)
    )
    if not links:
        return []
    quotes = await pricing.store_quotes(await account_store(account_id), [r["addon.id"] for r in links])
    owned = {
        int(r["product"])
        for r in await Service.select(Service.product).where(
            (Service.parent == service.id) & Service.status.is_in(list(ServiceStatus.LIVE))
        )
    }
    return [
        AddonOffer(
            id=int(r["addon.id"]),
            name=r["addon.name"],
            description=r["addon.description"] or "",
            prices=[price_line(q) for q in quotes[r["addon.id"]]],
            has_it=int(r["addon.id"]) in owned,
        )
        for r in links
        if quotes.get(r["addon.id"])
    ]
