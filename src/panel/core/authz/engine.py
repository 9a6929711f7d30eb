"""The rules engine: `Authorizer` answers "may this user do this here?".

Policy lines come from `policies/` and plugins and live in memory only. Grants
(`g`, `g2`, `g3` rows) live in the database through `PiccoloAdapter` and, once
loaded, in flat role managers. Answers are cached; every change to grants clears
the cache, so a change is visible to the very next decision. Changes other
processes make arrive through the change feed (`sync`, `sync_if_due`).

Use from the event loop thread only: the role managers and the cache are plain
dicts without locks, which is what keeps a cached decision under a microsecond.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casbin.model import Model

from panel.core.authz.adapter import PiccoloAdapter
from panel.core.authz.cache import DecisionCache
from panel.core.authz.evaluator import Evaluator
from panel.core.authz.explain import Decision, explain
from panel.core.authz.feed import RETENTION, ChangeFeed
from panel.core.authz.lines import read_lines
from panel.core.authz.role_manager import FlatRoleManager

log = logging.getLogger(__name__)

Grant = tuple[str, ...]
_Change = tuple[str, tuple[str, ...], bool]  # (ptype, values, added)


@dataclass(frozen=True, slots=True)
class AuthzRequest:
    """One question: may `sub` do `act` on `obj` in account `dom` (acting for `org`)?"""

    sub: str
    org: str
    dom: str
    obj: str
    act: str
    mode: str = "mode:normal"

    def values(self) -> tuple[str, str, str, str, str, str]:
        """The request in the model's field order."""
        return (self.sub, self.org, self.dom, self.obj, self.act, self.mode)


class Authorizer:
    """Decisions, explanations and grant changes over one model and policy.

    Build it with `await Authorizer.create(...)`. Without an adapter, grants live in
    memory only (tests, tools); `reload()` then keeps them.
    """

    def __init__(
        self,
        model_path: Path,
        policy_paths: Sequence[Path],
        extra_lines: Sequence[str],
        adapter: PiccoloAdapter | None,
        cache_size: int,
        freeze_gc: bool,
        sync_interval: float = 1.0,
    ) -> None:
        if not sync_interval >= 0:
            raise ValueError(f"sync_interval must be >= 0 seconds, got {sync_interval!r}")
        self._model_path = Path(model_path)
        self._policy_paths = [Path(p) for p in policy_paths]
        self._extra_lines = list(extra_lines)
        self._adapter = adapter
        self._freeze_gc = freeze_gc
        self._cache: DecisionCache[tuple[str, ...], bool] = DecisionCache(cache_size)
        self._lock = asyncio.Lock()
        self._journal: ContextVar[list[_Change] | None] = ContextVar(f"authz_journal_{id(self)}", default=None)
        self._evaluator: Evaluator | None = None
        self._feed: ChangeFeed | None = None
        self._sync_interval = sync_interval
        self._next_sync = 0.0  # time.monotonic() from which sync_if_due syncs again
        self._synced_at = 0.0  # time.time() of the last reload or sync

    @classmethod
    async def create(
        cls,
        model_path: Path,
        policy_paths: Sequence[Path],
        extra_lines: Sequence[str] = (),
        adapter: PiccoloAdapter | None = None,
        *,
        cache_size: int = 100_000,
        freeze_gc: bool = True,
        sync_interval: float = 1.0,
    ) -> Authorizer:
        """Load the model, the policy files, the extra (plugin) lines and the stored grants.

        `cache_size` bounds the decision cache (entries). `freeze_gc` moves the loaded
        grants out of the garbage collector's reach (`gc.freeze()`), so full
        collections do not walk 300,000 grants; it affects the whole process.
        `sync_interval` is the least time in seconds between two reads of the change
        feed by `sync_if_due` (0: every call).
        Raises `PolicyError` for a bad policy line, naming file and line.
        """
        self = cls(model_path, policy_paths, extra_lines, adapter, cache_size, freeze_gc, sync_interval)
        await self.reload()
        return self

    # -- decisions ---------------------------------------------------------------------

    def allowed(self, req: AuthzRequest) -> bool:
        """The decision, from the cache when possible. Fails closed on an internal error."""
        key = (req.sub, req.org, req.dom, req.obj, req.act, req.mode)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        try:
            answer = self._state.decide(key)[0]
        except Exception:
            log.exception("authorization failed for %s; denying", key)
            return False
        self._cache.put(key, answer)
        return answer

    def explain(self, req: AuthzRequest) -> Decision:
        """The decision with the deciding line and grants; uncached, evaluates every line."""
        return explain(self._state, req.values())

    # -- grants ------------------------------------------------------------------------

    async def add_grant(self, ptype: str, *values: str) -> bool:
        """Grant a role: write to the database, then to memory; True if anything changed.

        Inside a caller's Piccolo transaction the row joins that transaction. If the
        database write raises, memory is untouched and the error propagates. If the
        caller's transaction later rolls back, memory still has the grant: wrap the
        transaction in `async with authz.atomic():` to undo it, or call `reload()`.
        """
        rule = self._checked(ptype, values)
        # No asyncio lock around database work: a caller holding SQLite's write lock in
        # its own transaction would wait for ours while we wait for its; the memory
        # update below has no await, and `sync()` converges to the database's state.
        stored = False
        if self._adapter is not None:
            async with self._adapter.write_transaction():
                if not await self._adapter.exists(ptype, rule):
                    await self._adapter.add_policy("g", ptype, rule)
                    stored = True
        return self._apply(ptype, rule, add=True) or stored

    async def remove_grant(self, ptype: str, *values: str) -> bool:
        """Revoke a role (database, then memory); True if anything was removed."""
        rule = self._checked(ptype, values)
        deleted = 0
        if self._adapter is not None:
            deleted = await self._adapter.delete_rows(ptype, 0, rule, exact=True)
        return self._apply(ptype, rule, add=False) or deleted > 0

    async def remove_grants(self, ptype: str, field_index: int, *values: str) -> int:
        """Revoke every grant whose fields from `field_index` on equal `values` ('' = any).

        E.g. `remove_grants("g", 0, "user:4", "", "acct:7")` removes all of user 4's
        grants in account 7. At least one value must be non-empty. Returns how many
        grants went (from memory, or from the database if memory did not hold them).
        """
        arity = self._arity(ptype)
        if field_index < 0 or field_index + len(values) > arity or not any(values):
            raise ValueError(f"bad filter for {ptype}: field {field_index}, values {values!r}")
        wanted = {field_index + i: v for i, v in enumerate(values) if v}
        deleted = 0
        if self._adapter is not None:
            deleted = await self._adapter.delete_rows(ptype, field_index, values, exact=False)
        rm = self._state.role_managers[ptype]
        links = rm.links(name=wanted.get(0), domain=wanted.get(2) if rm.domains else None)
        matches = [link[:arity] for link in links if all(link[i] == v for i, v in wanted.items())]
        for link in matches:
            self._apply(ptype, link, add=False)
        return max(len(matches), deleted)

    def grants_for(self, subject: str, dom: str | None = None) -> list[Grant]:
        """The grants `subject` holds (in `dom` only, if given), as rows with their type.

        Domain-less grants (staff roles, account classes) are always included: they
        apply in every account. E.g. `[("g", "user:4", "perm:invoices", "acct:7"),
        ("g2", "user:4", "staff:support")]`.
        """
        out: list[Grant] = []
        for ptype, rm in self._state.role_managers.items():
            for name, role, where in rm.links(name=subject, domain=dom if rm.domains else None):
                out.append((ptype, name, role, where) if rm.domains else (ptype, name, role))
        return sorted(out)

    def grants_in(self, dom: str) -> list[Grant]:
        """Every grant inside account `dom` (its members and partner links), plus its classes."""
        out: list[Grant] = []
        for ptype, rm in self._state.role_managers.items():
            if rm.domains:
                out += [(ptype, n, r, d) for n, r, d in rm.links(domain=dom)]
            else:
                out += [(ptype, n, r) for n, r, _ in rm.links(name=dom)]
        return sorted(out)

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[None]:
        """Undo this block's in-memory grant changes if it raises.

        Put it around the caller's transaction so a rollback, including one at
        commit, also rolls back memory::

            async with authz.atomic():
                async with engine.transaction():
                    await authz.add_grant("g", "user:4", "role:member", "acct:7")
        """
        parent = self._journal.get()
        mine: list[_Change] = []
        token = self._journal.set(mine)
        try:
            yield
        except BaseException:
            self._journal.reset(token)
            for ptype, rule, added in reversed(mine):
                self._apply(ptype, rule, add=not added)
            raise
        self._journal.reset(token)
        if parent is not None:
            parent.extend(mine)

    # -- other processes' changes -------------------------------------------------------

    async def sync(self) -> int:
        """Apply the grant changes other processes stored since the last sync; returns how many changed memory.

        Memory only, nothing is written. A change memory already holds (made here, or
        loaded) is a no-op. Clears the decision cache if anything changed. If the last
        sync is older than half the feed's retention, changes may have been pruned
        unseen: everything is reloaded instead and 0 returned.
        """
        if self._feed is None:
            return 0
        if time.time() - self._synced_at > RETENTION.total_seconds() / 2:
            log.warning("grants not synced for over %s: reloading them all", RETENTION / 2)
            await self.reload()
            return 0
        async with self._lock:
            if self._feed is None:
                return 0
            # Only each grant's last change counts: replaying all of them would briefly
            # undo what memory already holds (e.g. our own remove and re-add).
            final = {(ptype, stored): added for ptype, stored, added in await self._feed.read()}
            managers = self._state.role_managers
            applied = 0
            for (ptype, stored), added in final.items():
                rm = managers.get(ptype)
                if rm is None:
                    continue  # not a grant type of this model, e.g. a `p` row of a pycasbin enforcer
                rule = stored[: 3 if rm.domains else 2]
                if all(rule):  # a row with an empty field is skipped, as when loading
                    applied += rm.add_link(*rule) if added else rm.delete_link(*rule)
            self._synced_at = time.time()
            if applied:
                self._cache.clear()
            return applied

    async def sync_if_due(self, now: float) -> None:
        """`sync()`, unless one started less than the sync interval before `now` (`time.monotonic()`).

        For the request path: costs one comparison when not due. A failed sync is
        logged, not raised; the grants held keep serving and the next interval retries.
        """
        if now < self._next_sync:
            return
        self._next_sync = now + self._sync_interval
        try:
            await self.sync()
        except Exception:
            log.exception("syncing grant changes failed; retrying in %s s", self._sync_interval)

    # -- loading -----------------------------------------------------------------------

    async def reload(self) -> None:
        """Re-read the model, the policy files and every stored grant, then swap them in.

        On failure (a bad line, a database error) the previous state keeps serving.
        Without an adapter the in-memory grants are carried over. Changes older than
        a day are pruned from the change feed, and syncing starts after the newest.
        """
        async with self._lock:
            feed = None
            if self._adapter is not None and self._adapter.changes is not None:
                feed = await ChangeFeed.open(self._adapter.changes)  # before the grants: see ChangeFeed.open
            was_enabled = gc.isenabled()
            gc.disable()  # hundreds of thousands of new objects: no collections mid-load
            try:
                evaluator = await self._build()
            finally:
                if was_enabled:
                    gc.enable()
            self._evaluator = evaluator
            self._feed = feed
            self._synced_at = time.time()
            self._cache.clear()
        if self._freeze_gc:
            gc.freeze()

    async def _build(self) -> Evaluator:
        model = Model()
        model.load_model(str(self._model_path))
        lines = read_lines(self._policy_paths, self._extra_lines, model)
        managers = {
            ptype: FlatRoleManager(domains=len(assertion.tokens) > 2) for ptype, assertion in (model["g"] or {}).items()
        }
        if self._adapter is not None:
            skipped = 0
            async for batch in self._adapter.load_rows(set(managers), width=3):
                for ptype, rm in managers.items():
                    skipped += rm.load((row for row in batch if row[0] == ptype), offset=1)
            for rm in managers.values():
                rm.finish_load()
            if skipped:
                log.warning("%d stored grants with empty fields were ignored", skipped)
        elif self._evaluator is not None:
            for ptype, old in self._evaluator.role_managers.items():
                if ptype in managers:
                    for name, role, dom in old.links():
                        managers[ptype].add_link(name, role, dom)
        return Evaluator(model, lines, managers)

    # -- internals ---------------------------------------------------------------------

    @property
    def _state(self) -> Evaluator:
        if self._evaluator is None:
            raise RuntimeError("Authorizer not loaded: build it with `await Authorizer.create(...)`")
        return self._evaluator

    def _arity(self, ptype: str) -> int:
        rm = self._state.role_managers.get(ptype)
        if rm is None:
            raise ValueError(
                f"{ptype!r} is not a grant type ({', '.join(self._state.role_managers)}); "
                "policy lines come from files and plugins"
            )
        return 3 if rm.domains else 2

    def _checked(self, ptype: str, values: tuple[str, ...]) -> tuple[str, ...]:
        arity = self._arity(ptype)
        if len(values) != arity:
            raise ValueError(f"a {ptype} grant has {arity} fields, got {len(values)}: {values!r}")
        for value in values:
            if not value or value != value.strip() or "," in value:
                raise ValueError(f"grant fields must be non-empty, without commas or edge spaces: {values!r}")
        return values

    def _apply(self, ptype: str, rule: tuple[str, ...], *, add: bool) -> bool:
        """Change memory only; clear the cache and journal the change if it did anything."""
        rm = self._state.role_managers[ptype]
        changed = rm.add_link(*rule) if add else rm.delete_link(*rule)
        if changed:
            self._cache.clear()
            journal = self._journal.get()
            if journal is not None:
                journal.append((ptype, rule, add))
        return bool(changed)

    def stats(self) -> dict[str, Any]:
        """Sizes for status pages and the benchmark."""
        state = self._state
        return {
            "policy_lines": len(state.policy),
            "grants": {p: rm.link_count() for p, rm in state.role_managers.items()},
            "cached_decisions": len(self._cache),
            "prefilter": state.shape.prefilter_safe,
        }

    def policy_lines(self) -> list[tuple[str, ...]]:
        """Every loaded `p` line with its type first, in evaluation order."""
        return [("p", *rule) for rule in self._state.policy]
