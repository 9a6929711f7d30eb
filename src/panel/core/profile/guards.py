"""Deny lines on a user's own pages.

The self-service pages are `LOGGED_IN` (they are about the user, not an account),
so no allow line is needed; but a deny line still binds them. Staff acting as a
user (`mode:impersonation`) are refused what the policy denies on `user:*`:
`change_password` (core policy) and `change_email` (this feature's line).
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from panel.core.authz.engine import Authorizer, AuthzRequest
from panel.errors import Forbidden

CHANGE_PASSWORD = "change_password"  # noqa: S105 (an action name)
CHANGE_EMAIL = "change_email"

POLICY_LINES = ("p, mode:impersonation, *, user:*, ^change_email$, deny",)
"""Registered by the plugin: an impersonating staff member cannot move the login elsewhere."""


def denied(request: Request[Any, Any, Any], action: str) -> bool:
    """Whether a deny line forbids `action` on the current user themself in this session."""
    authz: Authorizer = request.app.state.authz
    user_id = request.state.user_id
    mode = "mode:impersonation" if request.state.get("impersonator_id") else "mode:normal"
    decision = authz.explain(AuthzRequest(f"user:{user_id}", "", "platform", f"user:{user_id}", action, mode))
    return decision.rule is not None and decision.rule[-1] == "deny"


def refuse_if_denied(request: Request[Any, Any, Any], action: str) -> None:
    """Raise `Forbidden` when a deny line forbids `action` (see `denied`)."""
    if denied(request, action):
        if request.state.get("impersonator_id"):
            raise Forbidden("Staff acting as a user cannot do this for them.")
        raise Forbidden("You are not allowed to do this.")
