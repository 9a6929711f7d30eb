"""After a service changed: tell other plugins, and find whom to email about it."""

from __future__ import annotations

import logging

from panel.core import runtime
from panel.core.accounts.tables import Account
from panel.core.contacts import services as contacts

log = logging.getLogger("panel.services")


async def fire(event: str, service_id: int, account_id: int, product_type: str) -> None:
    """Call `panel_on_service_event` (after the commit); without a running panel, only log it."""
    try:
        current = runtime.current()
    except RuntimeError:
        log.info("service %s %s (no runtime: plugins not told)", service_id, event)
        return
    await current.plugins.on_service_event(event, service_id, account_id, product_type)


async def account_recipients(account_id: int, kind: str) -> list[str]:
    """Who gets an account's `kind` of email ("billing", "technical"): `account_email`, then synced contacts.

    Contact sync (docs/contacts.md) adds the members whose contacts receive that kind;
    empty when the account has no address at all.
    """
    from panel.core.contacts.sync import services as contact_sync

    first = await account_email(account_id)
    if not first:
        return []
    return list(dict.fromkeys([first, *await contact_sync.recipients(account_id, kind)]))


async def account_email(account_id: int) -> str:
    """Where service and billing emails of an account go: its billing contact, else its owner."""
    contact = await contacts.billing_contact(account_id)
    if contact is not None and contact.email:
        return str(contact.email)
    row = await Account.select(Account.owner.email).where(Account.id == account_id).first()
    return str(row["owner.email"]) if row else ""
