"""What each support route needs from the rules engine.

Client pages work on the session's current account; the API names the account in the
path. `perm:tickets` (core policy) allows every action on `ticket:*` in its account;
the staff desk is platform scoped (`staff:support` holds `ticket:*`).
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from panel.core.authz.guard import requires
from panel.core.web.pages import allowed

# client area (current account)
LIST = requires("ticket:*", "list")
CREATE = requires("ticket:*", "create")
READ = requires("ticket:{ticket_id}", "read")
REPLY = requires("ticket:{ticket_id}", "reply")
UPDATE = requires("ticket:{ticket_id}", "update")
CLOSE = requires("ticket:{ticket_id}", "close")

# API (account in the path)
API_LIST = requires("ticket:*", "list", account_param="account_id")
API_CREATE = requires("ticket:*", "create", account_param="account_id")
API_READ = requires("ticket:{ticket_id}", "read", account_param="account_id")
API_REPLY = requires("ticket:{ticket_id}", "reply", account_param="account_id")
API_CLOSE = requires("ticket:{ticket_id}", "close", account_param="account_id")
API_UPDATE = requires("ticket:{ticket_id}", "update", account_param="account_id")


def client_abilities(request: Request[Any, Any, Any], account_id: int) -> dict[str, bool]:
    """What the client pages may offer in this account (forms left out are not allowed anyway)."""
    dom = f"acct:{account_id}"
    return {
        "create": allowed(request, "ticket:*", "create", dom),
        "reply": allowed(request, "ticket:*", "reply", dom),
        "update": allowed(request, "ticket:*", "update", dom),
        "close": allowed(request, "ticket:*", "close", dom),
        # the related-service field names services: only for members who may see them
        "services": allowed(request, "service:*", "list", dom),
    }
