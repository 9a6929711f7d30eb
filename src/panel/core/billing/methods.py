"""Stored payment methods (card tokens at a gateway) and who may pay with them.

A method belongs to one account. A reseller's account may mark a method as a
"reseller card" (`payer = reseller`): its users may then pay the invoices of the
reseller's clients with it (accounts bound to a store whose `reseller` is that
account), and those payments say "Paid by reseller card". Every function takes the
account id and touches only that account's rows, so another account's method id is
`NotFound`, never data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from panel.core import db
from panel.core.accounts.tables import Account
from panel.core.audit.services import AuditContext, record
from panel.core.authz.tables import CasbinRule
from panel.core.billing.gateways import get
from panel.core.billing.tables import PayerKind, PaymentMethod
from panel.core.stores.services import is_reseller
from panel.errors import NotFound, ValidationFailed
from panel.gateways import PaymentGateway


@dataclass(frozen=True)
class MethodView:
    """A stored method as pages show it (never the token)."""

    id: int
    account_id: int
    gateway: str
    label: str
    payer: str
    is_default: bool
    created_at: datetime

    @property
    def payer_label(self) -> str:
        """Either "reseller card" or "customer card"."""
        return "reseller card" if self.payer == PayerKind.RESELLER else "customer card"


_COLUMNS = (
    PaymentMethod.id,
    PaymentMethod.account,
    PaymentMethod.gateway,
    PaymentMethod.label,
    PaymentMethod.payer,
    PaymentMethod.is_default,
    PaymentMethod.created_at,
)


def _view(r: Mapping[str, Any]) -> MethodView:
    return MethodView(
        r["id"], r["account"], r["gateway"], r["label"], r["payer"], bool(r["is_default"]), r["created_at"]
    )


async def list_methods(account_id: int) -> list[MethodView]:
    """The account's stored methods, the default first."""
    rows = await (
        PaymentMethod.select(*_COLUMNS)
        .where(PaymentMethod.account == account_id)
        .order_by(PaymentMethod.is_default, ascending=False)
        .order_by(PaymentMethod.id)
    )
    return [_view(r) for r in rows]


async def reseller_of(account_id: int) -> int | None:
    """The reseller account whose store the account buys from, if any."""
    row = await Account.select(Account.store.reseller).where(Account.id == account_id).first()
    value = row["store.reseller"] if row else None
    return int(value) if value else None


async def usable_methods(account_id: int, reseller_account_id: int | None) -> list[MethodView]:
    """Methods that may pay the account's invoices: its own, plus the reseller's reseller cards.

    Pass `reseller_account_id` only when the current user may use that reseller's
    methods (the route asks the rules engine); otherwise None.
    """
    own = await list_methods(account_id)
    if reseller_account_id is None or reseller_account_id == account_id:
        return own
    theirs = [m for m in await list_methods(reseller_account_id) if m.payer == PayerKind.RESELLER]
    return own + theirs


async def method_for_payment(method_id: int, account_id: int, reseller_account_id: int | None) -> dict[str, Any]:
    """The stored method (with its token) if it may pay this account's invoices, else `NotFound`."""
    row = await PaymentMethod.select().where(PaymentMethod.id == method_id).first()
    if row is None:
        raise NotFound("No such payment method.")
    if row["account"] == account_id:
        return dict(row)
    if reseller_account_id is not None and row["account"] == reseller_account_id and row["payer"] == PayerKind.RESELLER:
        return dict(row)
    raise NotFound("No such payment method.")


async def keeps_reseller_cards(account_id: int) -> bool:
    """Whether the account may keep reseller cards: it runs a store, or acts as a partner (has partner admins)."""
    if await is_reseller(account_id):
        return True
    return bool(
        await CasbinRule.exists().where(
            (CasbinRule.ptype == "g")
            & (CasbinRule.v1 == "role:partner_admin")
            & (CasbinRule.v2 == f"acct:{account_id}")
        )
    )


async def add_method(
    gateways: Mapping[str, PaymentGateway],
    account_id: int,
    gateway: str,
    data: Mapping[str, Any],
    *,
    as_reseller: bool,
    by: AuditContext,
) -> int:
    """Store a method at the gateway from its form's data and keep its token; audited.

    The gateway validates the data and may refuse (`GatewayError`, shown to the
    client). The first method becomes the default. `as_reseller` is allowed only for
    an account that runs a store.
    """
    gw = get(gateways, gateway)
    if not gw.supports_tokens:
        raise ValidationFailed({"gateway": f"{gw.label} cannot keep payment methods."})
    if as_reseller and not await keeps_reseller_cards(account_id):
        raise ValidationFailed({"reseller": "Only a reseller's or a partner's account keeps reseller cards."})
    stored = await gw.store_method(account_id, data)
    payer = PayerKind.RESELLER if as_reseller else PayerKind.CUSTOMER
    async with db.write_transaction():
        first = not await PaymentMethod.exists().where(PaymentMethod.account == account_id)
        row = await PaymentMethod.insert(
            PaymentMethod(
                account=account_id,
                gateway=gw.name,
                token=stored.token[:255],
                label=stored.label[:100],
                payer=payer,
                is_default=1 if first else 0,
            )
        ).returning(PaymentMethod.id)
        method_id = int(row[0]["id"])
        await record(
            "payment_method.add",
            account_id=account_id,
            target=f"payment_method:{method_id}",
            summary=f"Added the payment method {stored.label} ({payer} card).",
            **by,
        )
    return method_id


async def _own(account_id: int, method_id: int) -> dict[str, Any]:
    row = (
        await PaymentMethod.select(*_COLUMNS)
        .where((PaymentMethod.id == method_id) & (PaymentMethod.account == account_id))
        .first()
    )
    if row is None:
        raise NotFound("No such payment method in this account.")
    return dict(row)


async def delete_method(account_id: int, method_id: int, *, by: AuditContext) -> None:
    """Forget a stored method (payments made with it keep their label); audited."""
    row = await _own(account_id, method_id)
    async with db.write_transaction():
        await PaymentMethod.delete().where(PaymentMethod.id == method_id)
        if row["is_default"]:
            nxt = await PaymentMethod.select(PaymentMethod.id).where(PaymentMethod.account == account_id).first()
            if nxt:
                await PaymentMethod.update({PaymentMethod.is_default: 1}).where(PaymentMethod.id == nxt["id"])
        await record(
            "payment_method.delete",
            account_id=account_id,
            target=f"payment_method:{method_id}",
            summary=f"Removed the payment method {row['label']}.",
            **by,
        )


async def set_default(account_id: int, method_id: int) -> None:
    """Make one method the account's default."""
    await _own(account_id, method_id)
    async with db.write_transaction():
        await PaymentMethod.update({PaymentMethod.is_default: 0}).where(PaymentMethod.account == account_id)
        await PaymentMethod.update({PaymentMethod.is_default: 1}).where(PaymentMethod.id == method_id)
