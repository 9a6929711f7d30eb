"""Who is acting in a request, in the form `record` and audited services take."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from panel.core.audit.services import AuditContext

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection


def audit_context(request: ASGIConnection[Any, Any, Any, Any]) -> AuditContext:
    """The actor, impersonator and client address of a request.

    While staff impersonate a user, the actor is that user and the impersonator the
    staff member, so everything recorded carries both. While a partner manages the
    account, `partner` names the partner account the actor acts for. Use it in route code only:
    `await audit.record("x.update", account_id=..., summary=..., **audit_context(request))`
    or `await accounts.suspend(authz, account_id, by=audit_context(request))`.
    """
    state = request.state
    org = state.get("partner_org") or ""
    return {
        "actor": state.get("user_id"),
        "impersonator": state.get("impersonator_id"),
        "ip": str(state.get("client_address") or ""),
        "partner": int(org.removeprefix("acct:")) if org else None,
    }
