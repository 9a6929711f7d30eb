"""Opening another account: a logged-in user creates an account they own, with its details.

Used from the account switcher ("New account"), from checkout ("order for a new
account") and from the API. The account, its membership and grants, and its own
details (the primary contact, which invoices go to) are written in one transaction
after every field was checked, so bad input creates nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from panel.core import db
from panel.core.accounts import services as accounts
from panel.core.accounts.tables import Account
from panel.core.audit.services import SYSTEM, AuditContext
from panel.core.authz import Authorizer
from panel.core.contacts import services as contacts
from panel.core.contacts.validation import ContactData, clean_contact
from panel.core.stores.tables import Store
from panel.errors import ValidationFailed


async def store_for_new_account(current_account_id: int | None) -> int | None:
    """The store a user's new account buys from: that of the account they work in, else the default store."""
    if current_account_id is not None:
        row = await Account.select(Account.store).where(Account.id == current_account_id).first()
        if row and row["store"]:
            return int(row["store"])
    default = await Store.select(Store.id).where(Store.is_default.eq(True)).first()
    return int(default["id"]) if default else None


@dataclass(frozen=True)
class NewAccount:
    """A new account's name and its own details, both checked."""

    name: str
    details: ContactData


def check_new_account(
    account_name: str, contact_raw: Mapping[str, Any], *, email: str = "", require_country: bool = False
) -> NewAccount:
    """Check a new account's name and details; every problem at once, beside its field.

    A blank name falls back to the company, else the person's name. `email` fills an
    empty contact email (the user's login); `require_country` is for checkout, where
    the country decides the tax.
    """
    values = {k: v for k, v in contact_raw.items() if v not in (None, "")}
    if email:
        values.setdefault("email", email)
    errors: dict[str, str] = {}
    data: ContactData | None = None
    try:
        data = clean_contact(values)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if require_country and not str(values.get("country") or "").strip():
        errors["country"] = "Choose the country of the billing address."
    name = " ".join(account_name.split()) or (data.company or data.name if data else "")
    if len(name) > 200:
        errors["account_name"] = "Use at most 200 characters."
    elif not name and "name" not in errors:
        errors["account_name"] = "Give the account a name."
    if errors or data is None:
        raise ValidationFailed(errors)
    return NewAccount(name, data)


async def write_new_account(
    authz: Authorizer, owner_id: int, new: NewAccount, store_id: int | None, *, by: AuditContext = SYSTEM
) -> int:
    """Write a checked new account with its owner and own details; joins the caller's transaction."""
    async with authz.atomic(), db.write_transaction():
        account_id = await accounts.create_account(authz, new.name, owner_id, store_id, by=by)
        await contacts.save_primary(account_id, new.details)
    return account_id


async def open_account(
    authz: Authorizer,
    owner_id: int,
    account_name: str,
    store_id: int | None,
    contact_raw: Mapping[str, Any],
    *,
    by: AuditContext = SYSTEM,
) -> int:
    """Create an account owned by `owner_id` with its own details; returns its id.

    Nothing is written unless every field is fine.
    """
    return await write_new_account(authz, owner_id, check_new_account(account_name, contact_raw), store_id, by=by)
