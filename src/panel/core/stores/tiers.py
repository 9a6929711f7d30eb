"""Reseller discount tiers: the more active services a reseller has, the bigger the discount."""

from __future__ import annotations

from dataclasses import dataclass

from panel.core import db
from panel.core.audit.services import SYSTEM, AuditContext, record
from panel.core.stores.tables import ResellerTier
from panel.errors import NotFound, ValidationFailed
from panel.money import format_percent, parse_percent


async def active_services(reseller_account_id: int) -> int:
    """Active services of the reseller itself and of every client of its stores."""
    from panel.core.accounts.tables import Account
    from panel.core.services.tables import Service, ServiceStatus
    from panel.core.stores.tables import Store

    store_ids = [r["id"] for r in await Store.select(Store.id).where(Store.reseller == reseller_account_id)]
    accounts = [reseller_account_id]
    if store_ids:
        accounts += [r["id"] for r in await Account.select(Account.id).where(Account.store.is_in(store_ids))]
    count: int = await Service.count().where(
        (Service.status == ServiceStatus.ACTIVE) & (Service.account.is_in(accounts))
    )
    return count


async def discount_bp(reseller_account_id: int) -> int:
    """The discount of the highest tier the reseller reaches (0 below every tier)."""
    count = await active_services(reseller_account_id)
    row = (
        await ResellerTier.select(ResellerTier.discount_bp)
        .where(ResellerTier.min_services <= count)
        .order_by(ResellerTier.min_services, ascending=False)
        .first()
    )
    return int(row["discount_bp"]) if row else 0


# -- managing tiers (staff) ------------------------------------------------------------


@dataclass(frozen=True)
class TierView:
    """A discount tier as pages and the API show it."""

    id: int
    name: str
    min_services: int
    discount_bp: int

    @property
    def discount(self) -> str:
        """The discount as "12.5 %"."""
        return format_percent(self.discount_bp)


async def list_tiers() -> list[TierView]:
    """Every tier, smallest first."""
    rows = await ResellerTier.select().order_by(ResellerTier.min_services)
    return [TierView(int(r["id"]), r["name"], int(r["min_services"]), int(r["discount_bp"])) for r in rows]


def tier_reached(tiers: list[TierView], count: int) -> tuple[TierView | None, TierView | None]:
    """The tier `count` active services reach and the next one up (`tiers` smallest first)."""
    reached = [t for t in tiers if t.min_services <= count]
    above = [t for t in tiers if t.min_services > count]
    return (reached[-1] if reached else None), (above[0] if above else None)


async def save_tier(
    tier_id: int | None, name: str, min_services: str | int, discount: str, *, by: AuditContext = SYSTEM
) -> int:
    """Create (`tier_id` None) or change a tier; `discount` is a percentage ("12.5"). Returns its id."""
    errors: dict[str, str] = {}
    name = name.strip()
    if not name:
        errors["name"] = "Give the tier a name."
    elif len(name) > 100:
        errors["name"] = "Use at most 100 characters."
    text = str(min_services).strip()
    count = int(text) if text.isdigit() and len(text) <= 7 else -1
    if count < 0:
        errors["min_services"] = "Enter a whole number of active services, 0 or more."
    elif await ResellerTier.exists().where((ResellerTier.min_services == count) & (ResellerTier.id != (tier_id or 0))):
        errors["min_services"] = "Another tier starts at this number of services."
    bp = 0
    try:
        bp = parse_percent(discount, field="discount")
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if tier_id is not None and not await ResellerTier.exists().where(ResellerTier.id == tier_id):
        raise NotFound("No such tier.")
    if errors:
        raise ValidationFailed(errors)
    details = {"name": name, "min_services": count, "discount_bp": bp}
    async with db.write_transaction():
        if tier_id is None:
            row = await ResellerTier.insert(ResellerTier(name=name, min_services=count, discount_bp=bp)).returning(
                ResellerTier.id
            )
            tier_id = int(row[0]["id"])
            action, summary = "reseller_tier.create", f"Created the reseller tier {name}."
        else:
            await ResellerTier.update(
                {ResellerTier.name: name, ResellerTier.min_services: count, ResellerTier.discount_bp: bp}
            ).where(ResellerTier.id == tier_id)
            action, summary = "reseller_tier.update", f"Changed the reseller tier {name}."
        await record(action, account_id=None, target=f"reseller_tier:{tier_id}", summary=summary, details=details, **by)
    return tier_id


async def delete_tier(tier_id: int, *, by: AuditContext = SYSTEM) -> None:
    """Remove a tier; resellers fall to the tier below."""
    row = await ResellerTier.select(ResellerTier.name).where(ResellerTier.id == tier_id).first()
    if row is None:
        raise NotFound("No such tier.")
    async with db.write_transaction():
        await ResellerTier.delete().where(ResellerTier.id == tier_id)
        await record(
            "reseller_tier.delete",
            account_id=None,
            target=f"reseller_tier:{tier_id}",
            summary=f"Deleted the reseller tier {row['name']}.",
            **by,
        )
