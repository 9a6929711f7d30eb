"""Acting on a service through its product type: suspend, unsuspend, terminate, client actions.

Issue 5 builds the full lifecycle (renewals, overdue suspension, cancellation
requests); this is the simple staff version. Each operation asks the product type
first and changes the service only when the type says it worked; a type that is not
enabled (its plugin switched off) is refused with a clear message. Every change is
audited in the transaction that makes it.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from panel.core import db
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.catalog.tables import Cycle
from panel.core.services.events import fire
from panel.core.services.services import as_dict
from panel.core.services.tables import Service, ServiceStatus
from panel.errors import NotFound, PanelError, ValidationFailed
from panel.product_types import ClientAction, OperationResult, ProductType, ServiceContext
from panel.settings import Settings


class ServiceRefused(PanelError):
    """The service is not in a state that allows this, or its product type refused."""

    status_code = 409


def type_not_enabled(product_type: str) -> str:
    """The message for a service whose product type is not registered (plugin disabled)."""
    return f"Product type {product_type} is not enabled"


def add_months(start: date, months: int) -> date:
    """`start` plus whole months, on the same day or the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def next_due(cycle: str, today: date) -> date | None:
    """When a service activated `today` is next due: none for one-time and free services."""
    months = Cycle.MONTHS.get(cycle, 0)
    return add_months(today, months) if months else None


def utc_today() -> date:
    """Today in UTC, the calendar the panel bills in."""
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class ServiceState:
    """What an operation needs to know about a service, read fresh from the database."""

    id: int
    account_id: int
    product_type: str
    status: str
    cycle: str
    label: str
    product_config: dict[str, Any]
    options: dict[str, Any]
    fields: dict[str, Any]
    data: dict[str, Any]
    provision_error: str


async def load_state(service_id: int, account_id: int | None = None) -> ServiceState | None:
    """The service (of that account, if given), or None."""
    where: Any = Service.id == service_id
    if account_id is not None:
        where = where & (Service.account == account_id)
    row = (
        await Service.select(
            Service.id,
            Service.account,
            Service.product_type,
            Service.status,
            Service.cycle,
            Service.label,
            Service.product.config.as_alias("product_config"),
            Service.options,
            Service.fields,
            Service.data,
            Service.provision_error,
        )
        .where(where)
        .first()
    )
    if row is None:
        return None
    return ServiceState(
        id=row["id"],
        account_id=row["account"],
        product_type=row["product_type"],
        status=row["status"],
        cycle=row["cycle"],
        label=row["label"],
        product_config=as_dict(row["product_config"]),
        options=as_dict(row["options"]),
        fields=as_dict(row["fields"]),
        data=as_dict(row["data"]),
        provision_error=row["provision_error"] or "",
    )


def context_for(state: ServiceState, product_type: ProductType, settings: Settings | None = None) -> ServiceContext:
    """The `ServiceContext` a product type's operation receives.

    `product_config` is the product's configuration, with the options the client chose
    at checkout laid over it where they name one of the type's options (a bigger disk);
    `service_data` is the checkout fields (a domain name) with what provisioning and
    staff stored on top. `plugin_settings` are the settings of the plugin the type's
    name is prefixed with (`wordpress.site` -> `wordpress`).
    """
    declared = {s.name for s in product_type.options}
    config = {**state.product_config, **{k: v for k, v in state.options.items() if k in declared}}
    owner = state.product_type.split(".", 1)[0]
    plugin_settings = settings.for_plugin(owner) if settings is not None else {}
    return ServiceContext(
        service_id=state.id,
        account_id=state.account_id,
        product_config=config,
        service_data={**state.fields, **state.data},
        plugin_settings=plugin_settings,
    )


def _type_of(product_types: Mapping[str, ProductType], state: ServiceState) -> ProductType:
    product_type = product_types.get(state.product_type)
    if product_type is None:
        raise ServiceRefused(type_not_enabled(state.product_type) + ".")
    return product_type


async def _require(service_id: int, account_id: int | None = None) -> ServiceState:
    state = await load_state(service_id, account_id)
    if state is None:
        raise NotFound("No such service." if account_id is None else "No such service in this account.")
    return state


def _check(result: OperationResult, what: str) -> None:
    if not result.ok:
        raise ServiceRefused(result.message or f"The service could not be {what}.")


# -- staff: suspend, unsuspend, terminate ---------------------------------------------------


@dataclass(frozen=True)
class _Transition:
    verb: str
    allowed_from: tuple[str, ...]
    to: str
    done: str


_SUSPEND = _Transition("suspend", (ServiceStatus.ACTIVE,), ServiceStatus.SUSPENDED, "suspended")
_UNSUSPEND = _Transition("unsuspend", (ServiceStatus.SUSPENDED,), ServiceStatus.ACTIVE, "unsuspended")
_TERMINATE = _Transition(
    "terminate",
    (ServiceStatus.PENDING, ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED),
    ServiceStatus.TERMINATED,
    "terminated",
)

_CANCEL = _Transition(
    "cancel",
    (ServiceStatus.PENDING, ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED),
    ServiceStatus.CANCELLED,
    "cancelled",
)


async def _transition(
    product_types: Mapping[str, ProductType],
    service_id: int,
    step: _Transition,
    by: AuditContext,
    settings: Settings | None,
    reason: str = "",
) -> None:
    state = await _require(service_id)
    if state.status not in step.allowed_from:
        raise ServiceRefused(f"A {state.status} service cannot be {step.done}.")
    product_type = _type_of(product_types, state)
    ctx = context_for(state, product_type, settings)
    if step is _SUSPEND:
        result = await product_type.suspend(ctx, reason)
    elif step is _UNSUSPEND:
        result = await product_type.unsuspend(ctx)
    else:  # terminate, cancel: the type removes it either way
        result = await product_type.terminate(ctx)
    _check(result, step.done)
    async with db.write_transaction():
        fresh = await load_state(service_id)
        if fresh is None or fresh.status not in step.allowed_from:
            raise ServiceRefused("The service changed meanwhile; reload the page.")
        changes: dict[Any, Any] = {Service.status: step.to, Service.data: {**fresh.data, **result.data}}
        if step is _SUSPEND:
            changes[Service.suspend_reason] = reason or "suspended by staff"
        elif step is _UNSUSPEND:
            changes[Service.suspend_reason] = ""
        await Service.update(changes).where(Service.id == service_id)
        summary = f"{step.done.capitalize()} the service {fresh.label}."
        if reason:
            summary = f"{summary[:-1]}: {reason}"
        await record(
            f"service.{step.verb}",
            account_id=fresh.account_id,
            target=f"service:{service_id}",
            summary=summary,
            details={"status": {"before": fresh.status, "after": step.to}},
            **by,
        )
    await fire(step.done, service_id, state.account_id, state.product_type)


async def suspend_service(
    product_types: Mapping[str, ProductType],
    service_id: int,
    reason: str = "",
    *,
    by: AuditContext = SYSTEM,
    settings: Settings | None = None,
) -> None:
    """Suspend an active service through its product type (data is kept)."""
    await _transition(product_types, service_id, _SUSPEND, by, settings, reason.strip()[:200])


async def suspended_for(service_id: int) -> str:
    """Why a service is suspended ("overdue", staff's words), or "" when it is not."""
    row = await Service.select(Service.suspend_reason).where(Service.id == service_id).first()
    return str(row["suspend_reason"]) if row else ""


async def unsuspend_service(
    product_types: Mapping[str, ProductType],
    service_id: int,
    *,
    by: AuditContext = SYSTEM,
    settings: Settings | None = None,
) -> None:
    """Make a suspended service active again through its product type."""
    await _transition(product_types, service_id, _UNSUSPEND, by, settings)


async def terminate_service(
    product_types: Mapping[str, ProductType],
    service_id: int,
    *,
    by: AuditContext = SYSTEM,
    settings: Settings | None = None,
) -> None:
    """Remove a service for good through its product type; it stays listed as terminated."""
    await _transition(product_types, service_id, _TERMINATE, by, settings)


async def cancel_service(
    product_types: Mapping[str, ProductType],
    service_id: int,
    reason: str = "",
    *,
    by: AuditContext = SYSTEM,
    settings: Settings | None = None,
) -> None:
    """End a service at the client's request through its type's `terminate`; it stays listed as cancelled."""
    await _transition(product_types, service_id, _CANCEL, by, settings, reason.strip()[:200])


LINK_CHOICES = {"inherit": None, "show": True, "hide": False}


async def set_link_override(service_id: int, choice: str, *, by: AuditContext = SYSTEM) -> None:
    """Staff decide whether this service's page shows the client-area link: inherit, show or hide."""
    if choice not in LINK_CHOICES:
        raise ValidationFailed({"link": "Choose inherit, show or hide."})
    async with db.write_transaction():
        state = await _require(service_id)
        await Service.update({Service.show_client_area_link: LINK_CHOICES[choice]}).where(Service.id == service_id)
        await record(
            "service.client_area_link",
            account_id=state.account_id,
            target=f"service:{service_id}",
            summary=f"Client-area link of {state.label}: {choice}.",
            details={"show_client_area_link": {"after": choice}},
            **by,
        )


# -- the service's password ---------------------------------------------------------------------

MIN_PASSWORD = 10


def has_password(product_types: Mapping[str, ProductType], state: ServiceState) -> bool:
    """Whether the service's type lets the client set a password (it overrides `change_password`)."""
    product_type = product_types.get(state.product_type)
    return product_type is not None and type(product_type).change_password is not ProductType.change_password


async def change_password(
    product_types: Mapping[str, ProductType],
    account_id: int,
    service_id: int,
    password: str,
    *,
    by: AuditContext = SYSTEM,
    settings: Settings | None = None,
) -> str:
    """Set an active service's login password through its product type; returns the message to show.

    The password is handed to the type and never stored or logged by the panel.
    """
    if len(password) < MIN_PASSWORD or len(password) > 200:
        raise ValidationFailed({"password": f"Use {MIN_PASSWORD} to 200 characters."})
    state = await _require(service_id, account_id)
    if state.status != ServiceStatus.ACTIVE:
        raise ServiceRefused(f"A {state.status} service's password cannot be changed.")
    product_type = _type_of(product_types, state)
    if not has_password(product_types, state):
        raise ServiceRefused("This service has no password to change.")
    _check(await product_type.change_password(context_for(state, product_type, settings), password), "changed")
    async with db.write_transaction():
        await record(
            "service.password",
            account_id=account_id,
            target=f"service:{service_id}",
            summary=f"Changed the password of {state.label}.",
            details={},
            **by,
        )
    await fire("password_changed", service_id, account_id, state.product_type)
    return "The password is changed."


# -- client actions ---------------------------------------------------------------------------


def client_actions(
    product_types: Mapping[str, ProductType], state: ServiceState, settings: Settings | None = None
) -> list[ClientAction]:
    """The buttons the client sees on an active service's page; none while it is not active."""
    product_type = product_types.get(state.product_type)
    if product_type is None or state.status != ServiceStatus.ACTIVE:
        return []
    return list(product_type.client_actions(context_for(state, product_type, settings)))


async def find_client_action(
    product_types: Mapping[str, ProductType],
    account_id: int,
    service_id: int,
    name: str,
    settings: Settings | None = None,
) -> ClientAction:
    """One of the service's client actions by name, or `NotFound`."""
    state = await _require(service_id, account_id)
    for action in client_actions(product_types, state, settings):
        if action.name == name:
            return action
    raise NotFound("This service has no such action.")


async def run_client_action(
    product_types: Mapping[str, ProductType],
    account_id: int,
    service_id: int,
    name: str,
    data: Mapping[str, Any] | None = None,
    *,
    by: AuditContext = SYSTEM,
    settings: Settings | None = None,
) -> str:
    """Carry out a client action of an active service; returns the message to show.

    The type's refusal (`ok=False`) is raised as `ServiceRefused` with its message;
    what it returns in `data` is merged into the service's data.
    """
    action = await find_client_action(product_types, account_id, service_id, name, settings)
    state = await _require(service_id, account_id)
    product_type = _type_of(product_types, state)
    result = await product_type.run_client_action(context_for(state, product_type, settings), name, dict(data or {}))
    _check(result, "changed")
    async with db.write_transaction():
        fresh = await _require(service_id, account_id)
        if result.data:
            await Service.update({Service.data: {**fresh.data, **result.data}}).where(Service.id == service_id)
        await record(
            "service.action",
            account_id=account_id,
            target=f"service:{service_id}",
            summary=f"{action.label} on {fresh.label}.",
            details={"action": name},
            **by,
        )
    await fire("action", service_id, account_id, state.product_type)
    return result.message or f"{action.label}: done."
