"""The product-type contract: how the catalog sells and runs what plugins provide.

A product type (a hosting plan, a domain registration, a certificate, a managed
WordPress site) is registered by core or a plugin through
`panel_register_product_types`. The commerce and lifecycle code only ever talks to
services through this contract, so a new plugin needs nothing else to be sold.

Every operation receives a `ServiceContext` and returns an `OperationResult`. An
operation must be idempotent: the job runner may call it again after a crash, so
provisioning twice must not create two of anything. Raise `panel.errors.PanelError`
for a failure the client or staff should read; any other exception is recorded as a
provisioning failure and retried.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from panel.settings import Setting


@dataclass(frozen=True)
class ServiceContext:
    """What an operation knows about the service it acts on."""

    service_id: int
    account_id: int
    product_config: Mapping[str, Any]
    service_data: Mapping[str, Any]
    plugin_settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OperationResult:
    """The outcome: `data` is merged into the service's stored data on success.

    `waiting` (from `provision` only) says the work is not done yet: staff must
    finish it by hand (a task in the admin area says what), so the service stays
    pending until they do.
    """

    ok: bool = True
    message: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    waiting: str = ""


@dataclass(frozen=True)
class ClientAction:
    """A button on the client's service page, e.g. "Open WordPress admin"."""

    name: str
    label: str
    action: str = "update"
    confirm: str = ""


class ProductType:
    """Base class for product types; override what the type supports.

    The default operations succeed without doing anything, which suits types that
    staff provision by hand. `name` is namespaced by the plugin (`wordpress.site`);
    `options` declares the settings a product of this type is configured with.
    """

    name: str = ""
    label: str = ""
    description: str = ""
    options: tuple[Setting, ...] = ()
    # Fields the client fills in at checkout, e.g. a domain name.
    checkout_fields: tuple[Setting, ...] = ()

    async def validate_checkout(self, fields: Mapping[str, str], product_config: Mapping[str, Any]) -> dict[str, Any]:
        """Check the checkout fields and return them cleaned (e.g. a lower-cased domain).

        Called when an item is added to the cart and again at checkout. Raise
        `panel.errors.ValidationFailed({field: message})` to refuse; nothing is saved.
        The default keeps the declared fields and refuses a required one left empty.
        """
        from panel.errors import ValidationFailed

        cleaned: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for setting in self.checkout_fields:
            value = str(fields.get(setting.name, "") or "").strip()
            if not value and setting.required:
                errors[setting.name] = f"Enter {setting.help or setting.name}."
            cleaned[setting.name] = value or setting.default
        if errors:
            raise ValidationFailed(errors)
        return cleaned

    def service_label(self, fields: Mapping[str, Any], product_name: str) -> str:
        """The name a service of this type is listed under (a domain, a site's address)."""
        return next((str(v) for v in fields.values() if v), product_name)

    async def provision(self, ctx: ServiceContext) -> OperationResult:
        """Create the service. Called once payment clears; must be idempotent."""
        return OperationResult()

    async def suspend(self, ctx: ServiceContext, reason: str) -> OperationResult:
        """Stop the service without losing data."""
        return OperationResult()

    async def unsuspend(self, ctx: ServiceContext) -> OperationResult:
        """Undo `suspend`."""
        return OperationResult()

    async def terminate(self, ctx: ServiceContext) -> OperationResult:
        """Remove the service for good."""
        return OperationResult()

    async def renew(self, ctx: ServiceContext, months: int) -> OperationResult:
        """Extend the service after a paid renewal (domains renew at the registry)."""
        return OperationResult()

    async def change_package(self, ctx: ServiceContext, new_config: Mapping[str, Any]) -> OperationResult:
        """Move the service to another product of the same type (upgrade or downgrade)."""
        return OperationResult()

    async def change_password(self, ctx: ServiceContext, password: str) -> OperationResult:
        """Set the service's login password, where it has one."""
        return OperationResult(ok=False, message="This service has no password to change.")

    def client_actions(self, ctx: ServiceContext) -> list[ClientAction]:
        """Buttons the client sees on the service page."""
        return []

    async def run_client_action(self, ctx: ServiceContext, action: str, data: Mapping[str, Any]) -> OperationResult:
        """Carry out one of `client_actions`."""
        return OperationResult(ok=False, message=f"Unknown action {action!r}.")
