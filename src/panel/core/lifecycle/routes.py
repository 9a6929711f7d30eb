"""Pages and API of the lifecycle: cancel a service, renew several at once, staff's request list.

Client pages work on the session's current account; the API names the account in
the path. Another account's service answers 404, as everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Template

from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires
from panel.core.jobs.services import enqueue
from panel.core.lifecycle import cancellations, renewals
from panel.core.lifecycle.tables import CancelStatus, CancelWhen
from panel.core.services import services
from panel.core.services.lifecycle import utc_today
from panel.core.web.pages import page, redirect
from panel.errors import ValidationFailed
from panel.money import format_money

MANAGE = requires("service:{service_id}", "update")


async def queue_cancel(request: Request[Any, Any, Any], request_id: int, when: str) -> None:
    """A request to cancel now is carried out by a job, queued once the request committed."""
    if when == CancelWhen.NOW:
        await enqueue(
            request.app.state.settings, cancellations.CANCEL_JOB, {"request_id": request_id}, key=f"cancel:{request_id}"
        )


async def _cancel_page(
    request: Request[Any, Any, Any],
    service_id: int,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Template:
    account_id = request.state.account_id
    service = await services.get_service(account_id, service_id)
    row = await cancellations.service_row(account_id, service_id)
    plan = await cancellations.refund_plan(row, utc_today())
    earliest = await cancellations.minimum_end(row)
    return await page(
        request,
        "lifecycle/cancel.html",
        status_code=422 if errors else 200,
        service=service,
        plan=plan,
        refund=format_money(plan.amount, plan.currency) if plan.amount else "",
        earliest=earliest,
        existing=await cancellations.open_request(service_id),
        errors=errors or {},
        values=values or {"when": CancelWhen.PERIOD_END, "refund_to": "credit"},
    )


@get("/services/{service_id:int}/cancel", authz=MANAGE)
async def cancel_form(request: Request[Any, Any, Any], service_id: FromPath[int]) -> Template:
    """Ask to cancel: now or at the end of the period, what would be refunded, the minimum term."""
    return await _cancel_page(request, service_id)


@post("/services/{service_id:int}/cancel", authz=MANAGE)
async def cancel_submit(request: Request[Any, Any, Any], service_id: FromPath[int]) -> Any:
    """Record the request (a `now` request is carried out by a job at once)."""
    form = dict(await request.form())
    values = {k: str(form.get(k, "")) for k in ("when", "reason", "refund_to")}
    try:
        request_id = await cancellations.request_cancellation(
            request.state.account_id,
            service_id,
            values["when"],
            values["reason"],
            values["refund_to"] or "credit",
            user_id=request.state.user_id,
            by=audit_context(request),
        )
    except ValidationFailed as exc:
        return await _cancel_page(request, service_id, exc.errors, values)
    await queue_cancel(request, request_id, values["when"])
    return redirect(request, f"/services/{service_id}/cancel")


@post("/services/{service_id:int}/cancel/withdraw", authz=MANAGE)
async def cancel_withdraw(request: Request[Any, Any, Any], service_id: FromPath[int]) -> Response[Any]:
    """Withdraw the open request of this service (another account's service: 404)."""
    await cancellations.service_row(request.state.account_id, service_id)
    existing = await cancellations.open_request(service_id)
    if existing is None or existing.account_id != request.state.account_id:
        return redirect(request, f"/services/{service_id}/cancel")
    await cancellations.withdraw(request.state.account_id, existing.id, by=audit_context(request))
    return redirect(request, f"/services/{service_id}")


@get("/services/renew", authz=requires("service:*", "list"))
async def renew_form(request: Request[Any, Any, Any]) -> Template:
    """Choose services to renew now, on one invoice."""
    return await _renew_page(request)


async def _renew_page(request: Request[Any, Any, Any], error: str = "") -> Template:
    found = await services.list_services(request.state.account_id, 500, 0)
    renewable = [s for s in found.rows if s.status in renewals.RENEWABLE and s.next_due_date is not None]
    return await page(
        request, "lifecycle/renew.html", status_code=422 if error else 200, services=renewable, error=error
    )


@post("/services/renew", authz=requires("invoice:*", "create"))
async def renew_submit(request: Request[Any, Any, Any]) -> Any:
    """Issue one invoice renewing the chosen services, and open it to pay."""
    form = await request.form()
    ids = [int(v) for v in form.getall("service") if str(v).isdigit()] if hasattr(form, "getall") else []
    try:
        invoice_id = await renewals.renew_now(request.state.account_id, ids, by=audit_context(request))
    except ValidationFailed as exc:
        return await _renew_page(request, "; ".join(exc.errors.values()))
    return redirect(request, f"/invoices/{invoice_id}")


@get("/admin/cancellations", authz=requires("service:*", "list", scope="platform"))
async def admin_list(
    request: Request[Any, Any, Any], status: FromQuery[str] = "", page_no: FromQuery[int] = 1
) -> Template:
    """Staff see every cancellation request: open, done (with the refund), failed (with the reason)."""
    status = (
        status if status in (CancelStatus.OPEN, CancelStatus.DONE, CancelStatus.WITHDRAWN, CancelStatus.FAILED) else ""
    )
    found = await cancellations.list_requests(
        status, cancellations.PAGE_SIZE, (max(page_no, 1) - 1) * cancellations.PAGE_SIZE
    )
    return await page(
        request,
        "lifecycle/admin_list.html",
        area="admin",
        found=found,
        status=status,
        page_url=lambda n: (
            "/admin/cancellations?" + urlencode({**({"status": status} if status else {}), "page_no": n})
        ),
    )


ROUTES = [cancel_form, cancel_submit, cancel_withdraw, renew_form, renew_submit, admin_list]


# -- API --------------------------------------------------------------------------------------


@dataclass
class CancellationIn:
    """A cancellation request: `when` is `now` or `period_end`; `refund_to` is `credit` or `gateway`."""

    when: str
    reason: str = ""
    refund_to: str = "credit"


@dataclass
class CancellationOut:
    """The request recorded."""

    id: int
    status: str
    effective_date: str


@post(
    "/accounts/{account_id:int}/services/{service_id:int}/cancellation",
    authz=requires("service:{service_id}", "update", account_param="account_id"),
    status_code=201,
)
async def api_cancel(
    request: Request[Any, Any, Any],
    account_id: FromPath[int],
    service_id: FromPath[int],
    data: JSONBody[CancellationIn],
) -> CancellationOut:
    """Ask to cancel a service; 422 with the reason (minimum term, already requested, not live)."""
    request_id = await cancellations.request_cancellation(
        account_id,
        service_id,
        data.when,
        data.reason,
        data.refund_to,
        user_id=request.state.user_id,
        by=audit_context(request),
    )
    await queue_cancel(request, request_id, data.when)
    row = await cancellations.open_request(service_id)
    return CancellationOut(request_id, row.status if row else CancelStatus.DONE, str(row.effective_date) if row else "")


@dataclass
class RenewIn:
    """Services to renew now, on one invoice."""

    service_ids: list[int] = field(default_factory=list)


@dataclass
class RenewOut:
    """The renewal invoice to pay."""

    invoice_id: int


@post(
    "/accounts/{account_id:int}/renewals",
    authz=requires("invoice:*", "create", account_param="account_id"),
    status_code=201,
)
async def api_renew(request: Request[Any, Any, Any], account_id: FromPath[int], data: JSONBody[RenewIn]) -> RenewOut:
    """Renew several services at once: one invoice, or 422 naming the service that cannot be renewed."""
    return RenewOut(await renewals.renew_now(account_id, data.service_ids, by=audit_context(request)))


def api_router() -> Router:
    """The lifecycle API under /api/v1."""
    return Router(path="/api/v1", route_handlers=[api_cancel, api_renew], tags=["services"])
