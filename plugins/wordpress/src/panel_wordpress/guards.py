"""What each wordpress route needs from the rules engine.

`perm:wordpress.sites` may read and list `wordpress.site:*` in its account,
`perm:wordpress.manage` may do everything there (connect, refresh, ignore, disconnect).
Pages work on the session's current account; the API names the account in the path.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from panel.core.authz.guard import requires
from panel.core.web.pages import allowed

OBJ = "wordpress.site:*"

POLICY_LINES = (
    "p, perm:wordpress.sites, *, wordpress.site:*, ^(read|list)$, allow",
    "p, perm:wordpress.manage, *, wordpress.site:*, .*, allow",
    "p, staff:support, *, wordpress.site:*, ^(read|list)$, allow",
)

# client area (current account)
LIST = requires(OBJ, "list")
CONNECT = requires(OBJ, "create")
READ = requires("wordpress.site:{site_id}", "read")
REFRESH = requires("wordpress.site:{site_id}", "refresh")
UPDATE = requires("wordpress.site:{site_id}", "update")
DISCONNECT = requires("wordpress.site:{site_id}", "delete")

# API (account in the path)
API_LIST = requires(OBJ, "list", account_param="account_id")
API_CONNECT = requires(OBJ, "create", account_param="account_id")
API_READ = requires("wordpress.site:{site_id}", "read", account_param="account_id")
API_REFRESH = requires("wordpress.site:{site_id}", "refresh", account_param="account_id")
API_DISCONNECT = requires("wordpress.site:{site_id}", "delete", account_param="account_id")


def abilities(request: Request[Any, Any, Any], account_id: int) -> dict[str, bool]:
    """What the pages may offer in this account (buttons left out are refused anyway)."""
    dom = f"acct:{account_id}"
    return {
        "connect": allowed(request, OBJ, "create", dom),
        "refresh": allowed(request, OBJ, "refresh", dom),
        "update": allowed(request, OBJ, "update", dom),
        "disconnect": allowed(request, OBJ, "delete", dom),
        "services": allowed(request, "service:*", "list", dom),
    }
