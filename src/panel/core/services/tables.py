"""Services: what an account bought and runs (a hosting plan, a domain, a certificate).

A service is created `pending` when an order is placed and handed to its product
type once the order's invoice is paid. Types that staff provision by hand get a
`StaffTask`; the service stays pending until staff complete it.
"""

from __future__ import annotations

from typing import Any

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from panel.core.accounts.tables import Account
from panel.core.auth.tables import User
from panel.core.catalog.tables import Product
from panel.core.stores.tables import Store


class ServiceStatus:
    """Values of `Service.status`."""

    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"
    CANCELLED = "cancelled"
    FAILED = "failed"

    ALL = (PENDING, ACTIVE, SUSPENDED, TERMINATED, CANCELLED, FAILED)
    LIVE = (PENDING, ACTIVE, SUSPENDED)


class Service(Table, tablename="panel_service"):
    """One service of an account, priced per cycle in the store's currency."""

    id: Serial  # added by Piccolo; declared for type checkers

    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, index=True)
    store = ForeignKey(references=Store, on_delete=OnDelete.restrict, index=True)
    product = ForeignKey(references=Product, on_delete=OnDelete.restrict, index=True)
    parent: ForeignKey[Any] = ForeignKey(references="self", on_delete=OnDelete.cascade, null=True, index=True)
    product_type = Varchar(length=80)
    label = Varchar(length=255, default="")
    status = Varchar(length=20, default=ServiceStatus.PENDING, index=True)
    cycle = Varchar(length=12)
    currency = Varchar(length=3)
    recurring_amount = BigInt(default=0)
    next_due_date = Date(null=True, default=None, index=True)
    activated_at = Timestamptz(null=True, default=None)
    order_item_id = Integer(null=True, default=None, index=True)
    options = JSON(default="{}")
    fields = JSON(default="{}")
    data = JSON(default="{}")
    # None: follow the store's setting; True/False: this service's override.
    show_client_area_link = Boolean(null=True, default=None)
    provision_error = Text(default="")
    # Why it is suspended: "overdue" (the lifecycle suspends it, a payment lifts it) or staff's words.
    suspend_reason = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class TaskStatus:
    """Values of `StaffTask.status`."""

    OPEN = "open"
    DONE = "done"


class StaffTask(Table, tablename="panel_service_task"):
    """Work for staff on a service, e.g. "set up this hosting plan by hand"."""

    id: Serial  # added by Piccolo; declared for type checkers

    service = ForeignKey(references=Service, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=40)
    title = Varchar(length=255)
    status = Varchar(length=10, default=TaskStatus.OPEN, index=True)
    note = Text(default="")
    done_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    done_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
