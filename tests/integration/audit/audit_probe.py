"""A probe plugin for the audit tests: a client-area action that records itself in the audit log.

It does what any plugin does to audit its own actions (see docs/audit.md), and gives
the impersonation tests something audited to do and a route the impersonation deny
list closes. Its own module (not conftest.py) so Litestar can resolve its annotations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, post
from litestar.params import URLEncodedBody

from panel.core.audit.context import audit_context
from panel.core.audit.services import record
from panel.core.authz.guard import requires
from panel.core.web.pages import redirect
from panel.plugin import PluginMeta, hookimpl
from panel.settings import Settings


@dataclass
class RenameForm:
    """The probe's one field."""

    name: str = ""


@post("/probe/rename", authz=requires("account:profile", "update"))
async def rename(request: Request[Any, Any, Any], data: URLEncodedBody[RenameForm]) -> Response[Any]:
    """Pretend to rename the account, and record it as a plugin would."""
    account_id = request.state.account_id
    await record(
        "probe.rename",
        account_id=account_id,
        target=f"account:{account_id}",
        summary=f"Renamed the account to {data.name}.",
        details={"name": {"before": "old", "after": data.name}},
        **audit_context(request),
    )
    return redirect(request, "/")


@post("/probe/payment-method", authz=requires("payment_method:*", "create"), status_code=200)
async def add_payment_method() -> str:
    """Something the impersonation deny list refuses."""
    return "payment method added"


class ProbePlugin:
    """Registered for the audit tests only."""

    PLUGIN_META = PluginMeta(name="probe", version="0.1.0", summary="audit test probe")

    @staticmethod
    @hookimpl
    def panel_register_routes(register: Callable[[Any], None], settings: Settings) -> None:
        register(rename)
        register(add_payment_method)
