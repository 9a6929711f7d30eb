"""What each quotes route needs from the rules engine.

Client pages work on the session's current account (`perm:quotes` holds `quote:*`);
the API names the account in the path; the admin pages are platform scoped
(`staff:billing` manages quotes through this feature's policy line, `staff:admin`
may do everything already).
"""

from __future__ import annotations

from panel.core.authz.guard import requires

# client area (current account)
LIST = requires("quote:*", "list")
READ = requires("quote:{quote_id}", "read")
ACCEPT = requires("quote:{quote_id}", "accept")
DECLINE = requires("quote:{quote_id}", "decline")

# API (account in the path)
API_LIST = requires("quote:*", "list", account_param="account_id")
API_READ = requires("quote:{quote_id}", "read", account_param="account_id")
API_ACCEPT = requires("quote:{quote_id}", "accept", account_param="account_id")
API_DECLINE = requires("quote:{quote_id}", "decline", account_param="account_id")

# admin area (platform)
ADMIN_LIST = requires("quote:*", "list", scope="platform")
ADMIN_READ = requires("quote:{quote_id}", "read", scope="platform")
ADMIN_CREATE = requires("quote:*", "create", scope="platform")
ADMIN_UPDATE = requires("quote:{quote_id}", "update", scope="platform")
ADMIN_SEND = requires("quote:{quote_id}", "send", scope="platform")
ADMIN_DELETE = requires("quote:{quote_id}", "delete", scope="platform")
