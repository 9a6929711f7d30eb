"""The parts: flat role manager, decision cache, matcher analysis."""

from __future__ import annotations

from pathlib import Path

import pytest
from authz_data import MODEL, POLICY, load, req
from casbin.model import Model

from panel.core.authz import Authorizer
from panel.core.authz.cache import DecisionCache
from panel.core.authz.matcher import analyse
from panel.core.authz.role_manager import FlatRoleManager


def test_role_manager_links_in_domains() -> None:
    rm = FlatRoleManager(domains=True)
    assert rm.add_link("user:1", "role:member", "acct:1") is True
    assert rm.add_link("user:1", "role:member", "acct:1") is False
    rm.add_link("user:1", "perm:invoices", "acct:1")
    assert rm.has_link("user:1", "perm:invoices", "acct:1") is True
    assert rm.has_link("user:1", "perm:invoices", "acct:2") is False
    assert rm.has_link("user:1", "user:1", "acct:9") is True  # identity, as pycasbin
    assert sorted(rm.get_roles("user:1", "acct:1")) == ["perm:invoices", "role:member"]
    assert rm.get_users("role:member", "acct:1") == ["user:1"]
    assert rm.delete_link("user:1", "role:member", "acct:1") is True
    assert rm.delete_link("user:1", "role:member", "acct:1") is False
    assert list(rm.links(domain="acct:1")) == [("user:1", "perm:invoices", "acct:1")]
    rm.delete_link("user:1", "perm:invoices", "acct:1")
    assert list(rm.links(name="user:1")) == [] and list(rm.links(domain="acct:1")) == []
    assert rm.link_count() == 0 and bool(rm) is True


def test_domainless_manager_ignores_domains() -> None:
    rm = FlatRoleManager(domains=False)
    rm.add_link("user:1", "staff:admin")
    assert rm.has_link("user:1", "staff:admin") is True
    assert rm.has_link("user:1", "staff:admin", "acct:1") is True
    assert list(rm.links(name="user:1")) == [("user:1", "staff:admin", "")]


def test_partner_with_many_children_uses_a_set_bucket() -> None:
    rm = FlatRoleManager(domains=True)
    for i in range(40):
        rm.add_link("acct:500", "role:partner_delegate", f"acct:{i}")
    assert isinstance(rm._domains_of["acct:500"], set)
    assert len(list(rm.links(name="acct:500"))) == 40
    for i in range(40):
        assert rm.delete_link("acct:500", "role:partner_delegate", f"acct:{i}")
    assert "acct:500" not in rm._domains_of


def test_bulk_load_equals_add_link() -> None:
    rows = [("g", f"user:{i % 7}", f"perm:{i % 3}", f"acct:{i % 11}") for i in range(300)]
    rows += [("g", "", "role:member", "acct:1")]
    one, bulk = FlatRoleManager(domains=True), FlatRoleManager(domains=True)
    for row in rows[:-1]:
        one.add_link(*row[1:])
    assert bulk.load(rows[:150], offset=1) == 0
    assert bulk.load(rows[150:], offset=1) == 1
    bulk.finish_load()
    assert sorted(bulk.links()) == sorted(one.links())
    assert bulk.link_count() == one.link_count()
    assert sorted(bulk.links(domain="acct:3")) == sorted(one.links(domain="acct:3"))
    assert sorted(bulk.links(name="user:2")) == sorted(one.links(name="user:2"))


def test_pattern_functions_are_refused() -> None:
    with pytest.raises(NotImplementedError):
        FlatRoleManager(domains=True).add_matching_func(lambda a, b: a == b)


def test_cache_bounds_and_clears() -> None:
    cache: DecisionCache[int, bool] = DecisionCache(10)
    for i in range(100):
        cache.put(i, True)
        assert len(cache) <= 10
    assert cache.get(99) is True and cache.get(0) is None
    cache.put(1, False)
    assert cache.get(1) is False  # False is a value, not a miss
    cache.clear()
    assert cache.get(99) is None and len(cache) == 0


def test_cache_keeps_entries_in_use() -> None:
    cache: DecisionCache[int, bool] = DecisionCache(10)
    cache.put(-1, True)
    for i in range(40):
        assert cache.get(-1) is True  # each hit in the old generation moves it back to the young one
        cache.put(i, True)


def _model(matcher_edit: tuple[str, str] | None = None) -> Model:
    text = MODEL.read_text()
    if matcher_edit:
        assert matcher_edit[0] in text
        text = text.replace(*matcher_edit)
    model = Model()
    model.load_model_from_text(text)
    return model


def test_default_matcher_allows_prefiltering() -> None:
    shape = analyse(_model())
    assert shape.prefilter_safe is True
    assert [(t.ptype, t.name, t.domain) for t in shape.subject_tests] == [
        (None, 5, None),  # r.mode == p.sub
        ("g2", 0, None),  # g2(r.sub, p.sub)
        ("g", 0, 2),  # g(r.sub, p.sub, r.dom)
        ("g", 1, 2),  # g(r.org, p.sub, r.dom), gated by the partner admin test
    ]
    assert shape.subject_tests[3].gates[0].args == (0, "role:partner_admin", 1)


@pytest.mark.parametrize(
    "edit",
    [
        ("g(r.sub, p.sub, r.dom)", "!g(r.sub, p.sub, r.dom)"),
        ("r.mode == p.sub", "p.sub == 'role:anyone'"),
        ("r.mode == p.sub", "r.mode == p.sub || p.dom == 'class:open'"),
    ],
)
def test_matchers_that_defeat_prefiltering_are_detected(edit: tuple[str, str]) -> None:
    assert analyse(_model(edit)).prefilter_safe is False


@pytest.mark.asyncio
async def test_engine_without_prefilter_still_decides(tmp_path: Path) -> None:
    model = tmp_path / "model.conf"
    text = MODEL.read_text()
    model.write_text(text.replace("r.mode == p.sub", "r.mode == p.sub || p.dom == 'class:open'"))
    authz = await load(await Authorizer.create(model, [POLICY], freeze_gc=False))
    assert authz.stats()["prefilter"] is False
    assert authz.allowed(req("user:bob", "", "acct:1001", "invoice:9", "read")) is True
    assert authz.allowed(req("user:pa1", "acct:500", "acct:1003", "service:1", "read")) is False
    assert authz.allowed(req("user:alice", "", "acct:1001", "subscription", "update")) is False
