"""The payment-gateway contract: how the billing code takes money through a gateway.

A gateway is registered by core or a plugin through `panel_register_payment_gateways`.
Core ships two: `credit` (the account's credit balance) and `bank_transfer` (the
client pays outside the panel and staff record it with the bank's reference). A card
gateway implements the rest of the contract: a redirect to a hosted page, charging a
stored card token, capture, refund, and confirming payments from webhooks.

The billing code, not the gateway, records payments: a gateway reports what happened
(`ChargeResult`, `WebhookEvent`) and billing applies it once, keyed by the gateway's
reference and an idempotency key, inside a transaction. So a retried webhook or a
second browser tab never records a second payment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from panel.errors import PanelError


class GatewayError(PanelError):
    """The gateway refused or failed; the message is shown to the payer."""

    status_code = 402


@dataclass(frozen=True)
class ChargeRequest:
    """What to charge: `amount` minor units of `currency` for invoice `invoice_id`.

    `idempotency_key` is the same for every retry of one attempt: pass it to the
    gateway's API so a retried call never charges twice.
    """

    invoice_id: int
    invoice_number: str
    account_id: int
    amount: int
    currency: str
    idempotency_key: str
    description: str = ""
    return_url: str = ""
    cancel_url: str = ""


@dataclass(frozen=True)
class ChargeResult:
    """The outcome of a charge or a capture.

    `status` is "completed" (money taken), "pending" (confirmed later by a webhook),
    or "failed" (with `message` for the payer). `reference` is the gateway's id of
    the transaction, unique per gateway.
    """

    status: str
    reference: str
    amount: int
    message: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Redirect:
    """Send the payer to `url` (a hosted payment page); they come back to `return_url`."""

    url: str
    reference: str = ""


@dataclass(frozen=True)
class StoredMethod:
    """A card (or other method) saved at the gateway; `label` is what people see."""

    token: str
    label: str


@dataclass(frozen=True)
class WebhookEvent:
    """A gateway's notice that a payment completed, failed or was refunded.

    `invoice_id` is the invoice the payment was for (gateways echo back the
    metadata they were given). Billing applies a "completed" event once per
    `reference`, however often the gateway sends it.
    """

    kind: str  # "payment.completed", "payment.failed", "refund.completed"
    reference: str
    invoice_id: int
    amount: int
    currency: str
    details: Mapping[str, Any] = field(default_factory=dict)


class PaymentGateway:
    """Base class for gateways; override what the gateway supports.

    `name` is unique (prefix a plugin's gateways with its name). A gateway that
    supports none of the methods below, like bank transfer, is "offline": the
    client sees `instructions`, and staff record the payment by hand.
    """

    name: str = ""
    label: str = ""
    instructions: str = ""
    # Whether the client can choose it on an invoice (credit is offered separately).
    client_selectable: bool = True
    supports_redirect: bool = False
    supports_tokens: bool = False
    supports_refunds: bool = False
    supports_webhooks: bool = False

    def enabled_for(self, store_id: int, currency: str) -> bool:
        """Whether the gateway is offered for invoices of this store and currency."""
        return True

    async def start_redirect(self, charge: ChargeRequest) -> Redirect:
        """Begin a hosted payment; the result arrives by webhook."""
        raise GatewayError(f"{self.label} does not support hosted payment pages.")

    async def store_method(self, account_id: int, data: Mapping[str, Any]) -> StoredMethod:
        """Save a payment method at the gateway from the data its form posted."""
        raise GatewayError(f"{self.label} cannot store payment methods.")

    async def charge_token(self, charge: ChargeRequest, token: str) -> ChargeResult:
        """Charge a stored method; must honour `charge.idempotency_key`."""
        raise GatewayError(f"{self.label} cannot charge stored payment methods.")

    async def capture(self, reference: str, amount: int) -> ChargeResult:
        """Capture a payment that was only authorised."""
        raise GatewayError(f"{self.label} does not capture payments.")

    async def refund(self, reference: str, amount: int, currency: str) -> ChargeResult:
        """Give `amount` of the payment `reference` back to the payer."""
        raise GatewayError(f"{self.label} cannot refund; refund to account credit instead.")

    async def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent | None:
        """Verify and read a webhook; None for an event billing does not need.

        Raise `GatewayError` for a request that fails verification (bad signature).
        """
        raise GatewayError(f"{self.label} does not accept webhooks.")
