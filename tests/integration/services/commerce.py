"""Commerce rows for the services and search tests, written straight into the tables.

Stores, products, orders and invoices are other features being written at the same
time; the tests insert the rows those features would write and then use the services
feature's own functions (`create_pending_service`, `provision_order`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from panel.core.billing.tables import Invoice, InvoiceStatus
from panel.core.catalog.tables import Product
from panel.core.orders.tables import Order, OrderItem, OrderStatus
from panel.core.services.services import create_pending_service
from panel.core.stores.tables import Store, StoreKind

_seq = itertools.count(1)


async def store(
    name: str = "Main store",
    *,
    kind: str = StoreKind.PROVIDER,
    show_link: bool = True,
    contact: str = "",
    reseller: int | None = None,
    default: bool = False,
) -> int:
    """A store of that kind; `contact` is its contact instructions."""
    n = next(_seq)
    row = await Store.insert(
        Store(
            name=name,
            slug=f"store-{n}",
            kind=kind,
            is_default=default,
            show_client_area_link=show_link,
            contact_instructions=contact,
            reseller=reseller,
        )
    ).returning(Store.id)
    return int(row[0]["id"])


async def product(product_type: str = "core.hosting_plan", name: str = "Basic hosting", **config: Any) -> int:
    """A product of a type, with its config."""
    n = next(_seq)
    row = await Product.insert(
        Product(name=name, slug=f"product-{n}", product_type=product_type, config=dict(config))
    ).returning(Product.id)
    return int(row[0]["id"])


async def order(
    account_id: int,
    store_id: int,
    items: list[Mapping[str, Any]],
    *,
    paid: bool = True,
    number: str | None = None,
    currency: str = "USD",
) -> tuple[int, list[int]]:
    """A placed order with one pending service per item; returns (order id, service ids).

    Each item: `product` (id), `type`, and optionally `cycle` (monthly), `label`,
    `amount` (minor units), `fields`, `options`, `parent` (index of an earlier item).
    """
    n = next(_seq)
    row = await Order.insert(
        Order(
            number=number or f"ORD-{n:06d}",
            account=account_id,
            store=store_id,
            status=OrderStatus.PAID if paid else OrderStatus.PENDING,
            currency=currency,
        )
    ).returning(Order.id)
    order_id = int(row[0]["id"])
    service_ids: list[int] = []
    for item in items:
        cycle = item.get("cycle", "monthly")
        amount = int(item.get("amount", 999))
        line = await OrderItem.insert(
            OrderItem(
                order=order_id,
                product=item["product"],
                description=item.get("label", "Item"),
                product_type=item["type"],
                cycle=cycle,
                unit_amount=amount,
                recurring_amount=amount,
                fields=dict(item.get("fields", {})),
                options=dict(item.get("options", {})),
            )
        ).returning(OrderItem.id)
        parent = item.get("parent")
        service_id = await create_pending_service(
            account_id=account_id,
            store_id=store_id,
            product_id=item["product"],
            product_type=item["type"],
            label=item.get("label", "A service"),
            cycle=cycle,
            currency=currency,
            recurring_amount=amount,
            options=item.get("options"),
            fields=item.get("fields"),
            order_item_id=int(line[0]["id"]),
            parent_id=service_ids[parent] if parent is not None else None,
        )
        await OrderItem.update({OrderItem.service_id: service_id}).where(OrderItem.id == line[0]["id"])
        service_ids.append(service_id)
    return order_id, service_ids


async def service(
    account_id: int, store_id: int, product_id: int, product_type: str = "core.hosting_plan", **item: Any
) -> int:
    """One service from a paid order of one item (still pending)."""
    _, ids = await order(account_id, store_id, [{"product": product_id, "type": product_type, **item}])
    return ids[0]


async def bare_service(
    account_id: int, store_id: int, product_id: int, product_type: str = "dummy.thing", status: str = "pending"
) -> int:
    """A service with no order behind it (as staff might add one), in that status."""
    from panel.core.services.tables import Service

    service_id = await create_pending_service(
        account_id=account_id,
        store_id=store_id,
        product_id=product_id,
        product_type=product_type,
        label="Bare",
        cycle="monthly",
        currency="USD",
        recurring_amount=500,
    )
    await Service.update({Service.status: status}).where(Service.id == service_id)
    return service_id


async def invoice(
    account_id: int, store_id: int, number: str, *, status: str = InvoiceStatus.UNPAID, total: int = 1000
) -> int:
    """An issued invoice with that number and status."""
    row = await Invoice.insert(
        Invoice(
            store=store_id,
            account=account_id,
            number=number,
            status=status,
            currency="USD",
            subtotal=total,
            total=total,
        )
    ).returning(Invoice.id)
    return int(row[0]["id"])
