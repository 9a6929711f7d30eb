"""Which contact action needs which rules-engine object.

The account's own details (the primary contact) belong to `account:profile`; every
other contact is `contact:<id>`; choosing the billing contact is `contact:billing`.
Pages and the API ask the engine through these helpers when one route serves both
kinds of contact, after the route's own declaration let the member in.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from panel.core.web.pages import allowed
from panel.errors import Forbidden

VIEW: tuple[tuple[str, str], ...] = (("account:profile", "read"), ("contact:*", "list"))
"""Seeing an account's contacts: members with the `profile` or the `contacts` permission."""


def may(request: Request[Any, Any, Any], account_id: int, obj: str, action: str) -> bool:
    """Whether the current user may do `action` on `obj` in this account."""
    return allowed(request, obj, action, f"acct:{account_id}")


def require_any(request: Request[Any, Any, Any], account_id: int, options: tuple[tuple[str, str], ...]) -> None:
    """Raise `Forbidden` unless at least one (object, action) is allowed."""
    if not any(may(request, account_id, obj, action) for obj, action in options):
        raise Forbidden("You do not have permission to do that in this account.")


def object_of(contact_id: int, is_primary: bool) -> str:
    """The rules-engine object of a contact."""
    return "account:profile" if is_primary else f"contact:{contact_id}"


def require_on(
    request: Request[Any, Any, Any], account_id: int, contact_id: int, is_primary: bool, action: str
) -> None:
    """Raise `Forbidden` unless `action` is allowed on this contact (reading: also with `profile`)."""
    options = [(object_of(contact_id, is_primary), action)]
    if action == "read":
        options.append(("account:profile", "read"))
    require_any(request, account_id, tuple(options))


def abilities(request: Request[Any, Any, Any], account_id: int) -> dict[str, bool]:
    """What the page may offer: edit the own details, add/edit/delete contacts, choose billing."""
    return {
        "edit_primary": may(request, account_id, "account:profile", "update"),
        "add": may(request, account_id, "contact:*", "create"),
        "edit": may(request, account_id, "contact:*", "update"),
        "delete": may(request, account_id, "contact:*", "delete"),
        "billing": may(request, account_id, "contact:billing", "update"),
    }
