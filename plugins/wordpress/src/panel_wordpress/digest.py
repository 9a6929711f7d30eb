"""Update digests: each account's choice of schedule and recipients, and what its page shows.

Rules kept here:

- the schedule is daily, weekly or off (weekly without a saved choice), and goes to
  the owner and/or chosen contacts of the same account; a contact id of another
  account is "not found";
- a schedule other than "off" needs at least one recipient with an email address;
- resellers (accounts running reseller stores) also choose how often they get the
  digest of their clients' sites.

Sending is in `panel_wordpress.digest_send`; periods are UTC days and ISO weeks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from panel.core import db
from panel.core.accounts.tables import Account
from panel.core.contacts.tables import Contact
from panel.core.stores.tables import Store
from panel.errors import NotFound, ValidationFailed

from panel_wordpress.digest_tables import DigestAudience, DigestSchedule, WordpressDigestPref, WordpressDigestSent

SCHEDULE_LABELS = {
    DigestSchedule.DAILY: "Daily",
    DigestSchedule.WEEKLY: "Weekly (on Mondays)",
    DigestSchedule.OFF: "Off",
}


@dataclass(frozen=True)
class DigestPrefs:
    """An account's digest choice (the defaults when it never saved one)."""

    schedule: str = DigestSchedule.DEFAULT
    to_owner: bool = True
    contact_ids: tuple[int, ...] = ()
    clients_schedule: str = DigestSchedule.DEFAULT


@dataclass(frozen=True)
class ContactChoice:
    """A contact of the account that can receive the digest."""

    id: int
    name: str
    email: str
    chosen: bool


@dataclass(frozen=True)
class SentDigest:
    """A digest that went out (as the page's history shows it)."""

    audience: str
    schedule: str
    period: str
    recipients: str
    sites: int
    updates: int
    sent_at: datetime


@dataclass(frozen=True)
class DigestView:
    """Everything the preferences page and the API show."""

    prefs: DigestPrefs
    owner_email: str
    contacts: list[ContactChoice]
    is_reseller: bool
    pending_sites: int
    pending_updates: int
    recent: list[SentDigest]


def period_of(schedule: str, now: datetime) -> str:
    """The period `now` falls in for a schedule: the UTC day (`2026-05-04`) or ISO week (`2026-W19`)."""
    now = now.astimezone(UTC)
    if schedule == DigestSchedule.DAILY:
        return now.strftime("%Y-%m-%d")
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"


def sent_key(audience: str, account_id: int | None, schedule: str, period: str) -> str:
    """The unique key of one digest: `<audience>:<account or 0>:<schedule>@<period>`."""
    return f"{audience}:{account_id or 0}:{schedule}@{period}"


def contact_ids_of(raw: Any) -> tuple[int, ...]:
    """The contact ids stored in a pref row (Piccolo gives JSON columns back as text)."""
    value = json.loads(raw or "[]") if isinstance(raw, str) else raw
    return tuple(int(v) for v in value or () if isinstance(v, int | str) and str(v).isdigit())


async def prefs_of(account_id: int) -> DigestPrefs:
    """The account's digest choice, or the defaults."""
    row = await WordpressDigestPref.select().where(WordpressDigestPref.account == account_id).first()
    if row is None:
        return DigestPrefs()
    return DigestPrefs(row["schedule"], bool(row["to_owner"]), contact_ids_of(row["contacts"]), row["clients_schedule"])


async def is_reseller(account_id: int) -> bool:
    """Whether the account runs reseller stores (and so gets its clients' digest)."""
    return bool(await Store.exists().where(Store.reseller == account_id))


_PENDING_SQL = (
    "SELECT COUNT(*) AS sites, COALESCE(SUM(plugin_updates + theme_updates"
    " + CASE WHEN core_update <> '' THEN 1 ELSE 0 END), 0) AS pending FROM wordpress_site"
    " WHERE account = {} AND (core_update <> '' OR plugin_updates > 0 OR theme_updates > 0)"
)


async def view(account_id: int) -> DigestView:
    """The account's choice, its contacts with an email, what a digest would hold now, the last ones sent."""
    prefs = await prefs_of(account_id)
    owner = await Account.select(Account.owner.email.as_alias("email")).where(Account.id == account_id).first()
    contacts = await (
        Contact.select(Contact.id, Contact.name, Contact.company, Contact.email)
        .where((Contact.account == account_id) & (Contact.email != ""))
        .order_by(Contact.is_primary, ascending=False)
        .order_by(Contact.name, Contact.id)
    )
    pending = (await db.fetch(_PENDING_SQL, account_id))[0]
    recent = await (
        WordpressDigestSent.select()
        .where(WordpressDigestSent.account == account_id)
        .order_by(WordpressDigestSent.sent_at, ascending=False)
        .order_by(WordpressDigestSent.id, ascending=False)
        .limit(10)
    )
    return DigestView(
        prefs=prefs,
        owner_email=owner["email"] if owner else "",
        contacts=[
            ContactChoice(
                c["id"],
                f"{c['name']} ({c['company']})" if c["company"] else c["name"],
                c["email"],
                c["id"] in prefs.contact_ids,
            )
            for c in contacts
        ],
        is_reseller=await is_reseller(account_id),
        pending_sites=int(pending["sites"]),
        pending_updates=int(pending["pending"]),
        recent=[
            SentDigest(
                r["audience"], r["schedule"], r["period"], r["recipients"], r["sites"], r["updates"], r["sent_at"]
            )
            for r in recent
        ],
    )


async def save(
    account_id: int,
    user_id: int | None,
    schedule: str,
    to_owner: bool,
    contact_ids: list[int],
    clients_schedule: str | None = None,
) -> DigestPrefs:
    """Store the account's digest choice; the choice as saved.

    Raises:
        NotFound: a contact id is not one of this account's contacts.
        ValidationFailed: an unknown schedule (`schedule`, `clients_schedule`), a contact
            without an email address (`contacts`), or no recipient for a digest that is on
            (`recipients`).
    """
    errors: dict[str, str] = {}
    if schedule not in DigestSchedule.ALL:
        errors["schedule"] = "Choose daily, weekly or off."
    if clients_schedule is not None and clients_schedule not in DigestSchedule.ALL:
        errors["clients_schedule"] = "Choose daily, weekly or off."
    wanted = sorted(set(contact_ids))
    found = (
        await Contact.select(Contact.id, Contact.name, Contact.email).where(
            (Contact.account == account_id) & Contact.id.is_in(wanted)
        )
        if wanted
        else []
    )
    if len(found) != len(wanted):
        raise NotFound("There is no such contact in this account.")
    silent = [c["name"] for c in found if not c["email"]]
    if silent:
        errors["contacts"] = f"{', '.join(silent)} has no email address: add one on the contact first."
    if schedule != DigestSchedule.OFF and not to_owner and not wanted:
        errors["recipients"] = "Choose at least one recipient, or turn the digest off."
    if errors:
        raise ValidationFailed(errors)
    current = await prefs_of(account_id)
    if clients_schedule is None or not await is_reseller(account_id):
        clients_schedule = current.clients_schedule
    values: dict[Any, Any] = {
        WordpressDigestPref.schedule: schedule,
        WordpressDigestPref.to_owner: to_owner,
        WordpressDigestPref.contacts: wanted,
        WordpressDigestPref.clients_schedule: clients_schedule,
        WordpressDigestPref.updated_by: user_id,
        WordpressDigestPref.updated_at: datetime.now(UTC),
    }
    async with db.write_transaction():
        if await WordpressDigestPref.exists().where(WordpressDigestPref.account == account_id):
            await WordpressDigestPref.update(values).where(WordpressDigestPref.account == account_id)
        else:
            await WordpressDigestPref.insert(
                WordpressDigestPref(
                    **{column._meta.name: value for column, value in values.items()}, account=account_id
                )
            )
    return DigestPrefs(schedule, to_owner, tuple(wanted), clients_schedule)


AUDIENCE_LABELS = {
    DigestAudience.ACCOUNT: "This account's sites",
    DigestAudience.CLIENTS: "Your clients' sites",
    DigestAudience.PROVIDER: "Every client's sites",
}
