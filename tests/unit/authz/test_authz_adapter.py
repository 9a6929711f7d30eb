"""The Piccolo adapter on a real SQLite file: round trip, failures, transactions, pycasbin."""

from __future__ import annotations

import pytest
from authz_data import GRANTS, MODEL, POLICY, load, req
from casbin import AsyncEnforcer
from piccolo.engine.sqlite import SQLiteEngine

from panel.core.authz import Authorizer, CasbinRule, PiccoloAdapter


async def stored() -> set[tuple[str, ...]]:
    rows = await CasbinRule.select(CasbinRule.ptype, CasbinRule.v0, CasbinRule.v1, CasbinRule.v2)
    return {tuple(v for v in (r["ptype"], r["v0"], r["v1"], r["v2"]) if v) for r in rows}


@pytest.mark.asyncio
async def test_round_trip_through_a_new_authorizer(adapter: PiccoloAdapter) -> None:
    first = await load(await Authorizer.create(MODEL, [POLICY], adapter=adapter, freeze_gc=False))
    assert await stored() == set(GRANTS)  # grants only: no p line reached the table
    second = await Authorizer.create(MODEL, [POLICY], adapter=PiccoloAdapter(), freeze_gc=False)
    assert second.grants_in("acct:1001") == first.grants_in("acct:1001")
    assert second.allowed(req("user:bob", "", "acct:1001", "invoice:9", "read")) is True
    assert second.allowed(req("user:pa1", "acct:500", "acct:1003", "service:1", "read")) is False
    assert second.stats()["grants"] == {"g": 25, "g2": 3, "g3": 3}


@pytest.mark.asyncio
async def test_removals_reach_the_database(adapter: PiccoloAdapter) -> None:
    authz = await load(await Authorizer.create(MODEL, [POLICY], adapter=adapter, freeze_gc=False))
    assert await authz.remove_grant("g3", "acct:1002", "class:suspended")
    assert await authz.remove_grants("g", 0, "user:bob", "", "acct:1001") == 2
    rows = await stored()
    assert ("g3", "acct:1002", "class:suspended") not in rows
    assert not any(r[:2] == ("g", "user:bob") and r[3] == "acct:1001" for r in rows)
    assert ("g", "user:bob", "role:owner", "acct:1002") in rows


@pytest.mark.asyncio
async def test_reload_sees_another_process_change(adapter: PiccoloAdapter) -> None:
    ours = await Authorizer.create(MODEL, [POLICY], adapter=adapter, freeze_gc=False)
    theirs = await Authorizer.create(MODEL, [POLICY], adapter=PiccoloAdapter(), freeze_gc=False)
    ask = req("user:kim", "", "acct:9", "ticket:1", "read")
    assert ours.allowed(ask) is False
    await theirs.add_grant("g", "user:kim", "perm:tickets", "acct:9")
    assert ours.allowed(ask) is False  # not told yet
    await ours.reload()
    assert ours.allowed(ask) is True


@pytest.mark.asyncio
async def test_failed_database_write_leaves_memory_unchanged(adapter: PiccoloAdapter) -> None:
    authz = await load(await Authorizer.create(MODEL, [POLICY], adapter=adapter, freeze_gc=False))
    ask = req("user:mia", "", "acct:1004", "invoice:1", "read")
    assert authz.allowed(ask) is False
    await CasbinRule.alter().drop_table()
    with pytest.raises(Exception, match="no such table"):
        await authz.add_grant("g", "user:mia", "perm:invoices", "acct:1004")
    assert authz.allowed(ask) is False
    assert ("g", "user:mia", "perm:invoices", "acct:1004") not in authz.grants_for("user:mia")
    with pytest.raises(Exception, match="no such table"):
        await authz.remove_grant("g", "user:mia", "role:member", "acct:1004")
    assert ("g", "user:mia", "role:member", "acct:1004") in authz.grants_for("user:mia")


@pytest.mark.asyncio
async def test_writes_join_the_callers_transaction(adapter: PiccoloAdapter, sqlite_table: SQLiteEngine) -> None:
    authz = await Authorizer.create(MODEL, [POLICY], adapter=adapter, freeze_gc=False)
    ask = req("user:kim", "", "acct:9", "order:1", "create")
    with pytest.raises(RuntimeError):
        async with authz.atomic():
            async with sqlite_table.transaction():
                await authz.add_grant("g", "user:kim", "perm:orders", "acct:9")
                assert authz.allowed(ask) is True
                raise RuntimeError("something else failed")
    assert authz.allowed(ask) is False
    assert await stored() == set()
    async with authz.atomic(), sqlite_table.transaction():
        await authz.add_grant("g", "user:kim", "perm:orders", "acct:9")
    assert await stored() == {("g", "user:kim", "perm:orders", "acct:9")}
    assert authz.allowed(ask) is True


@pytest.mark.asyncio
async def test_fast_and_generic_load_paths_agree(adapter: PiccoloAdapter) -> None:
    await load(await Authorizer.create(MODEL, [POLICY], adapter=adapter, freeze_gc=False))
    fast = [row async for batch in adapter.load_rows({"g", "g2", "g3"}, width=3) for row in batch]
    generic = [row async for batch in adapter._piccolo_rows({"g", "g2", "g3"}, ("v0", "v1", "v2")) for row in batch]
    assert sorted(fast) == sorted(generic)
    assert len(fast) == len(GRANTS)


@pytest.mark.asyncio
async def test_adapter_serves_a_stock_pycasbin_async_enforcer(adapter: PiccoloAdapter) -> None:
    enforcer = AsyncEnforcer(str(MODEL), adapter)
    await enforcer.load_policy()
    assert await enforcer.add_policy("perm:x", "*", "x:*", ".*", "allow")
    assert await enforcer.add_policies([["perm:y", "*", "y:*", ".*", "allow"], ["perm:z", "*", "z:*", ".*", "allow"]])
    assert await enforcer.add_named_grouping_policy("g", "user:1", "perm:x", "acct:1")
    assert await enforcer.add_named_grouping_policy("g3", "acct:1", "class:suspended")
    assert await enforcer.remove_policy("perm:z", "*", "z:*", ".*", "allow")
    assert await enforcer.remove_filtered_named_grouping_policy("g3", 0, "acct:1")
    fresh = AsyncEnforcer(str(MODEL), PiccoloAdapter())
    await fresh.load_policy()
    assert sorted(fresh.get_policy()) == [["perm:x", "*", "x:*", ".*", "allow"], ["perm:y", "*", "y:*", ".*", "allow"]]
    assert fresh.get_named_grouping_policy("g") == [["user:1", "perm:x", "acct:1"]]
    assert fresh.get_named_grouping_policy("g3") == []
    assert fresh.enforce("user:1", "", "acct:1", "x:5", "read", "mode:normal") is True
    await fresh.save_policy()
    again = AsyncEnforcer(str(MODEL), PiccoloAdapter())
    await again.load_policy()
    assert sorted(again.get_policy()) == sorted(fresh.get_policy())
