"""Orders pages: the client's `/orders` and staff's `/admin/orders` (list, one order, cancel)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from panel.core.audit.context import audit_context
from panel.core.authz.guard import requires
from panel.core.clients.services import stores as all_stores
from panel.core.orders import services
from panel.core.orders.tables import OrderStatus
from panel.core.web.pages import allowed, page, redirect

NOTICES = {"cancelled": "The order was cancelled, with its invoice and its pending services."}

LIST = requires("order:*", "list")
READ = requires("order:{order_id}", "read")
STAFF_LIST = requires("order:*", "list", scope="platform")
STAFF_READ = requires("order:{order_id}", "read", scope="platform")
STAFF_CANCEL = requires("order:{order_id}", "cancel", scope="platform")


def _page_no(value: int) -> int:
    return max(value, 1)


def _int_or_none(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


@get("/orders", authz=LIST)
async def order_list(
    request: Request[Any, Any, Any], status: FromQuery[str] = "", page_no: FromQuery[int] = 1
) -> Template:
    """The account's orders, newest first, 50 to a page."""
    offset = (_page_no(page_no) - 1) * services.PAGE_SIZE
    found = await services.account_orders(request.state.account_id, services.PAGE_SIZE, offset, status)
    query = {"status": found.filters.status} if found.filters.status else {}

    def page_url(number: int) -> str:
        return "/orders?" + urlencode({**query, "page_no": number})

    return await page(
        request, "orders/list.html", found=found, statuses=OrderStatus.ALL, page_url=page_url, admin=False
    )


@get("/orders/{order_id:int}", authz=READ)
async def order_page(request: Request[Any, Any, Any], order_id: FromPath[int]) -> Template:
    """One order of the account: lines, totals, its invoice and services (another account's: 404)."""
    order = await services.get_order(request.state.account_id, order_id)
    return await page(request, "orders/detail.html", order=order, admin=False, can_cancel=False, notice="")


@get("/admin/orders", authz=STAFF_LIST)
async def admin_order_list(
    request: Request[Any, Any, Any],
    status: FromQuery[str] = "",
    store: FromQuery[str] = "",
    account: FromQuery[str] = "",
    page_no: FromQuery[int] = 1,
) -> Template:
    """Every order, newest first, with status, store and account filters and pages of 50."""
    filters = services.OrderFilters(status, _int_or_none(store), _int_or_none(account))
    offset = (_page_no(page_no) - 1) * services.PAGE_SIZE
    found = await services.search_orders(filters, services.PAGE_SIZE, offset)
    query = {k: v for k, v in {"status": found.filters.status, "store": store, "account": account}.items() if v}

    def page_url(number: int) -> str:
        return "/admin/orders?" + urlencode({**query, "page_no": number})

    return await page(
        request,
        "orders/list.html",
        area="admin",
        found=found,
        statuses=OrderStatus.ALL,
        stores=await all_stores(),
        store_value=store,
        account_value=account,
        page_url=page_url,
        admin=True,
    )


@get("/admin/orders/{order_id:int}", authz=STAFF_READ)
async def admin_order_page(
    request: Request[Any, Any, Any], order_id: FromPath[int], done: FromQuery[str] = ""
) -> Template:
    """One order for staff, with "cancel" while it is pending (for staff who may)."""
    order = await services.get_any_order(order_id)
    can_cancel = order.row.status == OrderStatus.PENDING and allowed(request, f"order:{order_id}", "cancel", "platform")
    return await page(
        request,
        "orders/detail.html",
        area="admin",
        order=order,
        admin=True,
        can_cancel=can_cancel,
        notice=NOTICES.get(done, ""),
    )


@post("/admin/orders/{order_id:int}/cancel", authz=STAFF_CANCEL)
async def admin_cancel_order(request: Request[Any, Any, Any], order_id: FromPath[int]) -> Response[Any]:
    """Cancel a pending order, its unpaid invoice and its pending services (409 if it is not pending)."""
    await services.cancel_order(order_id, by=audit_context(request))
    return redirect(request, f"/admin/orders/{order_id}?done=cancelled")


ROUTES = [order_list, order_page, admin_order_list, admin_order_page, admin_cancel_order]
