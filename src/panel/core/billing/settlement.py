"""What happens when an invoice becomes paid: inside the paying transaction, and after it.

`mark_paid` runs in the transaction of the payment that settled the invoice: the
conditional UPDATE (`WHERE status = 'unpaid'`) lets exactly one transaction win, and
the order and the credit of an "Add funds" invoice change with it, or not at all.

`after_paid` runs once that transaction committed (and after checkout of a free
order): it queues one provisioning job per item of the order and tells plugins. Its
failures are logged, never raised: the payment stands (the provisioning sweep queues
what a crash here left out).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from panel.core.billing import credit
from panel.core.billing.invoicing import ACCOUNT_CREDIT_TYPE
from panel.core.billing.tables import CreditKind, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from panel.core.orders.tables import Order, OrderStatus

log = logging.getLogger("panel.billing")


async def mark_paid(invoice: dict[str, Any]) -> bool:
    """Set the invoice paid if it is still unpaid; True for the one caller that did it.

    Also marks the order raised with it paid and adds the credit an "Add funds"
    invoice bought. Runs inside the caller's write transaction.
    """
    now = datetime.now(UTC)
    won = (
        await Invoice.update({Invoice.status: InvoiceStatus.PAID, Invoice.paid_at: now})
        .where((Invoice.id == invoice["id"]) & (Invoice.status == InvoiceStatus.UNPAID))
        .returning(Invoice.id)
    )
    if not won:
        return False
    await Order.update({Order.status: OrderStatus.PAID, Order.paid_at: now}).where(
        (Order.invoice_id == invoice["id"]) & (Order.status == OrderStatus.PENDING)
    )
    funds = await InvoiceLine.select(InvoiceLine.amount).where(
        (InvoiceLine.invoice == invoice["id"]) & (InvoiceLine.product_type == ACCOUNT_CREDIT_TYPE)
    )
    amount = sum(int(r["amount"]) for r in funds)
    if amount > 0:
        note = f"Funds added with invoice {invoice['number']}"
        await credit.add(
            int(invoice["account"]), str(invoice["currency"]), amount, CreditKind.DEPOSIT, note, None, invoice["id"]
        )
    return True


async def after_paid(state: Any, invoice_id: int) -> None:
    """Queue provisioning of the invoice's order and call `panel_on_invoice_paid`; after the settling commit.

    `state` is the app's state (`request.app.state`) or a `panel.core.runtime.Runtime`:
    its `settings` and `plugins`. Not for credit notes. The jobs record provisioning
    errors on the services for staff to retry.
    """
    row = (
        await Invoice.select(Invoice.id, Invoice.account, Invoice.kind, Invoice.status, Invoice.order_id)
        .where(Invoice.id == invoice_id)
        .first()
    )
    if row is None or row["kind"] != InvoiceKind.INVOICE or row["status"] != InvoiceStatus.PAID:
        return
    order_id = row["order_id"]
    if order_id is None:
        order = await Order.select(Order.id).where(Order.invoice_id == invoice_id).first()
        order_id = order["id"] if order else None
    if order_id is not None:
        from panel.core.services.provisioning import enqueue_order

        try:
            await enqueue_order(state.settings, int(order_id))
        except Exception:
            log.exception("queueing provisioning of order %s after invoice %s was paid failed", order_id, invoice_id)
    await state.plugins.on_invoice_paid(invoice_id=invoice_id, account_id=int(row["account"]), order_id=order_id)
