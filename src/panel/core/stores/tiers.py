"""Reseller discount tiers: the more active services a reseller has, the bigger the discount."""

from __future__ import annotations

from panel.core.stores.tables import ResellerTier


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
