"""What each billing route needs from the rules engine.

Client pages work on the session's current account; the API names the account in
the path; admin pages are platform scoped (staff:billing holds `invoice:*`,
`payment:*` and `credit`, see `plugin.py`).
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from panel.core.authz.guard import requires
from panel.core.billing import methods
from panel.core.web.pages import allowed

# client area (current account)
LIST = requires("invoice:*", "list")
READ = requires("invoice:{invoice_id}", "read")
PAY = requires("invoice:{invoice_id}", "pay")
CREDIT = requires("credit", "read")
ADD_FUNDS = requires("credit", "add_funds")
METHODS = requires("payment_method:*", "list")
METHOD_ADD = requires("payment_method:*", "create")
METHOD_DELETE = requires("payment_method:{method_id}", "delete")
METHOD_UPDATE = requires("payment_method:{method_id}", "update")

# API (account in the path)
API_LIST = requires("invoice:*", "list", account_param="account_id")
API_READ = requires("invoice:{invoice_id}", "read", account_param="account_id")
API_PAY = requires("invoice:{invoice_id}", "pay", account_param="account_id")
API_CREDIT = requires("credit", "read", account_param="account_id")

# admin area (platform)
ADMIN_LIST = requires("invoice:*", "list", scope="platform")
ADMIN_READ = requires("invoice:{invoice_id}", "read", scope="platform")
ADMIN_CREATE = requires("invoice:*", "create", scope="platform")
ADMIN_UPDATE = requires("invoice:{invoice_id}", "update", scope="platform")
ADMIN_RECORD = requires("invoice:{invoice_id}", "record_payment", scope="platform")
ADMIN_REFUND = requires("invoice:{invoice_id}", "refund", scope="platform")
ADMIN_CANCEL = requires("invoice:{invoice_id}", "cancel", scope="platform")
ADMIN_PAYMENTS = requires("payment:*", "list", scope="platform")
ADMIN_CREDIT = requires("credit", "read", scope="platform")
ADMIN_CREDIT_ADJUST = requires("credit", "adjust", scope="platform")


def client_abilities(request: Request[Any, Any, Any], account_id: int) -> dict[str, bool]:
    """What the client pages may offer in this account."""
    dom = f"acct:{account_id}"
    return {
        "pay": allowed(request, "invoice:*", "pay", dom),
        "credit": allowed(request, "credit", "read", dom),
        "add_funds": allowed(request, "credit", "add_funds", dom),
        "methods": allowed(request, "payment_method:*", "list", dom),
        "use_methods": allowed(request, "payment_method:*", "use", dom),
    }


async def reseller_for(request: Request[Any, Any, Any], account_id: int) -> int | None:
    """The account whose reseller cards may pay `account_id`'s invoices for the current user, or None.

    While a partner manages the account (the session acts for it) that is the partner;
    otherwise the reseller whose store the account buys from. Either way the user must
    be allowed to `use` payment methods in that account.
    """
    org = request.scope["state"].get("partner_org") or ""
    candidate = int(org.removeprefix("acct:")) if org else await methods.reseller_of(account_id)
    return may_use_reseller_methods(request, candidate)


def may_use_reseller_methods(request: Request[Any, Any, Any], reseller_account_id: int | None) -> int | None:
    """The reseller account whose reseller cards the current user may use, or None."""
    if reseller_account_id is None:
        return None
    return reseller_account_id if allowed(request, "payment_method:*", "use", f"acct:{reseller_account_id}") else None


def admin_abilities(request: Request[Any, Any, Any], invoice_id: int | None = None) -> dict[str, bool]:
    """What the admin pages may offer the viewer."""
    obj = f"invoice:{invoice_id}" if invoice_id is not None else "invoice:*"

    def ok(o: str, action: str) -> bool:
        return allowed(request, o, action, "platform")

    return {
        "create": ok("invoice:*", "create"),
        "update": ok(obj, "update"),
        "record": ok(obj, "record_payment"),
        "refund": ok(obj, "refund"),
        "cancel": ok(obj, "cancel"),
        "credit": ok("credit", "read"),
        "adjust": ok("credit", "adjust"),
        "payments": ok("payment:*", "list"),
    }
