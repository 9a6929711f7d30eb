"""Data for the rules-engine tests: the shipped model and policy, the reference grants.

The grants are the reference model's data (shared/recipes/authz/panel_policy.csv)
adapted to per-membership permissions: `role:billing` became `perm:invoices`,
`role:domains` became `perm:manage_domains`, every member holds `role:member`.
"""

from __future__ import annotations

from pathlib import Path

from panel.core.authz import Authorizer, AuthzRequest

POLICIES = Path(__file__).resolve().parents[3] / "policies"
MODEL = POLICIES / "model.conf"
POLICY = POLICIES / "policy.csv"
NORMAL, IMPERSONATING = "mode:normal", "mode:impersonation"

GRANTS: list[tuple[str, ...]] = [
    ("g", "user:alice", "role:owner", "acct:1001"),
    ("g", "user:alice", "role:member", "acct:1001"),
    ("g", "user:bob", "role:member", "acct:1001"),
    ("g", "user:bob", "perm:invoices", "acct:1001"),
    ("g", "user:bob", "role:owner", "acct:1002"),
    ("g", "user:bob", "role:member", "acct:1002"),
    ("g", "user:carol", "role:member", "acct:1001"),
    ("g", "user:carol", "perm:manage_domains", "acct:1001"),
    ("g", "user:carol", "perm:tickets", "acct:1001"),
    ("g", "user:mona", "role:member", "acct:1001"),
    ("g", "user:mona", "perm:manage_services", "acct:1001"),
    ("g", "user:erin", "role:member", "acct:1001"),
    ("g", "user:erin", "perm:all", "acct:1001"),
    ("g", "user:alice", "role:owner", "acct:1004"),
    ("g", "user:alice", "role:member", "acct:1004"),
    ("g", "user:dave", "role:owner", "acct:1003"),
    ("g", "user:dave", "role:member", "acct:1003"),
    ("g", "user:mia", "role:member", "acct:1004"),
    # partner account 500: pa1 is a partner admin and a perm:all member there,
    # pa2 only a partner admin (no rights in 500 itself)
    ("g", "user:pa1", "role:partner_admin", "acct:500"),
    ("g", "user:pa1", "role:member", "acct:500"),
    ("g", "user:pa1", "perm:all", "acct:500"),
    ("g", "user:pa2", "role:partner_admin", "acct:500"),
    ("g", "acct:500", "role:partner_delegate", "acct:1001"),
    ("g", "acct:500", "role:partner_delegate", "acct:1003"),
    ("g", "acct:500", "status:revoked", "acct:1003"),
    ("g2", "user:sam", "staff:support"),
    ("g2", "user:bill", "staff:billing"),
    ("g2", "user:root", "staff:admin"),
    ("g3", "acct:1001", "class:partner_managed"),
    ("g3", "acct:1003", "class:partner_managed"),
    ("g3", "acct:1002", "class:suspended"),
]


def req(sub: str, org: str, dom: str, obj: str, act: str, mode: str = NORMAL) -> AuthzRequest:
    """A request in the reference test's argument order."""
    return AuthzRequest(sub, org, dom, obj, act, mode)


async def load(authz: Authorizer, grants: list[tuple[str, ...]] = GRANTS) -> Authorizer:
    """Add the grants to an authorizer and return it."""
    for grant in grants:
        assert await authz.add_grant(*grant)
    return authz
