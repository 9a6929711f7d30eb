"""Services of accounts: creating them from orders, reading them, staff tasks.

Every business rule about services lives here; routes only parse and render.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from panel.core.services.tables import Service, ServiceStatus
from panel.core.stores.tables import Store


async def create_pending_service(
    *,
    account_id: int,
    store_id: int,
    product_id: int,
    product_type: str,
    label: str,
    cycle: str,
    currency: str,
    recurring_amount: int,
    options: Mapping[str, Any] | None = None,
    fields: Mapping[str, Any] | None = None,
    order_item_id: int | None = None,
    parent_id: int | None = None,
) -> int:
    """Write a pending service for an order line (in the caller's transaction) and return its id.

    The service takes the store's "show the client-area link" setting as it is now;
    a later change of the store's setting applies to it only through "apply to all".
    """
    store = await Store.select(Store.show_client_area_link).where(Store.id == store_id).first()
    row = (
        await Service.insert(
            Service(
                account=account_id,
                store=store_id,
                product=product_id,
                parent=parent_id,
                product_type=product_type,
                label=label[:255],
                status=ServiceStatus.PENDING,
                cycle=cycle,
                currency=currency,
                recurring_amount=recurring_amount,
                options=dict(options or {}),
                fields=dict(fields or {}),
                order_item_id=order_item_id,
                show_client_area_link=bool(store["show_client_area_link"]) if store else True,
            )
        ).returning(Service.id)
    )[0]
    return int(row["id"])
