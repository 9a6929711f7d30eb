"""Contact sync: an account's contacts kept in step with its members.

Rules kept here:

- the setting is off unless the account turned it on (`account:contact_sync`); off,
  nothing is synced and the contacts the sync made stay as they are (turning it on
  again adopts them, so no member gets two);
- on, every member has a contact with their name and email, made by the sync and
  linked to them (`ContactSyncLink`): it follows the member's name and email, and
  goes when they leave or are removed (or their user is deleted);
- only linked contacts are ever changed or removed: hand-made contacts are never
  touched, and a member whose email a hand-made contact has already gets no second
  contact;
- the contacts the sync made receive the kinds of email the setting chooses
  (`CATEGORIES`; `recipients` answers who gets which).

`reconcile` does all of it for one account and is idempotent; joining and leaving
call it in their transaction, the periodic task (`jobs.py`) catches what changed
elsewhere (a user's new name or email, members added by staff).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from panel.core import db
from panel.core.accounts.tables import Membership
from panel.core.audit.services import AuditContext, record
from panel.core.contacts import services as contacts
from panel.core.contacts.sync.tables import ContactSyncLink, ContactSyncSetting
from panel.core.contacts.tables import Contact
from panel.core.contacts.validation import ContactData
from panel.errors import ValidationFailed

CATEGORIES: dict[str, str] = {
    "billing": "Invoices and billing",
    "technical": "Services and technical notices",
    "support": "Support tickets",
    "general": "General announcements",
}
"""Kinds of email a synced contact may receive: name -> label."""

DEFAULT_CATEGORIES: tuple[str, ...] = ("general",)
"""What a newly turned-on sync sends to the members' contacts when no choice is given."""


@dataclass(frozen=True)
class SyncSetting:
    """An account's contact-sync setting."""

    account_id: int
    enabled: bool
    categories: list[str]
    synced_contacts: int = 0


@dataclass
class SyncResult:
    """What one `reconcile` changed: contact ids added, updated and removed."""

    added: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        """Counts, for the audit log."""
        return {"added": len(self.added), "updated": len(self.updated), "removed": len(self.removed)}


def _split(raw: str) -> list[str]:
    return [c for c in (raw or "").split(",") if c in CATEGORIES]


def clean_categories(chosen: list[str]) -> list[str]:
    """Known categories in `CATEGORIES` order; `ValidationFailed` (field `categories`) for an unknown one."""
    unknown = sorted({c for c in chosen if c not in CATEGORIES})
    if unknown:
        raise ValidationFailed({"categories": f"No such kind of email: {', '.join(unknown)}."})
    return [c for c in CATEGORIES if c in chosen]


async def get_setting(account_id: int) -> SyncSetting:
    """The account's setting (off when never set) and how many contacts the sync made."""
    row = (
        await ContactSyncSetting.select(ContactSyncSetting.enabled, ContactSyncSetting.categories)
        .where(ContactSyncSetting.account == account_id)
        .first()
    )
    count = await ContactSyncLink.count().where(ContactSyncLink.account == account_id)
    if row is None:
        return SyncSetting(account_id, False, list(DEFAULT_CATEGORIES), count)
    return SyncSetting(account_id, bool(row["enabled"]), _split(row["categories"]), count)


async def is_enabled(account_id: int) -> bool:
    """Whether the account keeps its contacts in step with its members."""
    return await ContactSyncSetting.exists().where(
        (ContactSyncSetting.account == account_id) & (ContactSyncSetting.enabled == True)  # noqa: E712
    )


async def update_setting(
    account_id: int, enabled: bool, categories: list[str], *, by: AuditContext
) -> tuple[SyncSetting, SyncResult]:
    """Turn the sync on or off and choose what its contacts receive (audited).

    Turning it on (or saving while on) adds the current members at once; running it
    twice adds nobody twice. Returns the new setting and what the sync changed.
    """
    chosen = clean_categories(categories)
    async with db.write_transaction():
        before = await get_setting(account_id)
        values: dict[Any, Any] = {
            ContactSyncSetting.enabled: enabled,
            ContactSyncSetting.categories: ",".join(chosen),
            ContactSyncSetting.changed_by: by["actor"],
            ContactSyncSetting.changed_at: datetime.now(UTC),
        }
        updated = (
            await ContactSyncSetting.update(values)
            .where(ContactSyncSetting.account == account_id)
            .returning(ContactSyncSetting.id)
        )
        if not updated:
            row = {ContactSyncSetting.account: account_id, **values}
            await ContactSyncSetting.insert(ContactSyncSetting(_data=row))
        result = await reconcile(account_id) if enabled else SyncResult()
        state = "on" if enabled else "off"
        await record(
            "contact_sync.update",
            account_id=account_id,
            target="account:contact_sync",
            summary=f"Turned contact sync {state}" + (f" ({', '.join(chosen) or 'no email'})." if enabled else "."),
            details={
                "enabled": {"before": before.enabled, "after": enabled},
                "categories": {"before": before.categories, "after": chosen},
                "contacts": result.summary(),
            },
            **by,
        )
        after = await get_setting(account_id)
    return after, result


def _display_name(name: str, email: str) -> str:
    return (name or "").strip()[:200] or email.partition("@")[0][:200] or email[:200]


async def _members(account_id: int) -> dict[int, tuple[str, str]]:
    rows = await Membership.select(Membership.user, Membership.user.name, Membership.user.email).where(
        Membership.account == account_id
    )
    return {int(r["user"]): (_display_name(r["user.name"], r["user.email"]), r["user.email"]) for r in rows}


async def _links(account_id: int) -> list[dict[str, Any]]:
    return list(
        await ContactSyncLink.select(
            ContactSyncLink.user, ContactSyncLink.contact, ContactSyncLink.contact.name, ContactSyncLink.contact.email
        ).where(ContactSyncLink.account == account_id)
    )


async def reconcile(account_id: int) -> SyncResult:
    """Bring the account's synced contacts in step with its members, if the sync is on (idempotent).

    Adds a contact for each member without one (unless a hand-made contact has their
    email), updates names and emails that changed, removes the contacts of members
    who are gone. Joins the caller's transaction.
    """
    result = SyncResult()
    async with db.write_transaction():
        if not await is_enabled(account_id):
            return result
        members = await _members(account_id)
        links = await _links(account_id)
        made_by_sync = {int(link["contact"]) for link in links}
        linked: set[int] = set()
        for link in links:
            user, contact_id = link["user"], int(link["contact"])
            if user is None or int(user) not in members:
                await contacts.delete_contact(account_id, contact_id)  # the link goes with it (cascade)
                result.removed.append(contact_id)
                continue
            linked.add(int(user))
            name, email = members[int(user)]
            if (link["contact.name"], link["contact.email"]) != (name, email):
                await contacts.set_name_and_email(account_id, contact_id, name, email)
                result.updated.append(contact_id)
        hand_made = {
            str(r["email"]).lower()
            for r in await Contact.select(Contact.id, Contact.email).where(Contact.account == account_id)
            if int(r["id"]) not in made_by_sync
        }
        for user_id, (name, email) in members.items():
            if user_id in linked or email.lower() in hand_made:
                continue
            contact_id = await contacts.add_contact(account_id, ContactData(name=name, email=email))
            await ContactSyncLink.insert(ContactSyncLink(contact=contact_id, account=account_id, user=user_id))
            result.added.append(contact_id)
    return result


async def member_changed(account_id: int) -> SyncResult:
    """A member joined or left `account_id`: sync its contacts (nothing when the sync is off).

    Called by the members feature in its transaction, so the contact comes and goes
    with the membership.
    """
    return await reconcile(account_id)


async def user_changed(user_id: int) -> int:
    """A user's name or email changed: update their synced contacts in every account; returns how many accounts."""
    rows = await ContactSyncLink.select(ContactSyncLink.account).where(ContactSyncLink.user == user_id)
    accounts = sorted({int(r["account"]) for r in rows})
    for account_id in accounts:
        await reconcile(account_id)
    return len(accounts)


async def enabled_accounts() -> list[int]:
    """Accounts whose sync is on (the periodic task's work list)."""
    rows = await ContactSyncSetting.select(ContactSyncSetting.account).where(
        ContactSyncSetting.enabled == True  # noqa: E712
    )
    return sorted(int(r["account"]) for r in rows)


async def synced_contact_ids(account_id: int) -> set[int]:
    """Ids of the account's contacts the sync made (the contacts page marks them)."""
    rows = await ContactSyncLink.select(ContactSyncLink.contact).where(ContactSyncLink.account == account_id)
    return {int(r["contact"]) for r in rows}


async def recipients(account_id: int, category: str) -> list[str]:
    """Email addresses of the account's synced contacts that receive `category` (none while the sync is off).

    For the code that sends that kind of email, next to the billing contact or owner
    it writes to already.
    """
    if category not in CATEGORIES:
        raise ValueError(f"unknown contact-sync category {category!r}")
    setting = await get_setting(account_id)
    if not setting.enabled or category not in setting.categories:
        return []
    rows = await ContactSyncLink.select(ContactSyncLink.contact.email).where(ContactSyncLink.account == account_id)
    return sorted({str(r["contact.email"]) for r in rows if r["contact.email"]})
