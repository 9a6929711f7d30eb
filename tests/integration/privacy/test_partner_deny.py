"""The four member-administration actions go through the rules engine with the objects the partner deny list names.

The lead's partner tests cover the HTTP side; here the running app's authorizer shows
that a partner admin acting in a child account is refused each action by the
`role:partner_delegate` deny lines, while the child's owner and perm:all members
are allowed.
"""

from __future__ import annotations

from typing import Any

import factories as f
import pytest

from panel.core.authz.engine import AuthzRequest

USER_DENY = (
    "p",
    "role:partner_delegate",
    "*",
    "user:*",
    "^(set_role_admin|reset_password|delete|update_photo)$",
    "deny",
)
USERDATA_DENY = ("p", "role:partner_delegate", "*", "userdata:*", ".*", "deny")

ACTIONS = [
    ("user:{member}", "set_role_admin", USER_DENY),
    ("user:{member}", "reset_password", USER_DENY),
    ("user:{member}", "update_photo", USER_DENY),
    ("userdata:{member}", "backup", USERDATA_DENY),
]


@pytest.mark.parametrize(("obj", "action", "rule"), ACTIONS, ids=[a[1] for a in ACTIONS])
async def test_partner_is_denied_by_the_delegate_deny_line(
    client: Any, authz: Any, obj: str, action: str, rule: tuple[str, ...]
) -> None:
    owner = await f.user(authz, "owner@example.com")
    admin = await f.user(authz, "admin@example.com")
    member = await f.user(authz, "member@example.com")
    partner_user = await f.user(authz, "partner@example.com")
    child = await f.account(authz, "Child", owner, {admin: ["all"], member: ["tickets"]})
    partner = await f.account(authz, "Partner", partner_user)
    P, C = f"acct:{partner}", f"acct:{child}"
    await authz.add_grant("g", P, "role:partner_delegate", C)
    await authz.add_grant("g", f"user:{partner_user}", "role:partner_admin", P)
    target = obj.format(member=member)

    decision = authz.explain(AuthzRequest(f"user:{partner_user}", P, C, target, action, "mode:normal"))
    assert decision.allowed is False
    assert decision.rule == rule
    # the partner is otherwise a super admin there: editing the member is allowed
    assert authz.explain(AuthzRequest(f"user:{partner_user}", P, C, f"user:{member}", "update", "mode:normal")).allowed
    # the child's owner and its perm:all admin may; a member without the right may not
    for who, expected in ((owner, True), (admin, True), (member, False)):
        answer = authz.explain(AuthzRequest(f"user:{who}", "", C, target, action, "mode:normal"))
        assert answer.allowed is expected, (who, answer.reason)
