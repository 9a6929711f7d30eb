"""Plugin policy lines and the checks that stop a bad line at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest
from authz_data import MODEL, POLICY, req

from panel.core.authz import Authorizer, CasbinRule, PiccoloAdapter, PolicyError

WORDPRESS = "p, perm:wordpress.sites, *, wordpress.site:*, ^(read|list)$, allow"


@pytest.mark.asyncio
async def test_plugin_line_grants_its_permission(adapter: PiccoloAdapter) -> None:
    authz = await Authorizer.create(MODEL, [POLICY], [WORDPRESS], adapter=adapter, freeze_gc=False)
    await authz.add_grant("g", "user:4", "perm:wordpress.sites", "acct:7")
    read = req("user:4", "", "acct:7", "wordpress.site:12", "read")
    assert authz.allowed(read) is True
    assert authz.allowed(req("user:4", "", "acct:7", "wordpress.site:12", "delete")) is False
    assert authz.allowed(req("user:5", "", "acct:7", "wordpress.site:12", "read")) is False
    d = authz.explain(read)
    assert d.rule == ("p", "perm:wordpress.sites", "*", "wordpress.site:*", "^(read|list)$", "allow")
    assert d.grant == ("g", "user:4", "perm:wordpress.sites", "acct:7")
    assert ("p", "perm:wordpress.sites", "*", "wordpress.site:*", "^(read|list)$", "allow") in authz.policy_lines()
    # plugin lines stay in memory: the table holds the one grant only
    assert await CasbinRule.count() == 1
    # the default deny lines still bind plugin objects: a partner may not touch a revoked child
    await authz.add_grant("g", "user:pa", "role:partner_admin", "acct:500")
    await authz.add_grant("g", "acct:500", "role:partner_delegate", "acct:7")
    await authz.add_grant("g", "acct:500", "status:revoked", "acct:7")
    assert authz.allowed(req("user:pa", "acct:500", "acct:7", "wordpress.site:12", "read")) is False


@pytest.mark.asyncio
async def test_duplicate_plugin_line_is_harmless() -> None:
    authz = await Authorizer.create(MODEL, [POLICY], [WORDPRESS, WORDPRESS], freeze_gc=False)
    assert (
        authz.policy_lines().count(("p", "perm:wordpress.sites", "*", "wordpress.site:*", "^(read|list)$", "allow"))
        == 1
    )


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("g, user:1, role:owner, acct:1", "grants"),
        ("p2, role:x, *, x:*, .*, allow", "unknown line type"),
        ("p, user:1, *, invoice:*, .*, allow", "principal"),
        ("p, mode:impersonation, *, invoice:*, .*, allow", "may only deny"),
        ("p, perm:x, *, x:*, .*", "expected 5 fields"),
        ("p, perm:x, *, x:*, .*, permit", "effect"),
        ("p, perm:x, *, x:*, ^*read$, allow", "regular expression"),
        ("p, perm:x, *, x:*, ^read)$, allow", "cannot read"),
        ("p, perm:x, *, x:*, ^(read$, allow", "expected 5 fields"),
    ],
)
async def test_bad_lines_stop_start_up(line: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message) as info:
        await Authorizer.create(MODEL, [POLICY], ["# a plugin", line], freeze_gc=False)
    assert "extra:2" in str(info.value)


@pytest.mark.asyncio
async def test_error_names_file_and_line(tmp_path: Path) -> None:
    policy = tmp_path / "policy.csv"
    policy.write_text("# header\n\np, perm:x, *, x:*, .*, allow\np, user:9, *, *, .*, allow\n")
    with pytest.raises(PolicyError, match=rf"{policy}:4"):
        await Authorizer.create(MODEL, [policy], freeze_gc=False)


@pytest.mark.asyncio
async def test_failed_reload_keeps_serving(tmp_path: Path) -> None:
    policy = tmp_path / "policy.csv"
    policy.write_text(POLICY.read_text())
    authz = await Authorizer.create(MODEL, [policy], freeze_gc=False)
    await authz.add_grant("g", "user:1", "role:owner", "acct:1")
    policy.write_text("p, user:1, *, *, .*, allow\n")
    with pytest.raises(PolicyError):
        await authz.reload()
    assert authz.allowed(req("user:1", "", "acct:1", "invoice:1", "read")) is True
