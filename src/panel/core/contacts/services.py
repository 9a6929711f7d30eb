"""Contacts of an account: the primary (the account's own details), the billing contact, extras.

Rules kept here:

- an account has at most one primary contact; it cannot be deleted, only edited;
- at most one contact is the billing contact; when none is marked the primary is
  used (`billing_contact`), and deleting the billing contact hands the role back to
  the primary;
- every function takes the account id and only ever touches that account's rows,
  so a contact id of another account is `NotFound`, never data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from panel.core import db
from panel.core.contacts.countries import country_name
from panel.core.contacts.tables import Contact
from panel.core.contacts.validation import ContactData, clean_contact
from panel.errors import NotFound, PanelError

_COLUMNS = (
    Contact.id,
    Contact.account,
    Contact.name,
    Contact.company,
    Contact.email,
    Contact.phone,
    Contact.address1,
    Contact.address2,
    Contact.city,
    Contact.region,
    Contact.postcode,
    Contact.country,
    Contact.vat_id,
    Contact.is_primary,
    Contact.is_billing,
    Contact.created_at,
    Contact.updated_at,
)


class ContactRefused(PanelError):
    """A change the contact rules do not allow (deleting the primary contact)."""

    status_code = 409


@dataclass(frozen=True)
class ContactView:
    """A contact as pages and the API show it; `is_billing` is the effective role."""

    id: int
    account_id: int
    name: str
    company: str
    email: str
    phone: str
    address1: str
    address2: str
    city: str
    region: str
    postcode: str
    country: str
    country_name: str
    vat_id: str
    is_primary: bool
    is_billing: bool
    created_at: datetime
    updated_at: datetime

    @property
    def label(self) -> str:
        """Name and company, as one line."""
        return f"{self.name} ({self.company})" if self.company else self.name


def _view(row: Mapping[str, Any], billing_id: int | None) -> ContactView:
    return ContactView(
        id=row["id"],
        account_id=row["account"],
        name=row["name"],
        company=row["company"],
        email=row["email"],
        phone=row["phone"],
        address1=row["address1"],
        address2=row["address2"],
        city=row["city"],
        region=row["region"],
        postcode=row["postcode"],
        country=row["country"],
        country_name=country_name(row["country"]),
        vat_id=row["vat_id"],
        is_primary=row["is_primary"],
        is_billing=row["id"] == billing_id,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _billing_id(rows: list[dict[str, Any]]) -> int | None:
    marked = next((r["id"] for r in rows if r["is_billing"]), None)
    if marked is not None:
        return int(marked)
    primary = next((r["id"] for r in rows if r["is_primary"]), None)
    return int(primary) if primary is not None else None


async def _rows(account_id: int) -> list[dict[str, Any]]:
    return list(
        await Contact.select(*_COLUMNS)
        .where(Contact.account == account_id)
        .order_by(Contact.is_primary, ascending=False)
        .order_by(Contact.name, Contact.id)
    )


async def list_contacts(account_id: int) -> list[ContactView]:
    """The account's contacts, the primary first, then by name (one query)."""
    rows = await _rows(account_id)
    billing = _billing_id(rows)
    return [_view(r, billing) for r in rows]


async def get_contact(account_id: int, contact_id: int) -> ContactView:
    """One contact of this account, or `NotFound` (also for another account's contact)."""
    for contact in await list_contacts(account_id):
        if contact.id == contact_id:
            return contact
    raise NotFound("No such contact in this account.")


async def primary_contact(account_id: int) -> ContactView | None:
    """The account's own details, if entered yet."""
    return next((c for c in await list_contacts(account_id) if c.is_primary), None)


async def billing_contact(account_id: int) -> ContactView | None:
    """Whom invoices of the account are issued to: the marked billing contact, else the primary.

    None when the account has no contact yet.
    """
    return (await billing_contacts([account_id])).get(account_id)


async def billing_contacts(account_ids: list[int]) -> dict[int, ContactView]:
    """`billing_contact` of several accounts in one query (accounts without a contact are left out)."""
    if not account_ids:
        return {}
    rows = (
        await Contact.select(*_COLUMNS)
        .where(Contact.account.is_in(account_ids) & (Contact.is_billing.eq(True) | Contact.is_primary.eq(True)))
        .order_by(Contact.is_billing, ascending=False)
        .order_by(Contact.is_primary, ascending=False)
    )
    found: dict[int, ContactView] = {}
    for row in rows:  # billing first: the first row of each account wins
        found.setdefault(int(row["account"]), _view(row, row["id"]))
    return found


async def save_primary(account_id: int, raw: Mapping[str, Any] | ContactData) -> int:
    """Create or update the account's own details; returns the contact id.

    A primary made for an account without a billing contact becomes its billing
    contact too.
    """
    data = raw if isinstance(raw, ContactData) else clean_contact(raw)
    async with db.write_transaction():
        row = (
            await Contact.select(Contact.id)
            .where((Contact.account == account_id) & (Contact.is_primary == True))  # noqa: E712
            .first()
        )
        if row is not None:
            await Contact.update({**_values(data), Contact.updated_at: datetime.now(UTC)}).where(
                Contact.id == row["id"]
            )
            return int(row["id"])
        has_billing = await Contact.exists().where(
            (Contact.account == account_id) & (Contact.is_billing == True)  # noqa: E712
        )
        inserted = await Contact.insert(_new_row(account_id, data, primary=True, billing=not has_billing)).returning(
            Contact.id
        )
        return int(inserted[0]["id"])


def _values(data: ContactData) -> dict[Any, Any]:
    return {getattr(Contact, name): value for name, value in data.values().items()}


def _new_row(account_id: int, data: ContactData, *, primary: bool, billing: bool) -> Contact:
    values = {Contact.account: account_id, Contact.is_primary: primary, Contact.is_billing: billing, **_values(data)}
    return Contact(_data=values)


async def add_contact(account_id: int, raw: Mapping[str, Any] | ContactData, billing: bool = False) -> int:
    """Add an extra contact; with `billing`, it becomes the billing contact."""
    data = raw if isinstance(raw, ContactData) else clean_contact(raw)
    async with db.write_transaction():
        if billing:
            await Contact.update({Contact.is_billing: False}).where(Contact.account == account_id)
        inserted = await Contact.insert(_new_row(account_id, data, primary=False, billing=billing)).returning(
            Contact.id
        )
        return int(inserted[0]["id"])


async def _find(account_id: int, contact_id: int) -> dict[str, Any]:
    row = (
        await Contact.select(Contact.id, Contact.is_primary, Contact.is_billing)
        .where((Contact.id == contact_id) & (Contact.account == account_id))
        .first()
    )
    if row is None:
        raise NotFound("No such contact in this account.")
    return dict(row)


async def update_contact(account_id: int, contact_id: int, raw: Mapping[str, Any] | ContactData) -> None:
    """Change an extra contact. The primary is changed with `save_primary` (a different permission)."""
    row = await _find(account_id, contact_id)
    if row["is_primary"]:
        raise NotFound("No such extra contact: the account's own details are changed under My details.")
    data = raw if isinstance(raw, ContactData) else clean_contact(raw)
    await Contact.update({**_values(data), Contact.updated_at: datetime.now(UTC)}).where(
        (Contact.id == contact_id) & (Contact.account == account_id)
    )


async def replace_contact(
    account_id: int, contact_id: int, raw: Mapping[str, Any] | ContactData, *, make_billing: bool = False
) -> None:
    """Replace any contact's fields (own details or other), optionally making it the billing contact.

    One transaction: bad input changes nothing. Who may do it is the caller's question
    (the own details need `account:profile`, others `contact:<id>`).
    """
    data = raw if isinstance(raw, ContactData) else clean_contact(raw)
    async with db.write_transaction():
        row = await _find(account_id, contact_id)
        if row["is_primary"]:
            await save_primary(account_id, data)
        else:
            await update_contact(account_id, contact_id, data)
        if make_billing:
            await set_billing(account_id, contact_id)


async def delete_contact(account_id: int, contact_id: int) -> None:
    """Delete an extra contact; if it was the billing contact, the primary takes over."""
    async with db.write_transaction():
        row = await _find(account_id, contact_id)
        if row["is_primary"]:
            raise ContactRefused("The account's own details cannot be deleted; change them instead.")
        await Contact.delete().where((Contact.id == contact_id) & (Contact.account == account_id))
        if row["is_billing"]:
            await Contact.update({Contact.is_billing: True}).where(
                (Contact.account == account_id) & (Contact.is_primary == True)  # noqa: E712
            )


async def set_billing(account_id: int, contact_id: int) -> None:
    """Make one of the account's contacts the billing contact (and no other)."""
    async with db.write_transaction():
        await _find(account_id, contact_id)
        await Contact.update({Contact.is_billing: False}).where(
            (Contact.account == account_id) & (Contact.id != contact_id)
        )
        await Contact.update({Contact.is_billing: True}).where(Contact.id == contact_id)


async def delete_all(account_id: int) -> int:
    """Remove every contact of an account (the account is being deleted); returns how many."""
    rows = await Contact.delete().where(Contact.account == account_id).returning(Contact.id)
    return len(rows)


async def set_name_and_email(account_id: int, contact_id: int, name: str, email: str) -> None:
    """Change only a contact's name and email (contact sync following a member); other fields stay."""
    await Contact.update({Contact.name: name, Contact.email: email, Contact.updated_at: datetime.now(UTC)}).where(
        (Contact.id == contact_id) & (Contact.account == account_id)
    )
