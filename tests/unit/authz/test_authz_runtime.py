"""Changes at run time: each is visible to the very next decision, cached or not."""

from __future__ import annotations

import pytest
from authz_data import req

from panel.core.authz import Authorizer

PARTNER = req("user:pa1", "acct:500", "acct:1001", "service:3", "update")


@pytest.mark.asyncio
async def test_reference_runtime_steps(authorizer: Authorizer) -> None:
    """The reference test's 7 runtime cases, in its order."""
    assert authorizer.allowed(PARTNER) is True  # cached from here on
    # the child revokes its partner: the delegation goes
    assert await authorizer.remove_grant("g", "acct:500", "role:partner_delegate", "acct:1001")
    assert authorizer.allowed(PARTNER) is False  # 1
    # re-approved
    assert await authorizer.add_grant("g", "acct:500", "role:partner_delegate", "acct:1001")
    assert authorizer.allowed(PARTNER) is True  # 2
    # suspend 1001 at once
    assert await authorizer.add_grant("g3", "acct:1001", "class:suspended")
    for who, org in (("user:alice", ""), ("user:bob", ""), ("user:pa1", "acct:500")):
        assert authorizer.allowed(req(who, org, "acct:1001", "invoice:9", "read")) is False  # 3, 4, 5
    assert authorizer.allowed(req("user:sam", "", "acct:1001", "ticket:5", "read")) is True  # 6
    assert await authorizer.remove_grant("g3", "acct:1001", "class:suspended")
    assert authorizer.allowed(req("user:alice", "", "acct:1001", "invoice:9", "read")) is True  # 7


@pytest.mark.asyncio
async def test_revocation_tombstone_wins_over_live_delegation(authorizer: Authorizer) -> None:
    assert authorizer.allowed(PARTNER) is True
    assert await authorizer.add_grant("g", "acct:500", "status:revoked", "acct:1001")
    assert authorizer.allowed(PARTNER) is False
    assert authorizer.explain(PARTNER).rule == ("p", "status:revoked", "*", "*", ".*", "deny")


@pytest.mark.asyncio
async def test_grant_change_visible_when_cached(authorizer: Authorizer) -> None:
    bob = req("user:bob", "", "acct:1001", "domain:a.com", "update")
    assert authorizer.allowed(bob) is False
    assert authorizer.allowed(bob) is False  # now cached
    assert await authorizer.add_grant("g", "user:bob", "perm:manage_domains", "acct:1001")
    assert authorizer.allowed(bob) is True
    assert await authorizer.remove_grant("g", "user:bob", "perm:manage_domains", "acct:1001")
    assert authorizer.allowed(bob) is False


@pytest.mark.asyncio
async def test_staff_role_change_visible(authorizer: Authorizer) -> None:
    ask = req("user:zoe", "", "acct:1001", "invoice:1", "refund")
    assert authorizer.allowed(ask) is False
    assert await authorizer.add_grant("g2", "user:zoe", "staff:billing")
    assert authorizer.allowed(ask) is True
    assert ("g2", "user:zoe", "staff:billing") in authorizer.grants_for("user:zoe")


@pytest.mark.asyncio
async def test_add_and_remove_report_whether_anything_changed(authorizer: Authorizer) -> None:
    assert await authorizer.add_grant("g", "user:bob", "perm:invoices", "acct:1001") is False
    assert await authorizer.remove_grant("g", "user:bob", "perm:quotes", "acct:1001") is False
    assert await authorizer.remove_grant("g2", "user:sam", "staff:support") is True
    assert authorizer.allowed(req("user:sam", "", "acct:1001", "ticket:5", "update")) is False


@pytest.mark.asyncio
async def test_remove_grants_filtered(authorizer: Authorizer) -> None:
    dashboard = req("user:bob", "", "acct:1001", "account:dashboard", "read")
    assert authorizer.allowed(dashboard) is True
    assert await authorizer.remove_grants("g", 0, "user:bob", "", "acct:1001") == 2
    assert authorizer.allowed(dashboard) is False
    # bob's grants elsewhere are untouched
    assert authorizer.grants_for("user:bob") == [
        ("g", "user:bob", "role:member", "acct:1002"),
        ("g", "user:bob", "role:owner", "acct:1002"),
    ]
    # an account closed: every grant inside it, by domain
    assert await authorizer.remove_grants("g", 2, "acct:1003") == 4
    assert authorizer.grants_in("acct:1003") == [("g3", "acct:1003", "class:partner_managed")]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("ptype", "values"),
    [
        ("p", ("perm:x", "*", "x:*", ".*", "allow")),
        ("g", ("user:1", "role:member")),
        ("g2", ("user:1", "staff:admin", "acct:1")),
        ("g", ("user:1", "", "acct:1")),
        ("g", ("user:1", "role:member", " acct:1")),
        ("g", ("user:1,user:2", "role:member", "acct:1")),
    ],
)
async def test_bad_grants_refused(authorizer: Authorizer, ptype: str, values: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        await authorizer.add_grant(ptype, *values)


@pytest.mark.asyncio
async def test_remove_grants_refuses_an_empty_filter(authorizer: Authorizer) -> None:
    with pytest.raises(ValueError):
        await authorizer.remove_grants("g", 0, "", "", "")
    with pytest.raises(ValueError):
        await authorizer.remove_grants("g", 2, "acct:1", "extra")


@pytest.mark.asyncio
async def test_atomic_undoes_memory_changes_when_the_block_fails(authorizer: Authorizer) -> None:
    mia = req("user:mia", "", "acct:1004", "invoice:1", "read")
    with pytest.raises(RuntimeError):
        async with authorizer.atomic():
            await authorizer.add_grant("g", "user:mia", "perm:invoices", "acct:1004")
            await authorizer.remove_grant("g", "user:mia", "role:member", "acct:1004")
            assert authorizer.allowed(mia) is True
            raise RuntimeError("rolled back")
    assert authorizer.allowed(mia) is False
    assert authorizer.grants_for("user:mia") == [("g", "user:mia", "role:member", "acct:1004")]
    async with authorizer.atomic():
        await authorizer.add_grant("g", "user:mia", "perm:invoices", "acct:1004")
    assert authorizer.allowed(mia) is True


@pytest.mark.asyncio
async def test_reload_without_adapter_keeps_grants(authorizer: Authorizer) -> None:
    before = authorizer.grants_in("acct:1001")
    await authorizer.reload()
    assert authorizer.grants_in("acct:1001") == before
    assert authorizer.allowed(req("user:bob", "", "acct:1001", "invoice:9", "read")) is True


@pytest.mark.asyncio
async def test_decision_cache_is_bounded() -> None:
    from authz_data import MODEL, POLICY, load

    authz = await load(await Authorizer.create(MODEL, [POLICY], cache_size=100, freeze_gc=False))
    for i in range(1000):
        authz.allowed(req("user:alice", "", "acct:1001", f"invoice:{i}", "read"))
    assert authz.stats()["cached_decisions"] <= 100


@pytest.mark.asyncio
async def test_internal_error_fails_closed(authorizer: Authorizer, monkeypatch: pytest.MonkeyPatch) -> None:
    ask = req("user:bob", "", "acct:1001", "invoice:9", "read")

    def broken(request: tuple[str, ...]) -> tuple[bool, list[str]]:
        raise RuntimeError("boom")

    monkeypatch.setattr(authorizer._state, "decide", broken)
    assert authorizer.allowed(ask) is False
    monkeypatch.undo()
    assert authorizer.allowed(ask) is True  # the failure was not cached
