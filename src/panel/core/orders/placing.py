"""Placing an order: the one transaction that turns a cart into an order, services and an invoice.

Everything is priced again inside the transaction, every item's checkout fields are
checked again by its type, the promo code is checked again and its use counted, and
the figures come from `totals.compute`, so order, invoice and what the buyer saw
agree to the minor unit. `panel.core.orders.checkout` holds the ways in (sign-up,
new account, existing account).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from panel.core import db
from panel.core.accounts.tables import Account
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.billing.invoicing import LineDraft, issue_invoice
from panel.core.catalog.tables import Cycle
from panel.core.contacts import services as contacts
from panel.core.orders import cart as carts
from panel.core.orders import lines, promos
from panel.core.orders.tables import Order, OrderItem, OrderStatus
from panel.core.orders.taxes import BuyerPlace, tax_for
from panel.core.orders.totals import Promotion, Totals, UnitTotal, compute
from panel.core.services.services import create_pending_service
from panel.core.stores.tables import Store
from panel.errors import ValidationFailed
from panel.money import format_money
from panel.product_types import ProductType

BILLING_FIELDS = ("name", "company", "email", "address1", "address2", "city", "region", "postcode", "country", "vat_id")


@dataclass(frozen=True)
class Placed:
    """An order just placed: its number, its invoice, and whether it is paid already (free)."""

    order_id: int
    number: str
    invoice_id: int
    account_id: int
    currency: str
    total: int
    paid: bool

    @property
    def total_text(self) -> str:
        """The total for people."""
        return format_money(self.total, self.currency)


def order_number(order_id: int) -> str:
    """The order's number: `ORD-` and the id, zero-padded (unique because the id is)."""
    return f"ORD-{order_id:06d}"


async def buyer_of(account_id: int) -> tuple[BuyerPlace, dict[str, str]]:
    """Where an account is for tax (its billing contact) and the billing snapshot for the invoice."""
    return (await buyers_of([account_id]))[account_id]


async def buyers_of(account_ids: list[int]) -> dict[int, tuple[BuyerPlace, dict[str, str]]]:
    """`buyer_of` for several accounts in two queries (the renewal run invoices thousands)."""
    found = await contacts.billing_contacts(account_ids)
    out: dict[int, tuple[BuyerPlace, dict[str, str]]] = {}
    for account_id, contact in found.items():
        snapshot = {name: str(getattr(contact, name)) for name in BILLING_FIELDS}
        snapshot["country_name"] = contact.country_name
        out[account_id] = (BuyerPlace(contact.country, contact.region, contact.vat_id), snapshot)
    missing = [a for a in account_ids if a not in out]
    if missing:
        rows = await Account.select(Account.id, Account.name, Account.owner.email).where(Account.id.is_in(missing))
        for row in rows:
            out[int(row["id"])] = (BuyerPlace(), {"name": row["name"], "email": row["owner.email"]})
    for account_id in account_ids:
        out.setdefault(account_id, (BuyerPlace(), {}))
    return out


async def check_store(account_id: int, cart_store: int) -> None:
    """Refuse an account that buys from another store than the cart's."""
    store_id = await carts.account_store(account_id)
    if store_id == cart_store:
        return
    names = {
        r["id"]: r["name"]
        for r in await Store.select(Store.id, Store.name).where(Store.id.is_in([store_id, cart_store]))
    }
    raise ValidationFailed(
        {
            "account_id": f"That account buys from {names.get(store_id, 'another store')}, and your cart holds "
            f"products of {names.get(cart_store, 'another store')}: choose another account, or switch to it "
            "and fill the cart from its store."
        }
    )


async def _priced(cart_id: int) -> tuple[dict[str, Any], list[lines.PricedItem]]:
    cart = await carts.cart_row(cart_id)
    items = await lines.price_rows(cart["store"], await carts.item_rows(cart_id))
    if not items:
        raise ValidationFailed({"cart": "Your cart is empty."})
    from panel.core.stores.services import get_store, minimum_term_problem

    store = await get_store(int(cart["store"]))
    for item in (x for top in items for x in (top, *top.addons)):
        problem = minimum_term_problem(store, item.product_type, item.cycle, item.name)
        if problem:  # the store's policy changed after the item was put in the cart
            raise ValidationFailed({"cart": problem})
    return cart, items


async def check_cart(cart_id: int) -> None:
    """Refuse a cart that cannot be ordered as it is (empty, items no longer sold, bad promo code)."""
    cart, items = await _priced(cart_id)
    units = lines.units(items)
    if cart["promo_code"]:
        await promos.check(cart["promo_code"], cart["store"], cart["currency"], units)


async def _fields_again(
    product_types: Mapping[str, ProductType], items: list[lines.PricedItem]
) -> dict[int, dict[str, Any]]:
    """Every item's checkout fields, checked again by its product type (they may have changed their rules)."""
    every = [x for item in items for x in (item, *item.addons)]
    infos = await lines.products([x.product_id for x in every])
    out: dict[int, dict[str, Any]] = {}
    for item in every:
        ptype = product_types.get(item.product_type)
        if ptype is None:
            raise ValidationFailed({f"item_{item.id}": f"{item.name} cannot be ordered right now."})
        if item.parent_id is not None or item.for_service is not None:
            out[item.id] = {}
            continue
        try:
            out[item.id] = await ptype.validate_checkout(item.fields, infos[item.product_id].config)
        except ValidationFailed as exc:
            raise ValidationFailed({f"item_{item.id}": f"{item.name}: {exc.message}"}) from exc
    return out


async def _check_for_services(account_id: int, items: list[lines.PricedItem]) -> None:
    """Refuse addons for services that are not the ordering account's active services (any more)."""
    wanted = {int(i.for_service): i for i in items if i.for_service is not None}
    if not wanted:
        return
    from panel.core.services.tables import Service, ServiceStatus

    rows = await Service.select(Service.id).where(
        Service.id.is_in(sorted(wanted)) & (Service.account == account_id) & (Service.status == ServiceStatus.ACTIVE)
    )
    ok = {int(r["id"]) for r in rows}
    for service_id, item in wanted.items():
        if service_id not in ok:
            raise ValidationFailed(
                {f"item_{item.id}": f"{item.name} is for a service that is not an active service of this account."}
            )


def _label(product_types: Mapping[str, ProductType], line: UnitTotal, fields: Mapping[str, Any]) -> str:
    ptype = product_types.get(line.unit.product_type)
    return ptype.service_label(fields, line.unit.name) if ptype else line.unit.name


async def place_order(
    *,
    cart_id: int,
    account_id: int,
    placed_by: int | None,
    product_types: Mapping[str, ProductType],
    ip: str = "",
    by: AuditContext = SYSTEM,
) -> Placed:
    """Turn the cart into an order of `account_id`, inside the caller's transaction (or its own).

    Writes the order, one line and one pending service per unit (addons under their
    product's service), the invoice (a line per unit, a line per setup fee, discounts
    and taxes per line, the billing contact's snapshot, due today), counts the promo
    code's use, and empties the cart. A free order's invoice is paid at once, and so
    is the order. Raises `ValidationFailed` (nothing written) for anything the buyer
    must fix.
    """
    async with db.write_transaction():
        cart, items = await _priced(cart_id)
        store_id, currency = int(cart["store"]), str(cart["currency"])
        await check_store(account_id, store_id)
        await _check_for_services(account_id, items)
        units = lines.units(items)
        fields = await _fields_again(product_types, items)
        promotion: Promotion | None = None
        if cart["promo_code"]:
            promo_id, promotion = await promos.check(cart["promo_code"], store_id, currency, units)
            await promos.take_use(promo_id)
        place, billing = await buyer_of(account_id)
        totals = compute(units, promotion, await tax_for(store_id, place))
        order_id = await _write_order(cart, account_id, placed_by, ip, totals, promotion.code if promotion else "")
        number = order_number(order_id)
        drafts = await _write_items(order_id, account_id, store_id, currency, totals, fields, items, product_types)
        invoice_id = await issue_invoice(
            store_id=store_id,
            account_id=account_id,
            currency=currency,
            lines=drafts,
            billing=billing,
            order_id=order_id,
            notes=f"Order {number}" + (f", promo code {promotion.code}" if promotion else ""),
            reverse_charge=totals.tax_choice.reverse_charge,
        )
        paid = totals.total == 0
        await Order.update(
            {
                Order.number: number,
                Order.invoice_id: invoice_id,
                Order.status: OrderStatus.PAID if paid else OrderStatus.PENDING,
                Order.paid_at: dt.datetime.now(dt.UTC) if paid else None,
            }
        ).where(Order.id == order_id)
        await carts.empty(cart_id)
        await record(
            "order.placed",
            account_id=account_id,
            target=f"order:{order_id}",
            summary=f"Placed order {number} for {format_money(totals.total, currency)}.",
            details={
                "number": number,
                "invoice_id": invoice_id,
                "total": totals.total,
                "currency": currency,
                "promo_code": promotion.code if promotion else "",
                "items": len(totals.lines),
            },
            **by,
        )
    return Placed(order_id, number, invoice_id, account_id, currency, totals.total, paid)


async def _write_order(
    cart: Mapping[str, Any], account_id: int, placed_by: int | None, ip: str, totals: Totals, promo_code: str
) -> int:
    row = await Order.insert(
        Order(
            number=f"new-{secrets.token_hex(12)}",  # replaced by the real number once the id is known
            account=account_id,
            store=cart["store"],
            placed_by=placed_by,
            status=OrderStatus.PENDING,
            currency=cart["currency"],
            subtotal=totals.subtotal,
            discount=totals.discount,
            tax=totals.tax,
            total=totals.total,
            promo_code=promo_code,
            ip=ip[:45],
        )
    ).returning(Order.id)
    return int(row[0]["id"])


async def _write_items(
    order_id: int,
    account_id: int,
    store_id: int,
    currency: str,
    totals: Totals,
    fields: Mapping[int, Mapping[str, Any]],
    items: list[lines.PricedItem],
    product_types: Mapping[str, ProductType],
) -> list[LineDraft]:
    """One order line and one pending service per unit; returns the invoice's lines."""
    by_id = {x.id: x for item in items for x in (item, *item.addons)}
    tax = totals.tax_choice
    rate = 0 if tax.reverse_charge else tax.rate_bp
    tax_name = "" if tax.reverse_charge else tax.name
    drafts: list[LineDraft] = []
    parent_of_unit: dict[int, tuple[int, int]] = {}  # cart item id -> (order item id, service id) of the last unit
    for line in totals.lines:
        unit, item = line.unit, by_id[line.unit.item_id]
        unit_fields = dict(fields.get(unit.item_id, {}))
        parent = parent_of_unit.get(unit.parent_item_id) if unit.parent_item_id else None
        parent_service = parent[1] if parent else item.for_service
        row = await OrderItem.insert(
            OrderItem(
                order=order_id,
                product=unit.product_id,
                parent=parent[0] if parent else None,
                description=unit.name[:255],
                product_type=unit.product_type,
                cycle=unit.cycle,
                quantity=1,
                unit_amount=unit.amount,
                setup_fee=unit.setup_fee,
                discount=line.discount,
                recurring_amount=line.recurring_amount,
                options=dict(item.options),
                fields=unit_fields,
            )
        ).returning(OrderItem.id)
        order_item_id = int(row[0]["id"])
        label = _label(product_types, line, unit_fields)
        service_id = await create_pending_service(
            account_id=account_id,
            store_id=store_id,
            product_id=unit.product_id,
            product_type=unit.product_type,
            label=label,
            cycle=unit.cycle,
            currency=currency,
            recurring_amount=line.recurring_amount,
            options=item.options,
            fields=unit_fields,
            order_item_id=order_item_id,
            parent_id=parent_service,
        )
        await OrderItem.update({OrderItem.service_id: service_id}).where(OrderItem.id == order_item_id)
        if unit.parent_item_id is None:
            parent_of_unit[unit.item_id] = (order_item_id, service_id)
        cycle = Cycle.LABELS.get(unit.cycle, unit.cycle)
        described = f"{label} – {unit.name}" if label != unit.name else unit.name
        if item.for_service is not None and item.for_service_label:
            described = f"{described} for {item.for_service_label}"
        drafts.append(
            LineDraft(
                description=f"{described} ({cycle})",
                unit_amount=unit.amount,
                discount=line.discount,
                tax_name=tax_name,
                tax_bp=rate,
                product_type=unit.product_type,
                service_id=service_id,
                order_item_id=order_item_id,
            )
        )
        if unit.setup_fee:
            drafts.append(
                LineDraft(
                    description=f"Setup fee: {described}",
                    unit_amount=unit.setup_fee,
                    tax_name=tax_name,
                    tax_bp=rate,
                    product_type=unit.product_type,
                    service_id=service_id,
                    order_item_id=order_item_id,
                )
            )
    return drafts
