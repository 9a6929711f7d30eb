"""Reading orders (client and staff lists, one order) and cancelling a pending one.

Every client-side function takes the account id and only reads that account's rows,
so another account's order id is `NotFound`, never data. Lists are one query for
the page and one for the count, whatever the page's length.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from panel.core import db
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.billing.tables import Invoice, InvoiceStatus
from panel.core.catalog.tables import Cycle
from panel.core.orders.tables import Order, OrderItem, OrderStatus
from panel.core.paging import Page
from panel.core.services.tables import Service, ServiceStatus
from panel.errors import NotFound, PanelError
from panel.money import format_money

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class CancelRefused(PanelError):
    """The order cannot be cancelled (paid, cancelled already, or its invoice has payments)."""

    status_code = 409


@dataclass(frozen=True)
class OrderRow:
    """One line of an orders list."""

    id: int
    number: str
    account_id: int
    account_name: str
    store_id: int
    store_name: str
    status: str
    currency: str
    total: int
    invoice_id: int | None
    created_at: datetime

    @property
    def total_text(self) -> str:
        """The total for people."""
        return format_money(self.total, self.currency)


@dataclass(frozen=True)
class OrderLine:
    """One line of an order."""

    id: int
    parent_id: int | None
    description: str
    product_type: str
    cycle: str
    unit_amount: int
    setup_fee: int
    discount: int
    recurring_amount: int
    fields: dict[str, Any]
    service_id: int | None
    service_status: str

    @property
    def cycle_label(self) -> str:
        """The cycle for people."""
        return Cycle.LABELS.get(self.cycle, self.cycle)


@dataclass(frozen=True)
class OrderDetail:
    """An order with its lines and its invoice's number and state."""

    row: OrderRow
    subtotal: int
    discount: int
    tax: int
    promo_code: str
    placed_by_email: str
    paid_at: datetime | None
    lines: list[OrderLine]
    invoice_number: str
    invoice_status: str

    def money(self, amount: int) -> str:
        """An amount of this order for people."""
        return format_money(amount, self.row.currency)


@dataclass(frozen=True)
class OrderFilters:
    """What the staff list is narrowed to; None or '' means no filter."""

    status: str = ""
    store_id: int | None = None
    account_id: int | None = None

    def normalised(self) -> OrderFilters:
        """An unknown status means no status filter."""
        return OrderFilters(self.status if self.status in OrderStatus.ALL else "", self.store_id, self.account_id)


@dataclass(frozen=True)
class OrderPage(Page[OrderRow]):
    """One page of orders and how many match in all."""

    filters: OrderFilters = field(default_factory=OrderFilters)


_ROW_COLUMNS = (
    Order.id,
    Order.number,
    Order.account,
    Order.account.name,
    Order.store,
    Order.store.name,
    Order.status,
    Order.currency,
    Order.total,
    Order.invoice_id,
    Order.created_at,
)


def _row(r: Mapping[str, Any]) -> OrderRow:
    return OrderRow(
        id=r["id"],
        number=r["number"],
        account_id=r["account"],
        account_name=r["account.name"] or "",
        store_id=r["store"],
        store_name=r["store.name"] or "",
        status=r["status"],
        currency=r["currency"],
        total=int(r["total"]),
        invoice_id=r["invoice_id"],
        created_at=r["created_at"],
    )


def _where(filters: OrderFilters) -> Any:
    clauses = []
    if filters.status:
        clauses.append(Order.status == filters.status)
    if filters.store_id is not None:
        clauses.append(Order.store == filters.store_id)
    if filters.account_id is not None:
        clauses.append(Order.account == filters.account_id)
    where: Any = None
    for clause in clauses:
        where = clause if where is None else where & clause
    return where


async def search_orders(filters: OrderFilters, limit: int = PAGE_SIZE, offset: int = 0) -> OrderPage:
    """Orders newest first, narrowed by status, store and account: two queries (page, count)."""
    filters = filters.normalised()
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(0, offset)
    where = _where(filters)
    query = Order.select(*_ROW_COLUMNS).order_by(Order.id, ascending=False).limit(limit).offset(offset)
    count = Order.count()
    if where is not None:
        query = query.where(where)
        count = count.where(where)
    rows = await query
    return OrderPage([_row(r) for r in rows], int(await count), limit, offset, filters)


async def account_orders(account_id: int, limit: int = PAGE_SIZE, offset: int = 0, status: str = "") -> OrderPage:
    """The account's orders, newest first."""
    return await search_orders(OrderFilters(status=status, account_id=account_id), limit, offset)


async def _detail(where: Any) -> OrderDetail:
    row = (
        await Order.select(
            *_ROW_COLUMNS,
            Order.subtotal,
            Order.discount,
            Order.tax,
            Order.promo_code,
            Order.paid_at,
            Order.placed_by.email,
        )
        .where(where)
        .first()
    )
    if row is None:
        raise NotFound("No such order.")
    items = await OrderItem.select().where(OrderItem.order == row["id"]).order_by(OrderItem.id).output(load_json=True)
    service_ids = [i["service_id"] for i in items if i["service_id"] is not None]
    statuses = (
        {
            s["id"]: s["status"]
            for s in await Service.select(Service.id, Service.status).where(Service.id.is_in(service_ids))
        }
        if service_ids
        else {}
    )
    invoice = (
        await Invoice.select(Invoice.number, Invoice.status).where(Invoice.id == row["invoice_id"]).first()
        if row["invoice_id"]
        else None
    )
    return OrderDetail(
        row=_row(row),
        subtotal=int(row["subtotal"]),
        discount=int(row["discount"]),
        tax=int(row["tax"]),
        promo_code=row["promo_code"],
        placed_by_email=row["placed_by.email"] or "",
        paid_at=row["paid_at"],
        lines=[
            OrderLine(
                id=i["id"],
                parent_id=i["parent"],
                description=i["description"],
                product_type=i["product_type"],
                cycle=i["cycle"],
                unit_amount=int(i["unit_amount"]),
                setup_fee=int(i["setup_fee"]),
                discount=int(i["discount"]),
                recurring_amount=int(i["recurring_amount"]),
                fields=dict(i["fields"] or {}),
                service_id=i["service_id"],
                service_status=statuses.get(i["service_id"], ""),
            )
            for i in items
        ],
        invoice_number=(invoice or {}).get("number") or "",
        invoice_status=(invoice or {}).get("status") or "",
    )


async def get_order(account_id: int, order_id: int) -> OrderDetail:
    """One order of this account, or `NotFound` (also for another account's order)."""
    return await _detail((Order.id == order_id) & (Order.account == account_id))


async def get_any_order(order_id: int) -> OrderDetail:
    """One order, for staff."""
    return await _detail(Order.id == order_id)


async def cancel_order(order_id: int, *, by: AuditContext = SYSTEM) -> None:
    """Cancel a pending order: the order, its unpaid invoice and its pending services, together.

    Refused (409, nothing changed) when the order is not pending or its invoice has
    received a payment (refund that first).
    """
    async with db.write_transaction():
        order = (
            await Order.select(Order.id, Order.number, Order.status, Order.account, Order.invoice_id)
            .where(Order.id == order_id)
            .first()
        )
        if order is None:
            raise NotFound("No such order.")
        if order["status"] != OrderStatus.PENDING:
            raise CancelRefused(f"Order {order['number']} is {order['status']}: only a pending order can be cancelled.")
        if order["invoice_id"] is not None:
            invoice = (
                await Invoice.select(Invoice.status, Invoice.amount_paid)
                .where(Invoice.id == order["invoice_id"])
                .first()
            )
            if invoice is not None and (invoice["amount_paid"] or invoice["status"] == InvoiceStatus.PAID):
                raise CancelRefused("The order's invoice has payments: refund them before cancelling the order.")
            updated = (
                await Invoice.update({Invoice.status: InvoiceStatus.CANCELLED})
                .where(
                    (Invoice.id == order["invoice_id"])
                    & Invoice.status.is_in([InvoiceStatus.UNPAID, InvoiceStatus.DRAFT])
                    & (Invoice.amount_paid == 0)
                )
                .returning(Invoice.id)
            )
            if invoice is not None and not updated and invoice["status"] != InvoiceStatus.CANCELLED:
                raise CancelRefused("The order's invoice changed meanwhile (a payment?): look at it again.")
        changed = (
            await Order.update({Order.status: OrderStatus.CANCELLED})
            .where((Order.id == order_id) & (Order.status == OrderStatus.PENDING))
            .returning(Order.id)
        )
        if not changed:
            raise CancelRefused(f"Order {order['number']} changed meanwhile: look at it again.")
        item_ids = [r["id"] for r in await OrderItem.select(OrderItem.id).where(OrderItem.order == order_id)]
        cancelled = []
        if item_ids:
            cancelled = (
                await Service.update({Service.status: ServiceStatus.CANCELLED})
                .where(Service.order_item_id.is_in(item_ids) & (Service.status == ServiceStatus.PENDING))
                .returning(Service.id)
            )
        await record(
            "order.cancel",
            account_id=order["account"],
            target=f"order:{order_id}",
            summary=f"Cancelled order {order['number']}, its invoice and {len(cancelled)} pending service(s).",
            details={"status": {"before": OrderStatus.PENDING, "after": OrderStatus.CANCELLED}},
            **by,
        )
