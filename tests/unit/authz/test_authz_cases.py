"""The reference model's 46 checked cases, ported to the panel's model and policy.

39 cases here, the 7 runtime steps in test_authz_runtime.py. Each case also checks
that `explain` (every line evaluated) agrees with `allowed` (pre-filtered, cached).
"""

from __future__ import annotations

import pytest
from authz_data import IMPERSONATING, NORMAL, req

from panel.core.authz import Authorizer, AuthzRequest

CASES: list[tuple[str, bool, AuthzRequest]] = [
    # account users, per-account permissions, owner
    ("owner-updates-domain", True, req("user:alice", "", "acct:1001", "domain:ex.com", "update")),
    ("invoices-perm-reads-invoice", True, req("user:bob", "", "acct:1001", "invoice:9", "read")),
    ("invoices-perm-cannot-update-domain", False, req("user:bob", "", "acct:1001", "domain:ex.com", "update")),
    ("manage-domains-updates-domain", True, req("user:carol", "", "acct:1001", "domain:7", "update")),
    ("tickets-perm-creates-ticket", True, req("user:carol", "", "acct:1001", "ticket:3", "create")),
    ("domains-member-cannot-read-invoice", False, req("user:carol", "", "acct:1001", "invoice:9", "read")),
    ("no-role-in-other-account", False, req("user:alice", "", "acct:1002", "invoice:1", "read")),
    ("direct-owner-changes-plan", True, req("user:alice", "", "acct:1004", "subscription", "update")),
    # partner delegation
    ("partner-updates-service", True, req("user:pa1", "acct:500", "acct:1001", "service:3", "update")),
    ("partner-changes-subscription", True, req("user:pa1", "acct:500", "acct:1001", "subscription", "update")),
    ("partner-reads-dashboard", True, req("user:pa1", "acct:500", "acct:1001", "account:dashboard", "read")),
    ("partner-cannot-update-dashboard", False, req("user:pa1", "acct:500", "acct:1001", "account:dashboard", "update")),
    ("partner-cannot-reset-password", False, req("user:pa1", "acct:500", "acct:1001", "user:carol", "reset_password")),
    ("partner-cannot-set-role-admin", False, req("user:pa1", "acct:500", "acct:1001", "user:carol", "set_role_admin")),
    ("partner-cannot-delete-user", False, req("user:pa1", "acct:500", "acct:1001", "user:carol", "delete")),
    ("partner-updates-user", True, req("user:pa1", "acct:500", "acct:1001", "user:carol", "update")),
    (
        "partner-cannot-touch-security-policy",
        False,
        req("user:pa1", "acct:500", "acct:1001", "account:security_policy", "update"),
    ),
    (
        "partner-cannot-change-super-admin",
        False,
        req("user:pa1", "acct:500", "acct:1001", "account:super_admin", "update"),
    ),
    ("partner-cannot-export-userdata", False, req("user:pa1", "acct:500", "acct:1001", "userdata:carol", "backup")),
    ("child-owner-cannot-change-licence", False, req("user:alice", "", "acct:1001", "subscription", "update")),
    ("child-owner-reads-subscription", True, req("user:alice", "", "acct:1001", "subscription", "read")),
    ("child-owner-revokes-partner", True, req("user:alice", "", "acct:1001", "partner_link", "delete")),
    ("partner-cannot-update-partner-link", False, req("user:pa1", "acct:500", "acct:1001", "partner_link", "update")),
    ("revoked-partner-shut-out", False, req("user:pa1", "acct:500", "acct:1003", "service:1", "read")),
    ("partner-without-delegation", False, req("user:pa1", "acct:500", "acct:1002", "service:1", "read")),
    ("spoofed-org-not-partner-admin", False, req("user:eve", "acct:500", "acct:1001", "service:1", "read")),
    ("partner-admin-in-own-account", True, req("user:pa1", "", "acct:500", "invoice:1", "read")),
    # platform staff
    ("support-updates-ticket", True, req("user:sam", "", "acct:1001", "ticket:5", "update")),
    ("support-cannot-update-invoice", False, req("user:sam", "", "acct:1001", "invoice:5", "update")),
    ("support-impersonates", True, req("user:sam", "", "acct:1001", "user:alice", "impersonate")),
    ("billing-unsuspends", True, req("user:bill", "", "acct:1002", "account:status", "unsuspend")),
    ("admin-on-platform", True, req("user:root", "", "platform", "staff:sam", "update")),
    # suspension
    ("suspended-owner-shut-out", False, req("user:bob", "", "acct:1002", "invoice:1", "read")),
    ("staff-in-suspended-account", True, req("user:sam", "", "acct:1002", "ticket:1", "read")),
    # impersonation (sam acts as alice)
    (
        "impersonation-updates-domain",
        True,
        req("user:alice", "", "acct:1001", "domain:ex.com", "update", IMPERSONATING),
    ),
    (
        "impersonation-cannot-change-password",
        False,
        req("user:alice", "", "acct:1001", "user:alice", "change_password", IMPERSONATING),
    ),
    ("normal-changes-password", True, req("user:alice", "", "acct:1001", "user:alice", "change_password", NORMAL)),
    (
        "impersonation-cannot-read-payment-method",
        False,
        req("user:alice", "", "acct:1001", "payment_method:1", "read", IMPERSONATING),
    ),
    ("stranger-denied", False, req("user:nobody", "", "acct:1001", "invoice:1", "read")),
]


def test_thirty_nine_static_cases() -> None:
    assert len(CASES) == 39
    assert len({name for name, _, _ in CASES}) == 39


@pytest.mark.asyncio
@pytest.mark.parametrize(("expected", "request_"), [(e, r) for _, e, r in CASES], ids=[n for n, _, _ in CASES])
async def test_reference_case(authorizer: Authorizer, expected: bool, request_: AuthzRequest) -> None:
    assert authorizer.allowed(request_) is expected
    assert authorizer.allowed(request_) is expected  # the cached answer
    assert authorizer.explain(request_).allowed is expected


# What per-membership permissions add to the reference: role:member alone, each perm:*.
MEMBER_CASES: list[tuple[str, bool, AuthzRequest]] = [
    ("member-reads-dashboard", True, req("user:mia", "", "acct:1004", "account:dashboard", "read")),
    ("member-reads-summary", True, req("user:mia", "", "acct:1004", "account:summary", "read")),
    ("member-cannot-update-dashboard", False, req("user:mia", "", "acct:1004", "account:dashboard", "update")),
    ("member-cannot-read-invoice", False, req("user:mia", "", "acct:1004", "invoice:1", "read")),
    ("member-cannot-read-service", False, req("user:mia", "", "acct:1004", "service:1", "read")),
    ("invoices-perm-pays-with-credit", True, req("user:bob", "", "acct:1001", "credit", "apply")),
    ("invoices-perm-manages-payment-methods", True, req("user:bob", "", "acct:1001", "payment_method:2", "delete")),
    ("invoices-perm-cannot-update-subscription", False, req("user:bob", "", "acct:1001", "subscription", "update")),
    ("perm-all-reads-everything", True, req("user:erin", "", "acct:1001", "quote:4", "read")),
    ("partner-admin-alone-has-no-rights-at-home", False, req("user:pa2", "", "acct:500", "invoice:1", "read")),
    ("partner-admin-alone-acts-in-child", True, req("user:pa2", "acct:500", "acct:1001", "service:3", "update")),
    ("support-reads-account", True, req("user:sam", "", "acct:1001", "account:profile", "read")),
    ("support-cannot-update-account", False, req("user:sam", "", "acct:1001", "account:profile", "update")),
    ("billing-reads-user", True, req("user:bill", "", "acct:1001", "user:alice", "read")),
    ("billing-cannot-impersonate", False, req("user:bill", "", "acct:1001", "user:alice", "impersonate")),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("expected", "request_"), [(e, r) for _, e, r in MEMBER_CASES], ids=[n for n, _, _ in MEMBER_CASES]
)
async def test_membership_case(authorizer: Authorizer, expected: bool, request_: AuthzRequest) -> None:
    assert authorizer.allowed(request_) is expected
    assert authorizer.explain(request_).allowed is expected


PERMISSIONS: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {
    # perm: (allowed (obj, act), denied (obj, act))
    "profile": ([("account:profile", "update")], [("contact:1", "read")]),
    "contacts": ([("contact:1", "delete")], [("account:profile", "update")]),
    "services": ([("service:1", "read"), ("service:1", "list")], [("service:1", "cancel")]),
    "manage_services": ([("service:1", "cancel")], [("domain:a.com", "read")]),
    "domains": ([("domain:a.com", "read")], [("domain:a.com", "update")]),
    "manage_domains": ([("domain:a.com", "transfer")], [("service:1", "read")]),
    "invoices": ([("invoice:1", "pay"), ("subscription", "read")], [("subscription", "update")]),
    "quotes": ([("quote:1", "accept")], [("order:1", "create")]),
    "tickets": ([("ticket:1", "reply")], [("invoice:1", "read")]),
    "orders": ([("order:1", "create")], [("quote:1", "read")]),
    "emails": ([("email:1", "read")], [("email:1", "delete")]),
    "users": ([("user:x", "invite"), ("invitation:1", "revoke")], [("user:x", "delete")]),
    "all": ([("service:1", "terminate"), ("partner_link", "delete")], [("account:owner", "transfer")]),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("perm", sorted(PERMISSIONS))
async def test_each_permission_grants_only_its_objects(authorizer: Authorizer, perm: str) -> None:
    await authorizer.add_grant("g", "user:new", "role:member", "acct:1004")
    await authorizer.add_grant("g", "user:new", f"perm:{perm}", "acct:1004")
    allowed, denied = PERMISSIONS[perm]
    for obj, act in allowed:
        assert authorizer.allowed(req("user:new", "", "acct:1004", obj, act)), (perm, obj, act)
    for obj, act in denied:
        assert not authorizer.allowed(req("user:new", "", "acct:1004", obj, act)), (perm, obj, act)
