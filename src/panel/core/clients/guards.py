"""What each client route needs from the rules engine (platform scope), and what a page may offer."""

from __future__ import annotations

from typing import Any

from litestar import Request

from panel.core.authz.guard import requires
from panel.core.web.pages import allowed

LIST = requires("account:*", "list", scope="platform")
CREATE = requires("account:*", "create", scope="platform")
READ = requires("account:{account_id}", "read", scope="platform")
UPDATE = requires("account:{account_id}", "update", scope="platform")
SET_PASSWORD = requires("account:{account_id}", "set_password", scope="platform")
DELETE = requires("account:{account_id}", "delete", scope="platform")
SUSPEND = requires("account:status", "suspend", scope="platform")
UNSUSPEND = requires("account:status", "unsuspend", scope="platform")


def abilities(request: Request[Any, Any, Any], account_id: int | None = None) -> dict[str, bool]:
    """What the viewer may do here, to offer only that (keys avoid dict method names for Jinja)."""
    obj = f"account:{account_id}" if account_id is not None else "account:*"

    def ok(o: str, action: str) -> bool:
        return allowed(request, o, action, "platform")

    return {
        "create": ok("account:*", "create"),
        "change": ok(obj, "update"),
        "set_password": ok(obj, "set_password"),
        "remove": ok(obj, "delete"),
        "suspend": ok("account:status", "suspend"),
        "unsuspend": ok("account:status", "unsuspend"),
    }
