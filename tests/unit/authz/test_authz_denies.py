"""Every deny line of the default policy, on its deny path.

For each deny line: a request that line denies, `explain` naming that very line,
and the same request allowed by a policy without that line (so the test fails if
the line stops being what blocks the request).
"""

from __future__ import annotations

import pytest
from authz_data import GRANTS, IMPERSONATING, MODEL, POLICY, load, req

from panel.core.authz import Authorizer, AuthzRequest

DENIES: dict[tuple[str, ...], AuthzRequest] = {
    ("p", "perm:all", "*", "account:owner", ".*", "deny"): req("user:pa1", "", "acct:500", "account:owner", "transfer"),
    ("p", "perm:all", "*", "partner_link", "^(create|update)$", "deny"): req(
        "user:pa1", "", "acct:500", "partner_link", "create"
    ),
    ("p", "role:partner_delegate", "*", "account:owner", ".*", "deny"): req(
        "user:pa1", "acct:500", "acct:1001", "account:owner", "transfer"
    ),
    ("p", "role:partner_delegate", "*", "account:super_admin", ".*", "deny"): req(
        "user:pa1", "acct:500", "acct:1001", "account:super_admin", "update"
    ),
    ("p", "role:partner_delegate", "*", "account:security_policy", ".*", "deny"): req(
        "user:pa1", "acct:500", "acct:1001", "account:security_policy", "require_2fa"
    ),
    (
        "p",
        "role:partner_delegate",
        "*",
        "user:*",
        "^(set_role_admin|reset_password|delete|update_photo)$",
        "deny",
    ): req("user:pa1", "acct:500", "acct:1001", "user:carol", "update_photo"),
    ("p", "role:partner_delegate", "*", "userdata:*", ".*", "deny"): req(
        "user:pa1", "acct:500", "acct:1001", "userdata:all", "export"
    ),
    ("p", "role:partner_delegate", "*", "account:dashboard", "^update$", "deny"): req(
        "user:pa1", "acct:500", "acct:1001", "account:dashboard", "update"
    ),
    ("p", "role:partner_delegate", "*", "partner_link", "^(create|update)$", "deny"): req(
        "user:pa1", "acct:500", "acct:1001", "partner_link", "create"
    ),
    ("p", "role:partner_delegate", "*", "referral:*", ".*", "deny"): req(
        "user:pa1", "acct:500", "acct:1001", "referral:programme", "update"
    ),
    ("p", "role:partner_delegate", "*", "account:contact_sync", ".*", "deny"): req(
        "user:pa1", "acct:500", "acct:1001", "account:contact_sync", "update"
    ),
    ("p", "role:owner", "class:partner_managed", "subscription", "^update$", "deny"): req(
        "user:alice", "", "acct:1001", "subscription", "update"
    ),
    ("p", "perm:all", "class:partner_managed", "subscription", "^update$", "deny"): req(
        "user:erin", "", "acct:1001", "subscription", "update"
    ),
    ("p", "perm:manage_services", "class:partner_managed", "subscription", "^update$", "deny"): req(
        "user:mona", "", "acct:1001", "subscription", "update"
    ),
    ("p", "status:revoked", "*", "*", ".*", "deny"): req("user:pa1", "acct:500", "acct:1003", "service:1", "read"),
    (
        "p",
        "mode:impersonation",
        "*",
        "user:*",
        "^(change_password|reset_password|impersonate|set_role_admin)$",
        "deny",
    ): req("user:alice", "", "acct:1001", "user:alice", "change_password", IMPERSONATING),
    ("p", "mode:impersonation", "*", "account:security_policy", ".*", "deny"): req(
        "user:alice", "", "acct:1001", "account:security_policy", "update", IMPERSONATING
    ),
    ("p", "mode:impersonation", "*", "account:owner", ".*", "deny"): req(
        "user:alice", "", "acct:1001", "account:owner", "transfer", IMPERSONATING
    ),
    ("p", "mode:impersonation", "*", "payment_method:*", ".*", "deny"): req(
        "user:alice", "", "acct:1001", "payment_method:1", "read", IMPERSONATING
    ),
    ("p", "mode:impersonation", "*", "partner_link", "^(create|update)$", "deny"): req(
        "user:alice", "", "acct:1001", "partner_link", "create", IMPERSONATING
    ),
}


def _policy_lines() -> list[str]:
    return [line for line in POLICY.read_text().splitlines() if line.startswith("p,")]


def test_every_deny_line_of_the_policy_has_a_case() -> None:
    deny_lines = {
        tuple(["p", *(f.strip() for f in line.split(",")[1:])]) for line in _policy_lines() if line.endswith("deny")
    }
    # commas inside ^(a|b)$ do not occur in the shipped policy, so a plain split is exact here
    assert deny_lines == set(DENIES)


@pytest.mark.asyncio
@pytest.mark.parametrize("rule", list(DENIES), ids=[f"{r[1]}-{r[3]}-{r[4]}" for r in DENIES])
async def test_deny_line_blocks_and_is_named(authorizer: Authorizer, rule: tuple[str, ...]) -> None:
    request = DENIES[rule]
    assert authorizer.allowed(request) is False
    decision = authorizer.explain(request)
    assert decision.allowed is False
    assert decision.rule == rule
    assert decision.reason.startswith("denied by " + ", ".join(rule))


@pytest.mark.asyncio
@pytest.mark.parametrize("rule", list(DENIES), ids=[f"{r[1]}-{r[3]}-{r[4]}" for r in DENIES])
async def test_without_the_deny_line_the_request_is_allowed(rule: tuple[str, ...]) -> None:
    text = ", ".join(rule)
    kept = [line for line in _policy_lines() if line != text]
    assert len(kept) == len(_policy_lines()) - 1
    authz = await load(await Authorizer.create(MODEL, [], kept, freeze_gc=False), GRANTS)
    assert authz.allowed(DENIES[rule]) is True


@pytest.mark.asyncio
async def test_suspension_denies_every_non_staff_path(authorizer: Authorizer) -> None:
    await authorizer.add_grant("g3", "acct:1001", "class:suspended")
    for who, org in (("user:alice", ""), ("user:bob", ""), ("user:erin", ""), ("user:pa1", "acct:500")):
        decision = authorizer.explain(req(who, org, "acct:1001", "account:dashboard", "read"))
        assert decision.allowed is False
        assert decision.rule is None
        assert "acct:1001 is in class:suspended" in decision.reason
    assert authorizer.allowed(req("user:root", "", "acct:1001", "invoice:1", "delete")) is True
