"""The grant change feed: two Authorizers on one SQLite file, as two processes would be."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from authz_data import GRANTS, MODEL, POLICY, load, req
from piccolo.engine.sqlite import SQLiteEngine

from panel.core.authz import Authorizer, CasbinRule, PiccoloAdapter
from panel.core.authz import feed as feed_module
from panel.core.authz.tables import GrantChange
from panel.errors import SettingsError
from panel.settings import load_settings

KIM_TICKETS = req("user:kim", "", "acct:9", "ticket:1", "read")
BOB_INVOICES = req("user:bob", "", "acct:1001", "invoice:9", "read")
NO_CONFIG = Path("/nonexistent/panel.toml")


async def pair(**options: float) -> tuple[Authorizer, Authorizer]:
    """Two authorizers on the same table, loaded with the reference grants (written by the first)."""
    theirs = await load(await Authorizer.create(MODEL, [POLICY], adapter=PiccoloAdapter(), freeze_gc=False))
    ours = await Authorizer.create(MODEL, [POLICY], adapter=PiccoloAdapter(), freeze_gc=False, **options)
    return ours, theirs


async def change_rows() -> list[tuple[str, ...]]:
    t = GrantChange
    rows = await t.select(t.ptype, t.v0, t.v1, t.v2, t.added).order_by(t.id)
    return [(r["ptype"], r["v0"], r["v1"], r["v2"], "+" if r["added"] else "-") for r in rows]


@pytest.mark.asyncio
async def test_a_grant_added_elsewhere_applies_at_sync_and_not_before(sqlite_table: SQLiteEngine) -> None:
    ours, theirs = await pair()
    assert ours.allowed(KIM_TICKETS) is False  # now cached
    assert await theirs.add_grant("g", "user:kim", "perm:tickets", "acct:9")
    assert await theirs.add_grant("g", "user:kim", "role:member", "acct:9")
    assert ours.allowed(KIM_TICKETS) is False  # not synced yet: still denied
    assert ours.grants_for("user:kim") == []
    assert await ours.sync() == 2
    assert ours.allowed(KIM_TICKETS) is True
    assert ours.grants_for("user:kim") == theirs.grants_for("user:kim")
    assert await ours.sync() == 0  # nothing new


@pytest.mark.asyncio
async def test_a_grant_removed_elsewhere_applies_at_sync_and_not_before(sqlite_table: SQLiteEngine) -> None:
    ours, theirs = await pair()
    assert ours.allowed(BOB_INVOICES) is True
    assert await theirs.remove_grant("g", "user:bob", "perm:invoices", "acct:1001")
    assert ours.allowed(BOB_INVOICES) is True  # stale until synced
    assert await ours.sync() == 1
    assert ours.allowed(BOB_INVOICES) is False


@pytest.mark.asyncio
async def test_a_suspension_elsewhere_ends_access_at_sync(sqlite_table: SQLiteEngine) -> None:
    ours, theirs = await pair()
    alice = req("user:alice", "", "acct:1001", "invoice:9", "read")
    assert ours.allowed(alice) is True
    assert await theirs.add_grant("g3", "acct:1001", "class:suspended")
    assert ours.allowed(alice) is True
    assert await ours.sync() == 1
    assert ours.allowed(alice) is False
    assert await theirs.remove_grant("g3", "acct:1001", "class:suspended")
    assert await ours.sync() == 1
    assert ours.allowed(alice) is True


@pytest.mark.asyncio
async def test_a_filtered_removal_elsewhere_removes_exactly_the_same_grants(sqlite_table: SQLiteEngine) -> None:
    ours, theirs = await pair()
    assert await theirs.remove_grants("g", 2, "acct:1003") == 4
    assert await theirs.remove_grants("g", 0, "user:bob", "", "acct:1001") == 2
    assert ours.grants_in("acct:1003") != theirs.grants_in("acct:1003")
    assert await ours.sync() == 6
    for dom in ("acct:500", "acct:1001", "acct:1002", "acct:1003", "acct:1004"):
        assert ours.grants_in(dom) == theirs.grants_in(dom)
    assert (
        ours.grants_for("user:bob")
        == theirs.grants_for("user:bob")
        == [
            ("g", "user:bob", "role:member", "acct:1002"),
            ("g", "user:bob", "role:owner", "acct:1002"),
        ]
    )
    assert ours.stats()["grants"] == theirs.stats()["grants"] == {"g": 19, "g2": 3, "g3": 3}
    removed = [r for r in await change_rows() if r[-1] == "-"]
    assert len(removed) == 6  # the concrete rows, not the filter


@pytest.mark.asyncio
async def test_own_changes_and_repeats_are_no_ops(sqlite_table: SQLiteEngine) -> None:
    ours, theirs = await pair()
    assert await ours.add_grant("g", "user:kim", "perm:tickets", "acct:9")
    assert await ours.remove_grant("g", "user:bob", "perm:invoices", "acct:1001")
    assert await ours.add_grant("g", "user:bob", "perm:invoices", "acct:1001")
    assert await ours.sync() == 0  # the feed repeats our own changes: memory holds their outcome
    assert await theirs.sync() == 1  # kim's grant; bob's went and came back
    assert await theirs.remove_grant("g", "user:kim", "perm:tickets", "acct:9")
    assert await theirs.add_grant("g", "user:kim", "perm:tickets", "acct:9")
    assert await theirs.add_grant("g2", "user:kim", "staff:support")
    assert await theirs.remove_grant("g2", "user:kim", "staff:support")
    assert await ours.sync() == 0  # each grant's last change is what ours holds already
    assert ours.grants_for("user:kim") == [("g", "user:kim", "perm:tickets", "acct:9")]
    assert await theirs.remove_grant("g", "user:kim", "perm:tickets", "acct:9")
    assert await theirs.add_grant("g2", "user:kim", "staff:support")
    assert await ours.sync() == 2
    assert ours.grants_for("user:kim") == [("g2", "user:kim", "staff:support")]


@pytest.mark.asyncio
async def test_each_write_stores_its_change_and_nothing_else(sqlite_table: SQLiteEngine) -> None:
    ours, _ = await pair()
    assert len(await change_rows()) == len(GRANTS)
    assert await ours.add_grant("g", "user:bob", "perm:invoices", "acct:1001") is False  # held: no row
    assert await ours.remove_grant("g", "user:bob", "perm:quotes", "acct:1001") is False  # not held: no row
    assert await ours.add_grant("g2", "user:kim", "staff:support")
    assert (await change_rows())[len(GRANTS) :] == [("g2", "user:kim", "staff:support", "", "+")]


@pytest.mark.asyncio
async def test_a_rolled_back_transaction_leaves_no_change(sqlite_table: SQLiteEngine) -> None:
    ours, theirs = await pair()
    before = await change_rows()
    with pytest.raises(RuntimeError):
        async with theirs.atomic(), sqlite_table.transaction():
            await theirs.add_grant("g", "user:kim", "perm:tickets", "acct:9")
            await theirs.remove_grant("g", "user:bob", "perm:invoices", "acct:1001")
            raise RuntimeError("something else failed")
    assert await change_rows() == before
    assert await ours.sync() == 0
    assert ours.allowed(KIM_TICKETS) is False
    assert ours.allowed(BOB_INVOICES) is True


@pytest.mark.asyncio
async def test_a_grant_and_its_change_commit_together(sqlite_table: SQLiteEngine) -> None:
    _, theirs = await pair()
    await GrantChange.alter().drop_table()
    with pytest.raises(Exception, match="no such table"):
        await theirs.add_grant("g", "user:kim", "perm:tickets", "acct:9")
    with pytest.raises(Exception, match="no such table"):
        await theirs.remove_grants("g", 0, "user:bob")
    rows = await CasbinRule.select(CasbinRule.v0).where(CasbinRule.v0.is_in(["user:kim", "user:bob"]))
    assert len(rows) == 4  # kim's grant was not stored, bob's four were not deleted


@pytest.mark.asyncio
async def test_the_change_table_must_share_the_grant_tables_engine(sqlite_table: SQLiteEngine, tmp_path) -> None:
    authz = await Authorizer.create(MODEL, [POLICY], adapter=PiccoloAdapter(), freeze_gc=False)
    GrantChange._meta.db = SQLiteEngine(path=str(tmp_path / "other.sqlite"))
    with pytest.raises(RuntimeError, match="different engines"):
        await authz.add_grant("g", "user:kim", "perm:tickets", "acct:9")
    assert await CasbinRule.count() == 0


@pytest.mark.asyncio
async def test_old_changes_are_pruned_at_reload_and_ids_keep_rising(sqlite_table: SQLiteEngine) -> None:
    ours, theirs = await pair()
    t = GrantChange
    await theirs.remove_grant("g", "user:bob", "perm:invoices", "acct:1001")
    newest = (await t.select(t.id).order_by(t.id, ascending=False).first())["id"]
    await t.update({t.created_at: datetime.now(UTC) - timedelta(days=2)}).where(t.id < newest - 1)
    await ours.reload()  # a day and more old: pruned, except the newest row
    assert [r["id"] for r in await t.select(t.id).order_by(t.id)] == [newest - 1, newest]
    await t.update({t.created_at: datetime.now(UTC) - timedelta(days=2)}, force=True)
    await theirs.reload()  # any process may prune
    assert [r["id"] for r in await t.select(t.id)] == [newest]  # kept: SQLite would hand out its id again
    assert ours.allowed(KIM_TICKETS) is False
    await theirs.add_grant("g", "user:kim", "perm:tickets", "acct:9")
    assert [r["id"] for r in await t.select(t.id).order_by(t.id)] == [newest, newest + 1]
    assert await ours.sync() == 1
    assert ours.allowed(KIM_TICKETS) is True
    assert ours.allowed(BOB_INVOICES) is False


async def committed(change_id: int, ptype: str, *values: str) -> None:
    """A change row with a chosen id, as if its transaction committed only now."""
    columns = GrantChange._meta.get_column_by_name
    data = {columns(f"v{i}"): v for i, v in enumerate(values)}
    await GrantChange.insert(GrantChange({GrantChange.id: change_id, GrantChange.ptype: ptype, **data}))


@pytest.mark.asyncio
async def test_an_id_committed_late_is_still_applied(sqlite_table: SQLiteEngine) -> None:
    """On PostgreSQL a lower id can commit after a higher one: holes are asked for again."""
    ours, _ = await pair()
    start = ours._feed.last_id  # type: ignore[union-attr]
    await committed(start + 2, "g3", "acct:7", "class:suspended")
    assert await ours.sync() == 1
    assert ours._feed.gaps == [start + 1]  # type: ignore[union-attr]
    await committed(start + 1, "g3", "acct:1001", "class:suspended")
    assert await ours.sync() == 1
    assert ours._feed.gaps == []  # type: ignore[union-attr]
    assert ours.allowed(req("user:alice", "", "acct:1001", "invoice:9", "read")) is False


@pytest.mark.asyncio
async def test_a_hole_is_given_up_after_a_while(sqlite_table: SQLiteEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    ours, _ = await pair()
    monkeypatch.setattr(feed_module, "GAP_SECONDS", 0.0)
    start = ours._feed.last_id  # type: ignore[union-attr]
    await committed(start + 2, "g2", "user:x", "staff:support")
    assert await ours.sync() == 1
    await committed(start + 1, "g2", "user:y", "staff:support")
    assert await ours.sync() == 0  # a rolled-back id never comes: it is no longer asked for
    assert ours._feed.gaps == []  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_rows_that_are_not_grants_of_this_model_are_ignored(
    sqlite_table: SQLiteEngine, adapter: PiccoloAdapter
) -> None:
    ours, _ = await pair()
    lines = ours.policy_lines()
    await adapter.add_policy("p", "p", ["perm:x", "*", "x:*", ".*", "allow"])  # a pycasbin enforcer's write
    await adapter.add_policy("g", "g9", ["user:1", "role:x"])
    assert await ours.sync() == 0
    assert ours.policy_lines() == lines


@pytest.mark.asyncio
async def test_sync_if_due_waits_for_the_interval(sqlite_table: SQLiteEngine) -> None:
    ours, theirs = await pair(sync_interval=10.0)
    await ours.sync_if_due(100.0)
    await theirs.add_grant("g", "user:kim", "perm:tickets", "acct:9")
    await ours.sync_if_due(109.9)
    assert ours.allowed(KIM_TICKETS) is False  # not due yet
    await ours.sync_if_due(110.0)
    assert ours.allowed(KIM_TICKETS) is True


@pytest.mark.asyncio
async def test_sync_interval_zero_syncs_on_every_call(sqlite_table: SQLiteEngine) -> None:
    ours, theirs = await pair(sync_interval=0)
    for add in (True, False, True):
        if add:
            await theirs.add_grant("g", "user:kim", "perm:tickets", "acct:9")
        else:
            await theirs.remove_grant("g", "user:kim", "perm:tickets", "acct:9")
        await ours.sync_if_due(5.0)
        assert ours.allowed(KIM_TICKETS) is add


@pytest.mark.asyncio
async def test_a_negative_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="sync_interval"):
        await Authorizer.create(MODEL, [POLICY], freeze_gc=False, sync_interval=-1)


@pytest.mark.asyncio
async def test_a_failed_sync_is_logged_and_serving_goes_on(
    sqlite_table: SQLiteEngine, caplog: pytest.LogCaptureFixture
) -> None:
    ours, _ = await pair(sync_interval=0)
    await GrantChange.alter().drop_table()
    with pytest.raises(Exception, match="no such table"):
        await ours.sync()
    with caplog.at_level(logging.ERROR, logger="panel.core.authz.engine"):
        await ours.sync_if_due(1.0)
    assert "syncing grant changes failed" in caplog.text
    assert ours.allowed(BOB_INVOICES) is True


@pytest.mark.asyncio
async def test_after_a_long_pause_sync_reloads_everything(sqlite_table: SQLiteEngine) -> None:
    """Changes older than a day may be pruned: a process idle for half of that reloads instead."""
    ours, theirs = await pair()
    await theirs.add_grant("g", "user:kim", "perm:tickets", "acct:9")
    await GrantChange.delete(force=True)  # as if pruned by another process
    ours._synced_at = time.time() - 13 * 3600
    assert await ours.sync() == 0
    assert ours.allowed(KIM_TICKETS) is True


@pytest.mark.asyncio
async def test_without_an_adapter_or_a_feed_sync_does_nothing(
    authorizer: Authorizer, sqlite_table: SQLiteEngine
) -> None:
    assert await authorizer.sync() == 0
    no_feed = await Authorizer.create(MODEL, [POLICY], adapter=PiccoloAdapter(changes=None), freeze_gc=False)
    assert await no_feed.add_grant("g", "user:kim", "perm:tickets", "acct:9")
    assert await change_rows() == []
    assert await no_feed.sync() == 0


@pytest.mark.parametrize(("raw", "expected"), [(None, 1.0), ("0", 0.0), ("0.25", 0.25), ("5", 5.0)])
def test_the_sync_interval_setting(raw: str | None, expected: float) -> None:
    environ = {} if raw is None else {"PANEL_AUTHZ_SYNC_SECONDS": raw}
    assert load_settings(environ=environ, config=NO_CONFIG).authz_sync_seconds == expected


@pytest.mark.parametrize("raw", ["-1", "soon", "nan", "inf"])
def test_a_bad_sync_interval_setting_stops_start_up(raw: str) -> None:
    with pytest.raises(SettingsError, match="PANEL_AUTHZ_SYNC_SECONDS is invalid"):
        load_settings(environ={"PANEL_AUTHZ_SYNC_SECONDS": raw}, config=NO_CONFIG)
