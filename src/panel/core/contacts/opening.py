"""Opening another account: a logged-in user creates an account they own, with its details.

Used from the account switcher ("New account"), from checkout ("order for a new
account") and from the API. The account, its membership and grants, and its own
details (the primary contact, which invoices go to) are written in one transaction
after every field was checked, so bad input creates nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from panel.core import db
from panel.core.accounts import services as accounts
from panel.core.accounts.tables import Account
from panel.core.audit.services import SYSTEM, AuditContext
from panel.core.authz import Authorizer
from panel.core.contacts import services as contacts
from panel.core.contacts.validation import clean_contact
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

    Problems are reported together, beside their fields (`account_name` and the
    contact fields); nothing is written unless all are fine.
    """
    errors: dict[str, str] = {}
    name = account_name.strip()
    if not name:
        errors["account_name"] = "Give the account a name."
    elif len(name) > 200:
        errors["account_name"] = "Use at most 200 characters."
    try:
        data = clean_contact(contact_raw)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    async with authz.atomic(), db.write_transaction():
        account_id = await accounts.create_account(authz, name, owner_id, store_id, by=by)
        await contacts.save_primary(account_id, data)
    return account_id
