"""Services of accounts: creating them from orders and reading them for clients and staff.

Every business rule about services lives in this package; routes only parse and render.
Reading functions take the account id and only ever return that account's rows, so a
service id of another account is `NotFound`, never data. Changing services through
their product type is in `lifecycle.py`, provisioning in `provisioning.py`, staff
tasks in `tasks.py`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from panel.core import db
from panel.core.catalog.tables import Cycle
from panel.core.paging import Page
from panel.core.services.tables import Service, ServiceStatus
from panel.core.stores.services import client_area_link_visible
from panel.core.stores.tables import Store
from panel.errors import NotFound
from panel.money import format_money

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

STATUS_LABELS = {
    ServiceStatus.PENDING: "Pending",
    ServiceStatus.ACTIVE: "Active",
    ServiceStatus.SUSPENDED: "Suspended",
    ServiceStatus.TERMINATED: "Terminated",
    ServiceStatus.CANCELLED: "Cancelled",
    ServiceStatus.FAILED: "Failed",
}


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


# -- views ------------------------------------------------------------------------------


def price_text(amount: int, currency: str, cycle: str) -> str:
    """What a service costs, for people: "$9.99 monthly", "$50.00 one time", "Free"."""
    if cycle == Cycle.FREE:
        return "Free"
    label = Cycle.LABELS.get(cycle, cycle).lower()
    return f"{format_money(amount, currency)} {label}"


def as_dict(value: Any) -> dict[str, Any]:
    """A JSON column's value as a dict (SQLite and raw queries hand back text)."""
    if isinstance(value, str):
        value = json.loads(value or "{}")
    return dict(value) if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class ServiceRow:
    """One line of a services list (client or staff)."""

    id: int
    account_id: int
    account_name: str
    store_name: str
    label: str
    product_name: str
    product_type: str
    status: str
    status_label: str
    cycle: str
    cycle_label: str
    currency: str
    recurring_amount: int
    price: str
    next_due_date: date | None
    provision_error: str
    created_at: datetime


class ServicePage(Page[ServiceRow]):
    """One page of services and how many match in all."""


@dataclass(frozen=True)
class ServiceDetail:
    """Everything a service page shows; `link_visible` is the client-area link rule applied."""

    id: int
    account_id: int
    account_name: str
    store_id: int
    store_name: str
    store_kind: str
    product_id: int
    product_name: str
    product_type: str
    product_config: dict[str, Any]
    parent_id: int | None
    label: str
    status: str
    status_label: str
    cycle: str
    cycle_label: str
    currency: str
    recurring_amount: int
    price: str
    next_due_date: date | None
    activated_at: datetime | None
    created_at: datetime
    order_item_id: int | None
    options: dict[str, Any]
    fields: dict[str, Any]
    data: dict[str, Any]
    provision_error: str
    link_override: bool | None
    store_shows_link: bool
    link_visible: bool
    contact_instructions: str
    client_area_url: str

    @property
    def override_choice(self) -> str:
        """The staff override as a form value: inherit, show or hide."""
        return "inherit" if self.link_override is None else ("show" if self.link_override else "hide")


_LIST_COLUMNS = (
    Service.id,
    Service.account.id.as_alias("account_id"),
    Service.account.name.as_alias("account_name"),
    Service.store.name.as_alias("store_name"),
    Service.label,
    Service.product.name.as_alias("product_name"),
    Service.product_type,
    Service.status,
    Service.cycle,
    Service.currency,
    Service.recurring_amount,
    Service.next_due_date,
    Service.provision_error,
    Service.created_at,
)


def _row(r: Mapping[str, Any]) -> ServiceRow:
    return ServiceRow(
        id=r["id"],
        account_id=r["account_id"],
        account_name=r["account_name"] or "",
        store_name=r["store_name"] or "",
        label=r["label"] or r["product_name"] or "",
        product_name=r["product_name"] or "",
        product_type=r["product_type"],
        status=r["status"],
        status_label=STATUS_LABELS.get(r["status"], r["status"]),
        cycle=r["cycle"],
        cycle_label=Cycle.LABELS.get(r["cycle"], r["cycle"]),
        currency=r["currency"],
        recurring_amount=int(r["recurring_amount"]),
        price=price_text(int(r["recurring_amount"]), r["currency"], r["cycle"]),
        next_due_date=r["next_due_date"],
        provision_error=r["provision_error"] or "",
        created_at=r["created_at"],
    )


def _bounds(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(limit, MAX_PAGE_SIZE)), max(0, offset)


async def list_services(account_id: int, limit: int = PAGE_SIZE, offset: int = 0) -> ServicePage:
    """One page of the account's services, newest first (two queries: the page and the count)."""
    limit, offset = _bounds(limit, offset)
    where = Service.account == account_id
    rows = (
        await Service.select(*_LIST_COLUMNS)
        .where(where)
        .order_by(Service.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    total = await Service.count().where(where)
    return ServicePage([_row(r) for r in rows], int(total), limit, offset)


@dataclass(frozen=True)
class ServiceFilters:
    """What the staff list is narrowed to; empty means no filter."""

    status: str = ""
    product_type: str = ""
    store_id: int | None = None
    account_id: int | None = None


async def search_services(filters: ServiceFilters, limit: int = PAGE_SIZE, offset: int = 0) -> ServicePage:
    """One page of every account's services for staff, newest first, with the number of matches.

    Account, store and product are joined into the page's query: two queries whatever
    the page size.
    """
    limit, offset = _bounds(limit, offset)
    parts: list[Any] = []
    if filters.status in ServiceStatus.ALL:
        parts.append(Service.status == filters.status)
    if filters.product_type:
        parts.append(Service.product_type == filters.product_type)
    if filters.store_id is not None:
        parts.append(Service.store == filters.store_id)
    if filters.account_id is not None:
        parts.append(Service.account == filters.account_id)
    query = Service.select(*_LIST_COLUMNS).order_by(Service.id, ascending=False).limit(limit).offset(offset)
    count = Service.count()
    if parts:
        where = parts[0]
        for part in parts[1:]:
            where = where & part
        query = query.where(where)
        count = count.where(where)
    rows = await query
    return ServicePage([_row(r) for r in rows], int(await count), limit, offset)


async def store_options() -> list[tuple[int, str]]:
    """Every store as (id, name), by name (the staff list's store filter)."""
    return [(r["id"], r["name"]) for r in await Store.select(Store.id, Store.name).order_by(Store.name)]


async def product_types_in_use() -> list[str]:
    """The product type names services exist for (the staff list's type filter)."""
    rows = await Service.select(Service.product_type).distinct().order_by(Service.product_type)
    return [r["product_type"] for r in rows]


_DETAIL_COLUMNS = (
    *_LIST_COLUMNS,
    Service.store.id.as_alias("store_id"),
    Service.store.kind.as_alias("store_kind"),
    Service.store.show_client_area_link.as_alias("store_shows_link"),
    Service.store.contact_instructions.as_alias("contact_instructions"),
    Service.product.id.as_alias("product_id"),
    Service.product.config.as_alias("product_config"),
    Service.parent,
    Service.activated_at,
    Service.order_item_id,
    Service.options,
    Service.fields,
    Service.data,
    Service.show_client_area_link,
)


async def _detail(where: Any) -> ServiceDetail | None:
    row = await Service.select(*_DETAIL_COLUMNS).where(where).first()
    if row is None:
        return None
    base = _row(row)
    data = as_dict(row["data"])
    override = row["show_client_area_link"]
    visible = client_area_link_visible(
        {"show_client_area_link": override},
        {"kind": row["store_kind"], "show_client_area_link": row["store_shows_link"]},
    )
    return ServiceDetail(
        id=base.id,
        account_id=base.account_id,
        account_name=base.account_name,
        store_id=int(row["store_id"]),
        store_name=base.store_name,
        store_kind=row["store_kind"] or "",
        product_id=int(row["product_id"]),
        product_name=base.product_name,
        product_type=base.product_type,
        product_config=as_dict(row["product_config"]),
        parent_id=row["parent"],
        label=base.label,
        status=base.status,
        status_label=base.status_label,
        cycle=base.cycle,
        cycle_label=base.cycle_label,
        currency=base.currency,
        recurring_amount=base.recurring_amount,
        price=base.price,
        next_due_date=base.next_due_date,
        activated_at=row["activated_at"],
        created_at=base.created_at,
        order_item_id=row["order_item_id"],
        options=as_dict(row["options"]),
        fields=as_dict(row["fields"]),
        data=data,
        provision_error=base.provision_error,
        link_override=override,
        store_shows_link=bool(row["store_shows_link"]),
        link_visible=visible,
        contact_instructions=row["contact_instructions"] or "",
        client_area_url=str(data.get("client_area_url") or ""),
    )


async def get_service(account_id: int, service_id: int) -> ServiceDetail:
    """One service of this account, or `NotFound` (also for another account's service)."""
    found = await _detail((Service.id == service_id) & (Service.account == account_id))
    if found is None:
        raise NotFound("No such service in this account.")
    return found


async def get_any_service(service_id: int) -> ServiceDetail:
    """One service of any account (staff pages), or `NotFound`."""
    found = await _detail(Service.id == service_id)
    if found is None:
        raise NotFound("No such service.")
    return found


COUNT_ACTIVE_SQL = f"SELECT count(*) AS n FROM {Service._meta.tablename} WHERE account = {{}} AND status = {{}}"  # noqa: S608


async def count_active(account_id: int) -> int:
    """How many active services the account has (the home page's tile and widget: a hand-written statement)."""
    rows = await db.fetch(COUNT_ACTIVE_SQL, account_id, ServiceStatus.ACTIVE)
    return int(rows[0]["n"])


async def count_live(account_id: int) -> int:
    """How many services of the account are not over yet (pending, active or suspended)."""
    return int(
        await Service.count().where((Service.account == account_id) & Service.status.is_in(list(ServiceStatus.LIVE)))
    )
