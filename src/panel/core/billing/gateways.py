"""The two gateways core ships, and looking gateways up for an invoice.

`credit` takes the money from the account's credit balance; it is offered on its own
(with an amount field), never in the list of gateways. `bank_transfer` is offline:
the client reads the instructions and pays at their bank, and staff record the
payment with the bank's reference. Card gateways come from plugins (see
`panel.gateways` for the contract and `tests/dummy_plugin/card.py` for a worked one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from panel.errors import NotFound
from panel.gateways import PaymentGateway

CREDIT = "credit"
BANK_TRANSFER = "bank_transfer"

DEFAULT_BANK_INSTRUCTIONS = (
    "Pay by bank transfer and quote the invoice number as the reference. "
    "The invoice is marked paid once the money has arrived."
)


class CreditGateway(PaymentGateway):
    """Pays from the account's credit balance (whole or part of an invoice)."""

    name = CREDIT
    label = "Account credit"
    client_selectable = False


class BankTransfer(PaymentGateway):
    """Offline: the client transfers the money, staff record it with the bank's reference."""

    name = BANK_TRANSFER
    label = "Bank transfer"
    instructions = DEFAULT_BANK_INSTRUCTIONS


def bank_instructions(setting: str, store_instructions: str) -> str:
    """What the client reads under "Bank transfer": the setting, else the store's contact instructions."""
    return setting.strip() or store_instructions.strip() or DEFAULT_BANK_INSTRUCTIONS


@dataclass(frozen=True)
class Offer:
    """A gateway the client may choose for one invoice."""

    name: str
    label: str
    instructions: str
    redirect: bool
    tokens: bool


def offers(gateways: Mapping[str, PaymentGateway], store_id: int, currency: str) -> list[Offer]:
    """The client-selectable gateways enabled for this store and currency, by label."""
    out = [
        Offer(gw.name, gw.label or gw.name, gw.instructions, gw.supports_redirect, gw.supports_tokens)
        for gw in gateways.values()
        if gw.client_selectable and gw.enabled_for(store_id, currency)
    ]
    return sorted(out, key=lambda o: o.label)


def get(gateways: Mapping[str, PaymentGateway], name: str) -> PaymentGateway:
    """The gateway of that name, or `NotFound` (a plugin switched off, a typo in a webhook URL)."""
    gw = gateways.get(name)
    if gw is None:
        raise NotFound(f"No payment gateway named {name!r} is enabled.")
    return gw


def label_of(gateways: Mapping[str, Any], name: str) -> str:
    """A gateway's label for people; its name when the gateway is no longer enabled."""
    gw = gateways.get(name)
    return str(getattr(gw, "label", "") or name)
