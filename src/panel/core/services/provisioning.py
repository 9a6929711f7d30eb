"""Handing paid order items to their product types.

Issue 5 turns this into one background job per item; until then it runs right after
the payment commits, in the request or job that recorded it. Every step is
idempotent: a service already active (or waiting for staff) is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping

from panel.product_types import ProductType


async def provision_order(product_types: Mapping[str, ProductType], order_id: int) -> None:
    """Provision every pending service of a paid order through its product type."""
    raise NotImplementedError  # implemented by the services feature
