"""Applying a package change: the product type first, then the service, the credit and the email, once.

Called by the `lifecycle.package_change` job (see `packages` for the rules). The
product type's `change_package` is asked before anything is written: the contract
asks it to be idempotent, so a job that dies after it and runs again asks it again
and then commits. The change is claimed (`open` -> `applied`) in the transaction
that changes the service, gives a downgrade's credit, audits and queues the email,
so running the job twice applies the change once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from panel.core import db
from panel.core.audit.services import SYSTEM, record
from panel.core.billing import credit, refunds
from panel.core.billing.invoicing import LineDraft, issue_invoice
from panel.core.billing.tables import CreditKind, Invoice, InvoiceKind, InvoiceStatus
from panel.core.catalog.tables import Cycle, Product
from panel.core.lifecycle.packages import describe
from panel.core.lifecycle.renewals import as_date
from panel.core.lifecycle.tables import ChangeStatus, PackageChange
from panel.core.orders.placing import buyer_of
from panel.core.orders.taxes import tax_for
from panel.core.services.events import account_recipients, fire
from panel.core.services.lifecycle import context_for, load_state, type_not_enabled, utc_today
from panel.core.services.services import as_dict
from panel.core.services.tables import Service, ServiceStatus
from panel.errors import PanelError
from panel.money import format_money

log = logging.getLogger("panel.lifecycle")


async def apply_change(state: Any, change_id: int) -> str:
    """Make a change the client may have now (paid, or nothing to pay); returns its status afterwards.

    `state` has `product_types`, `settings` and `payment_gateways` (app state or
    runtime). An upgrade whose invoice is not paid stays open. The product type's
    `change_package` is asked first; the service changes, a downgrade's credit is
    given, the change is audited and the client emailed in the one transaction that
    claims the change (`open` -> `applied`), so a second run does nothing. A refusal
    (`ok=False` or a `PanelError`) marks it `failed`, refunding a paid invoice to
    credit; any other exception is raised, and the job retries.
    """
    row = await PackageChange.select().where(PackageChange.id == change_id).first()
    if row is None:
        return "missing"
    if row["status"] != ChangeStatus.OPEN:
        return str(row["status"])
    if row["invoice_id"] is not None and not await Invoice.exists().where(
        (Invoice.id == row["invoice_id"]) & (Invoice.status == InvoiceStatus.PAID)
    ):
        return ChangeStatus.OPEN  # waiting for its payment
    service = await Service.select().where(Service.id == row["service"]).first()
    target = await Product.select(Product.name, Product.config).where(Product.id == row["to_product"]).first()
    current = await Product.select(Product.name).where(Product.id == row["from_product"]).first()
    problem, data = await _ask_type(state, row, service, target)
    if problem:
        return await _fail(state, row, problem)
    assert service is not None and target is not None
    old_name = current["name"] if current else ""
    async with db.write_transaction():
        won = (
            await PackageChange.update({PackageChange.status: ChangeStatus.APPLIED, PackageChange.applied_at: _now()})
            .where((PackageChange.id == change_id) & (PackageChange.status == ChangeStatus.OPEN))
            .returning(PackageChange.id)
        )
        if not won:
            return await _status(change_id)
        fresh = await Service.select(Service.data, Service.label).where(Service.id == service["id"]).first()
        assert fresh is not None
        label = target["name"] if fresh["label"] == old_name else fresh["label"]
        await Service.update(
            {
                Service.product: row["to_product"],
                Service.recurring_amount: row["new_amount"],
                Service.label: label,
                Service.data: {**as_dict(fresh["data"]), **data},
            }
        ).where(Service.id == service["id"])
        credited = 0
        if int(row["prorated_amount"]) < 0:
            credited = await _credit_downgrade(row, service, old_name, target["name"])
        await record(
            "service.package_change",
            account_id=int(service["account"]),
            target=f"service:{service['id']}",
            summary=f"Changed {label} from {old_name} to {target['name']}.",
            details={
                "change": change_id,
                "product": {"before": row["from_product"], "after": row["to_product"]},
                "recurring_amount": {"before": row["old_amount"], "after": row["new_amount"]},
                "credited": credited,
            },
            **SYSTEM,
        )
        await _email(service, label, old_name, target["name"], int(row["new_amount"]), credited)
    await fire("package_changed", int(service["id"]), int(service["account"]), str(service["product_type"]))
    return ChangeStatus.APPLIED


def _now() -> datetime:
    return datetime.now(UTC)


async def _status(change_id: int) -> str:
    row = await PackageChange.select(PackageChange.status).where(PackageChange.id == change_id).first()
    return str(row["status"]) if row else "missing"


async def _ask_type(
    state: Any, row: dict[str, Any], service: dict[str, Any] | None, target: dict[str, Any] | None
) -> tuple[str, dict[str, Any]]:
    """Ask the product type to change the service; ("", data) when it did, (why, {}) when it cannot."""
    if service is None or target is None:
        return "The service or its new product no longer exists.", {}
    if service["status"] not in (ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED):
        return f"The service is {service['status']}: it cannot change package.", {}
    if int(service["product"]) != int(row["from_product"]):
        return "The service changed product meanwhile.", {}
    product_type = state.product_types.get(service["product_type"])
    loaded = await load_state(int(service["id"]))
    if product_type is None or loaded is None:
        return type_not_enabled(str(service["product_type"])) + ".", {}
    declared = {s.name for s in product_type.options}
    new_config = {**as_dict(target["config"]), **{k: v for k, v in loaded.options.items() if k in declared}}
    try:
        result = await product_type.change_package(context_for(loaded, product_type, state.settings), new_config)
    except PanelError as exc:
        return exc.message or "The change was refused.", {}
    if not result.ok:
        return result.message or "The change was refused.", {}
    return "", dict(result.data)


async def _fail(state: Any, row: dict[str, Any], problem: str) -> str:
    """Mark the change failed with `problem`; what was paid for it goes back to account credit, audited."""
    log.warning("package change %s of service %s failed: %s", row["id"], row["service"], problem)
    async with db.write_transaction():
        won = (
            await PackageChange.update({PackageChange.status: ChangeStatus.FAILED, PackageChange.error: problem[:2000]})
            .where((PackageChange.id == row["id"]) & (PackageChange.status == ChangeStatus.OPEN))
            .returning(PackageChange.id)
        )
        if not won:
            return await _status(int(row["id"]))
        await record(
            "service.package_change_failed",
            account_id=int(row["account"]),
            target=f"service:{row['service']}",
            summary=f"The package change {row['id']} could not be made: {problem}"[:500],
            details={"change": row["id"], "error": problem},
            **SYSTEM,
        )
        if row["invoice_id"] is not None:
            left = await refunds.refundable(int(row["invoice_id"]))
            if left > 0:
                note_id = await refunds.refund(
                    state,
                    int(row["invoice_id"]),
                    left,
                    refunds.TO_CREDIT,
                    f"The package change could not be made (package change {row['id']}): {problem}"[:500],
                    by=SYSTEM,
                )
                await PackageChange.update({PackageChange.credit_note_id: note_id}).where(PackageChange.id == row["id"])
    return ChangeStatus.FAILED


async def _credit_downgrade(row: dict[str, Any], service: dict[str, Any], old: str, new: str) -> int:
    """A credit note for the prorated difference, and that much account credit; returns it (tax included)."""
    place, snapshot = await buyer_of(int(service["account"]))
    tax = await tax_for(int(service["store"]), place)
    period_end = as_date(row["period_end"]) if row["period_end"] else utc_today()
    line = LineDraft(
        description=describe(
            {**service, "product_name": old}, new, int(row["prorated_amount"]), period_end - timedelta(days=1)
        )[:255],
        unit_amount=-int(row["prorated_amount"]),
        tax_name="" if tax.reverse_charge else tax.name,
        tax_bp=0 if tax.reverse_charge else tax.rate_bp,
        product_type=str(service["product_type"]),
        service_id=int(service["id"]),
    )
    note_id = await issue_invoice(
        store_id=int(service["store"]),
        account_id=int(service["account"]),
        currency=str(service["currency"]),
        lines=[line],
        billing=snapshot,
        notes=f"Credit for the downgrade of {service['label']} (package change {row['id']})",
        reverse_charge=tax.reverse_charge,
        kind=InvoiceKind.CREDIT_NOTE,
    )
    total = line.amount + line.tax
    await Invoice.update(
        {Invoice.status: InvoiceStatus.PAID, Invoice.amount_paid: total, Invoice.paid_at: _now()}
    ).where(Invoice.id == note_id)
    number = await Invoice.select(Invoice.number).where(Invoice.id == note_id).first()
    await credit.add(
        int(service["account"]),
        str(service["currency"]),
        total,
        CreditKind.REFUND,
        f"Downgrade of {service['label']} to {new} ({number['number'] if number else note_id})",
        None,
        note_id,
    )
    await PackageChange.update({PackageChange.credit_note_id: note_id}).where(PackageChange.id == row["id"])
    return total


async def _email(service: dict[str, Any], label: str, old: str, new: str, price: int, credited: int) -> None:
    """Queue the "your service changed package" email, in the caller's transaction."""
    from panel.core.mail import services as mail

    to = await account_recipients(int(service["account"]), "technical")
    if not to:
        return
    currency = str(service["currency"])
    await mail.send(
        "package_changed",
        to,
        {
            "label": label,
            "old_product": old,
            "new_product": new,
            "price": format_money(price, currency),
            "cycle": Cycle.LABELS.get(str(service["cycle"]), str(service["cycle"])).lower(),
            "credited": format_money(credited, currency) if credited else "",
            "service_id": int(service["id"]),
        },
        account_id=int(service["account"]),
    )
