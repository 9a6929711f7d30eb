"""Explain names the deciding line and the grant behind it, for allow and deny."""

from __future__ import annotations

import random

import pytest
from authz_data import IMPERSONATING, req

from panel.core.authz import Authorizer


@pytest.mark.asyncio
async def test_allow_by_direct_grant(authorizer: Authorizer) -> None:
    d = authorizer.explain(req("user:bob", "", "acct:1001", "invoice:9", "read"))
    assert d.allowed is True
    assert d.rule == ("p", "perm:invoices", "*", "invoice:*", ".*", "allow")
    assert d.grant == ("g", "user:bob", "perm:invoices", "acct:1001")
    assert d.reason == (
        "allowed by p, perm:invoices, *, invoice:*, .*, allow via g, user:bob, perm:invoices, acct:1001"
    )


@pytest.mark.asyncio
async def test_allow_by_staff_role(authorizer: Authorizer) -> None:
    d = authorizer.explain(req("user:root", "", "platform", "staff:sam", "update"))
    assert d.rule == ("p", "staff:admin", "*", "*", ".*", "allow")
    assert d.grant == ("g2", "user:root", "staff:admin")


@pytest.mark.asyncio
async def test_allow_through_partner_path(authorizer: Authorizer) -> None:
    d = authorizer.explain(req("user:pa1", "acct:500", "acct:1001", "service:3", "update"))
    assert d.allowed is True
    assert d.rule == ("p", "role:partner_delegate", "*", "*", ".*", "allow")
    assert d.grant == ("g", "acct:500", "role:partner_delegate", "acct:1001")
    assert d.path == (
        ("g", "user:pa1", "role:partner_admin", "acct:500"),
        ("g", "acct:500", "role:partner_delegate", "acct:1001"),
    )


@pytest.mark.asyncio
async def test_deny_through_partner_path(authorizer: Authorizer) -> None:
    d = authorizer.explain(req("user:pa1", "acct:500", "acct:1001", "user:carol", "reset_password"))
    assert d.allowed is False
    assert d.rule is not None and d.rule[1:4] == ("role:partner_delegate", "*", "user:*")
    assert d.grant == ("g", "acct:500", "role:partner_delegate", "acct:1001")
    assert "via g, user:pa1, role:partner_admin, acct:500 and g, acct:500" in d.reason


@pytest.mark.asyncio
async def test_deny_by_tombstone_names_the_tombstone(authorizer: Authorizer) -> None:
    d = authorizer.explain(req("user:pa1", "acct:500", "acct:1003", "service:1", "read"))
    assert d.rule == ("p", "status:revoked", "*", "*", ".*", "deny")
    assert d.grant == ("g", "acct:500", "status:revoked", "acct:1003")


@pytest.mark.asyncio
async def test_deny_by_class_scoped_line_names_the_class(authorizer: Authorizer) -> None:
    d = authorizer.explain(req("user:alice", "", "acct:1001", "subscription", "update"))
    assert d.rule == ("p", "role:owner", "class:partner_managed", "subscription", "^update$", "deny")
    assert d.grant == ("g", "user:alice", "role:owner", "acct:1001")
    assert d.path[-1] == ("g3", "acct:1001", "class:partner_managed")


@pytest.mark.asyncio
async def test_deny_by_session_mode(authorizer: Authorizer) -> None:
    d = authorizer.explain(req("user:alice", "", "acct:1001", "payment_method:1", "read", IMPERSONATING))
    assert d.rule == ("p", "mode:impersonation", "*", "payment_method:*", ".*", "deny")
    assert d.grant is None
    assert d.reason.endswith("because the request's mode is mode:impersonation")


@pytest.mark.asyncio
async def test_deny_when_nothing_matches(authorizer: Authorizer) -> None:
    d = authorizer.explain(req("user:carol", "", "acct:1001", "invoice:9", "read"))
    assert (d.allowed, d.rule, d.grant) == (False, None, None)
    assert d.reason.startswith("denied: no policy allows user:carol to read invoice:9 in acct:1001")


@pytest.mark.asyncio
async def test_prefilter_never_changes_a_decision(authorizer: Authorizer) -> None:
    """2,500 random requests over the fixture principals, accounts, objects and actions."""
    evaluator = authorizer._state  # the pre-filtered path against plain pycasbin
    subs = [
        "user:alice",
        "user:bob",
        "user:carol",
        "user:erin",
        "user:pa1",
        "user:pa2",
        "user:sam",
        "user:bill",
        "user:root",
        "user:mia",
        "user:nobody",
        "acct:500",
    ]
    doms = ["acct:1001", "acct:1002", "acct:1003", "acct:1004", "acct:500", "platform"]
    objs = [
        "invoice:1",
        "subscription",
        "account:owner",
        "account:dashboard",
        "user:x",
        "service:1",
        "partner_link",
        "payment_method:1",
        "referral:x",
        "ticket:1",
        "domain:a.com",
    ]
    acts = ["read", "update", "delete", "reset_password", "impersonate", "create"]
    rng = random.Random(7)
    for _ in range(2500):
        r = (
            rng.choice(subs),
            rng.choice(["", "acct:500"]),
            rng.choice(doms),
            rng.choice(objs),
            rng.choice(acts),
            rng.choice(["mode:normal", IMPERSONATING]),
        )
        assert evaluator.decide(r) == evaluator.decide_all(r), r
