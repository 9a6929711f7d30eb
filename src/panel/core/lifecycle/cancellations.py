"""Cancellation requests: the client asks, the panel carries it out now or at the end of the period.

The store's policy decides what the client gets back and when they may leave:

- **Minimum contract** (`min_contract_months` per product type): a request whose
  cancellation would take effect before the minimum term ends is refused, naming the
  first date it may take effect.
- **Money-back period** (`money_back_days`, counted from activation): a request to
  cancel *now* within it refunds the service's items of the invoice that paid for it
  (addons included), except product types the store lists as non-refundable
  (domains, certificates). The refund goes to account credit or back through the
  gateway, with a credit note listing the items. After the period nothing is
  refunded automatically; staff may still refund an invoice by hand.

A request to cancel now is carried out by a job right after it is made; one for the
period end by the daily `lifecycle.cancellations` task on the due date. Either way
`carry_out` claims the request first, so it runs once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from panel.core import db
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.billing.invoicing import LineDraft, draft_of
from panel.core.billing.refunds import TO_CREDIT, TO_GATEWAY, refund
from panel.core.billing.tables import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from panel.core.lifecycle.overdue import cancel_renewals
from panel.core.lifecycle.renewals import as_date
from panel.core.lifecycle.tables import CancellationRequest, CancelStatus, CancelWhen
from panel.core.paging import Page
from panel.core.services.events import account_recipients, fire
from panel.core.services.lifecycle import ServiceRefused, add_months, cancel_service, utc_today
from panel.core.services.tables import Service, ServiceStatus
from panel.core.stores.services import get_store
from panel.errors import NotFound, PanelError, ValidationFailed
from panel.money import format_money

log = logging.getLogger("panel.lifecycle")

CANCEL_JOB = "lifecycle.cancel"
PAGE_SIZE = 50


@dataclass(frozen=True)
class RefundPlan:
    """What cancelling now would refund: the invoice, its lines for the service, and the total with tax."""

    invoice_id: int | None
    lines: tuple[LineDraft, ...]
    amount: int
    currency: str
    why_not: str = ""


@dataclass(frozen=True)
class RequestRow:
    """A cancellation request as the client's service page and the staff list show it."""

    id: int
    service_id: int
    service_label: str
    account_id: int
    account_name: str
    when: str
    reason: str
    status: str
    effective_date: date | None
    refund_amount: int
    currency: str
    error: str
    created_at: datetime

    @property
    def when_label(self) -> str:
        """The choice as the client read it: now, or at the end of the period."""
        return "Now" if self.when == CancelWhen.NOW else "At the end of the period"


class RequestPage(Page[RequestRow]):
    """A page of cancellation requests, newest first."""


_COLUMNS = (
    CancellationRequest.id,
    CancellationRequest.service.id.as_alias("service_id"),
    CancellationRequest.service.label.as_alias("service_label"),
    CancellationRequest.service.currency.as_alias("currency"),
    CancellationRequest.account.id.as_alias("account_id"),
    CancellationRequest.account.name.as_alias("account_name"),
    CancellationRequest.when,
    CancellationRequest.reason,
    CancellationRequest.status,
    CancellationRequest.effective_date,
    CancellationRequest.refund_amount,
    CancellationRequest.error,
    CancellationRequest.created_at,
)


def _row(r: dict[str, Any]) -> RequestRow:
    return RequestRow(
        id=r["id"],
        service_id=r["service_id"],
        service_label=r["service_label"],
        account_id=r["account_id"],
        account_name=r["account_name"],
        when=r["when"],
        reason=r["reason"],
        status=r["status"],
        effective_date=as_date(r["effective_date"]) if r["effective_date"] else None,
        refund_amount=int(r["refund_amount"] or 0),
        currency=r["currency"],
        error=r["error"] or "",
        created_at=r["created_at"],
    )


async def list_requests(status: str = "", limit: int = PAGE_SIZE, offset: int = 0) -> RequestPage:
    """Staff's list: every request, newest first, optionally of one status."""
    where: Any = CancellationRequest.status == status if status else None
    query = CancellationRequest.select(*_COLUMNS).order_by(CancellationRequest.id, ascending=False)
    count = CancellationRequest.count()
    if where is not None:
        query, count = query.where(where), count.where(where)
    rows = await query.limit(limit).offset(offset)
    return RequestPage(rows=[_row(r) for r in rows], total=await count, limit=limit, offset=offset)


async def open_request(service_id: int) -> RequestRow | None:
    """The service's open request, if any."""
    r = (
        await CancellationRequest.select(*_COLUMNS)
        .where((CancellationRequest.service == service_id) & (CancellationRequest.status == CancelStatus.OPEN))
        .first()
    )
    return _row(r) if r else None


async def service_row(account_id: int, service_id: int) -> dict[str, Any]:
    """The account's service as a row; `NotFound` for another account's."""
    row = await Service.select().where((Service.id == service_id) & (Service.account == account_id)).first()
    if row is None:
        raise NotFound("No such service in this account.")
    return dict(row)


def _activated_on(service: dict[str, Any]) -> date | None:
    value = service.get("activated_at")
    return value.date() if isinstance(value, datetime) else None


async def minimum_end(service: dict[str, Any]) -> date | None:
    """The first day the store's minimum contract lets this service's cancellation take effect."""
    months = (await get_store(int(service["store"]))).min_contract_months.get(str(service["product_type"]), 0)
    start = _activated_on(service)
    return add_months(start, months) if months and start else None


async def refund_plan(service: dict[str, Any], today: date) -> RefundPlan:
    """What cancelling this service now refunds under its store's money-back policy."""
    currency = str(service["currency"])
    store = await get_store(int(service["store"]))
    start = _activated_on(service)
    if not store.money_back_days or start is None:
        return RefundPlan(None, (), 0, currency, "This store has no money-back period.")
    if today > start + timedelta(days=store.money_back_days):
        return RefundPlan(None, (), 0, currency, f"The {store.money_back_days}-day money-back period has ended.")
    ids = [int(service["id"])] + [
        int(r["id"]) for r in await Service.select(Service.id).where(Service.parent == service["id"])
    ]
    lines = (
        await InvoiceLine.select(
            InvoiceLine.invoice,
            InvoiceLine.description,
            InvoiceLine.unit_amount,
            InvoiceLine.quantity,
            InvoiceLine.discount,
            InvoiceLine.tax_name,
            InvoiceLine.tax_bp,
            InvoiceLine.product_type,
            InvoiceLine.service_id,
        )
        .where(
            InvoiceLine.service_id.is_in(ids)
            & (InvoiceLine.invoice.kind == InvoiceKind.INVOICE)
            & (InvoiceLine.invoice.status == InvoiceStatus.PAID)
        )
        .order_by(InvoiceLine.invoice, ascending=False)
    )
    if not lines:
        return RefundPlan(None, (), 0, currency, "Nothing was paid for this service.")
    invoice_id = int(lines[0]["invoice"])  # the latest paid invoice of the service
    drafts = tuple(
        draft_of(r, f"Refund: {r['description']}")
        for r in lines
        if int(r["invoice"]) == invoice_id and r["product_type"] not in store.non_refundable_types
    )
    if not drafts:
        return RefundPlan(None, (), 0, currency, "This kind of service is not refundable.")
    return RefundPlan(invoice_id, drafts, sum(d.amount + d.tax for d in drafts), currency)


async def request_cancellation(
    account_id: int,
    service_id: int,
    when: str,
    reason: str,
    refund_to: str = TO_CREDIT,
    *,
    user_id: int | None,
    by: AuditContext = SYSTEM,
    today: date | None = None,
) -> int:
    """Record a client's request to cancel a service; returns its id.

    Refused with the reason by the field: an unknown `when`, a service that is not
    live, a request already open, or a date before the minimum contract ends. Open
    renewal invoices of the service are cancelled with it. A request for `now` must
    then be carried out: queue `CANCEL_JOB` (the routes do, after this commits).
    """
    today = today or utc_today()
    if when not in CancelWhen.ALL:
        raise ValidationFailed({"when": "Choose to cancel now or at the end of the paid period."})
    if refund_to not in (TO_CREDIT, TO_GATEWAY):
        raise ValidationFailed({"refund_to": "Choose account credit or the original payment method."})
    reason = reason.strip()[:2000]
    service = await service_row(account_id, service_id)
    if service["status"] not in (ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED):
        raise ValidationFailed({"when": f"A {service['status']} service cannot be cancelled."})
    effective = (
        today if when == CancelWhen.NOW else (as_date(service["next_due_date"]) if service["next_due_date"] else today)
    )
    earliest = await minimum_end(service)
    if earliest is not None and effective < earliest:
        months = (await get_store(int(service["store"]))).min_contract_months.get(str(service["product_type"]), 0)
        raise ValidationFailed(
            {
                "when": f"This service has a minimum term of {months} months: "
                f"it can be cancelled from {earliest.isoformat()}."
            }
        )
    try:
        async with db.write_transaction():
            row = await CancellationRequest.insert(
                CancellationRequest(
                    service=service_id,
                    account=account_id,
                    when=when,
                    reason=reason,
                    refund_to=refund_to,
                    effective_date=effective,
                    requested_by=user_id,
                )
            ).returning(CancellationRequest.id)
            request_id = int(row[0]["id"])
            await record(
                "service.cancel_request",
                account_id=account_id,
                target=f"service:{service_id}",
                summary=f"Asked to cancel {service['label']} "
                + ("now." if when == CancelWhen.NOW else f"on {effective.isoformat()}."),
                details={"request": request_id, "when": when, "reason": reason},
                **by,
            )
    except Exception as exc:
        if "unique" in str(exc).lower() or "duplicate" in str(exc).lower():
            raise ValidationFailed({"when": "A cancellation of this service is already requested."}) from None
        raise
    await cancel_renewals(service_id, "the client asked to cancel the service")
    return request_id


async def withdraw(account_id: int, request_id: int, *, by: AuditContext = SYSTEM) -> None:
    """The client changes their mind: an open request is withdrawn (renewal invoices come again)."""
    async with db.write_transaction():
        won = (
            await CancellationRequest.update({CancellationRequest.status: CancelStatus.WITHDRAWN})
            .where(
                (CancellationRequest.id == request_id)
                & (CancellationRequest.account == account_id)
                & (CancellationRequest.status == CancelStatus.OPEN)
            )
            .returning(CancellationRequest.service)
        )
        if not won:
            raise NotFound("No open cancellation request with this id in this account.")
        await record(
            "service.cancel_withdrawn",
            account_id=account_id,
            target=f"service:{won[0]['service']}",
            summary="Withdrew the cancellation request.",
            details={"request": request_id},
            **by,
        )


async def carry_out(state: Any, request_id: int, today: date | None = None) -> str:
    """Cancel the service of an open request through its product type, then refund per the store's policy.

    Returns the request's status afterwards. Idempotent: a request no longer open is
    left alone; the service is cancelled before the request is closed, and the refund
    keyed by the request (at most what is still refundable), so a rerun after a crash
    finishes the job without doing anything twice. A type that refuses leaves the
    request `failed` with its message for staff.
    """
    today = today or utc_today()
    req = await CancellationRequest.select().where(CancellationRequest.id == request_id).first()
    if req is None or req["status"] != CancelStatus.OPEN:
        return str(req["status"]) if req else "missing"
    service = await Service.select().where(Service.id == req["service"]).first()
    if service is None:
        return "missing"
    plan = await refund_plan(dict(service), today) if req["when"] == CancelWhen.NOW else None
    if service["status"] in (ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED, ServiceStatus.PENDING):
        try:
            await cancel_service(
                state.product_types,
                int(service["id"]),
                req["reason"] or "cancelled at the client's request",
                settings=state.settings,
            )
        except (ServiceRefused, PanelError) as exc:
            await CancellationRequest.update(
                {CancellationRequest.status: CancelStatus.FAILED, CancellationRequest.error: exc.message[:2000]}
            ).where(CancellationRequest.id == request_id)
            return CancelStatus.FAILED
        await fire("cancelled", int(service["id"]), int(service["account"]), str(service["product_type"]))
    note_id, amount = None, 0
    if plan is not None and plan.invoice_id is not None and plan.amount > 0:
        note_id, amount = await _refund(state, plan, req, str(service["label"]))
    async with db.write_transaction():
        await CancellationRequest.update(
            {
                CancellationRequest.status: CancelStatus.DONE,
                CancellationRequest.done_at: datetime.now(UTC),
                CancellationRequest.refund_amount: amount,
                CancellationRequest.credit_note_id: note_id,
            }
        ).where((CancellationRequest.id == request_id) & (CancellationRequest.status == CancelStatus.OPEN))
        await _confirm(int(service["account"]), str(service["label"]), amount, str(service["currency"]))
    return CancelStatus.DONE


async def _refund(state: Any, plan: RefundPlan, req: dict[str, Any], label: str) -> tuple[int | None, int]:
    assert plan.invoice_id is not None
    done = (
        await Invoice.select(Invoice.id, Invoice.total)
        .where(
            (Invoice.original == plan.invoice_id)
            & (Invoice.kind == InvoiceKind.CREDIT_NOTE)
            & Invoice.notes.like(f"%(cancellation {req['id']})%")
        )
        .first()
    )
    if done is not None:  # a rerun after the refund was written
        return int(done["id"]), int(done["total"])
    try:
        note_id = await refund(
            state,
            plan.invoice_id,
            plan.amount,
            req["refund_to"] or TO_CREDIT,
            f"{label} cancelled within the money-back period (cancellation {req['id']})",
            by=SYSTEM,
            lines=plan.lines,
        )
    except PanelError as exc:
        log.warning("refund for cancellation %s failed: %s", req["id"], exc.message)
        await CancellationRequest.update({CancellationRequest.error: f"Refund failed: {exc.message}"[:2000]}).where(
            CancellationRequest.id == req["id"]
        )
        return None, 0
    return note_id, plan.amount


async def _confirm(account_id: int, label: str, amount: int, currency: str) -> None:
    from panel.core.mail import services as mail

    to = await account_recipients(account_id, "technical")
    if to:
        await mail.send(
            "service_cancelled",
            to,
            {"label": label, "refund": format_money(amount, currency) if amount else ""},
            account_id=account_id,
        )


async def due_period_end(today: date) -> list[int]:
    """Open end-of-period requests whose date has come (the daily task carries them out)."""
    rows = await CancellationRequest.select(CancellationRequest.id).where(
        (CancellationRequest.status == CancelStatus.OPEN)
        & (CancellationRequest.when == CancelWhen.PERIOD_END)
        & (CancellationRequest.effective_date <= today)
    )
    return [int(r["id"]) for r in rows]
