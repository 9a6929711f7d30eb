"""A flat role manager for pycasbin: grants in plain dicts, nothing built per account.

pycasbin's default domain manager builds and keeps one role manager object per
domain the first time it is asked about it; after touching 100,000 accounts a
process held 1.28 GiB. Our hierarchy is flat (user -> role in an account, account
-> role in an account, user -> staff role, account -> class), so a link question is
one dict lookup: `(name, domain) -> roles`. No transitive search, no pattern
matching functions, no per-domain objects.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from casbin.rbac import RoleManager

Members = tuple[str, ...] | set[str]

# Index buckets stay tuples while small (a tuple of 3 costs 64 bytes, a set 216) and
# become sets past this size, so a partner account with 10,000 children stays O(1).
_SET_FROM = 16


def _bucket_add(index: dict[str, Members], key: str, value: str) -> None:
    bucket = index.get(key)
    if bucket is None:
        index[key] = (value,)
    elif isinstance(bucket, set):
        bucket.add(value)
    elif value not in bucket:
        index[key] = set(bucket) | {value} if len(bucket) + 1 >= _SET_FROM else (*bucket, value)


def _bucket_remove(index: dict[str, Members], key: str, value: str) -> None:
    bucket = index.get(key)
    if bucket is None:
        return
    if isinstance(bucket, set):
        bucket.discard(value)
        rest: Members = bucket
    else:
        rest = tuple(v for v in bucket if v != value)
    if rest:
        index[key] = rest
    else:
        del index[key]


class FlatRoleManager(RoleManager):  # type: ignore[misc]  # pycasbin ships no type hints
    """Links `name -> role` (optionally inside a domain) in flat dicts.

    `domains=True` serves a `g = _, _, _` definition, `False` a `g2 = _, _` one (a
    domain passed to a domain-less manager is ignored, as pycasbin's own manager
    does). `has_link(a, a)` is true, as in pycasbin, so custom matchers behave as
    the Casbin documentation says.

    Not thread-safe: the rules engine uses it from the event loop only.
    """

    def __init__(self, *, domains: bool) -> None:
        self.domains = domains
        # pycasbin's enforcer APIs read these; patterns are not supported here.
        self.matching_func = None
        self.domain_matching_func = None
        self._roles: dict[tuple[str, str], tuple[str, ...]] = {}
        self._domains_of: dict[str, Members] = {}
        self._names_in: dict[str, Members] = {}
        # Equal role tuples are shared: most members hold the same few combinations.
        self._shared: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._count = 0

    def __bool__(self) -> bool:
        # pycasbin's g() treats a falsy manager as "no manager" and compares names.
        return True

    # -- pycasbin RoleManager interface -------------------------------------------------

    def clear(self) -> None:
        """Forget every link."""
        self._roles = {}
        self._domains_of = {}
        self._names_in = {}
        self._shared = {}
        self._count = 0

    def add_link(self, name1: str, name2: str, *domain: str) -> bool:
        """Link `name1` to role `name2` (in `domain`); False if it was there already."""
        dom = sys.intern(domain[0]) if self.domains and domain else ""
        key = (name1, dom)
        roles = self._roles.get(key, ())
        if name2 in roles:
            return False
        new = tuple(sorted((*roles, sys.intern(name2))))
        self._roles[key] = self._shared.setdefault(new, new)
        if self.domains:
            if not roles:
                _bucket_add(self._domains_of, name1, dom)
            _bucket_add(self._names_in, dom, name1)
        self._count += 1
        return True

    def delete_link(self, name1: str, name2: str, *domain: str) -> bool:
        """Remove one link; False if it did not exist (pycasbin's raises instead)."""
        dom = domain[0] if self.domains and domain else ""
        key = (name1, dom)
        roles = self._roles.get(key, ())
        if name2 not in roles:
            return False
        rest = tuple(r for r in roles if r != name2)
        if rest:
            self._roles[key] = self._shared.setdefault(rest, rest)
        else:
            del self._roles[key]
            if self.domains:
                _bucket_remove(self._domains_of, name1, dom)
                _bucket_remove(self._names_in, dom, name1)
        self._count -= 1
        return True

    def has_link(self, name1: str, name2: str, *domain: str) -> bool:
        """The hot call from the matcher: one dict lookup."""
        if name1 == name2:
            return True
        roles = self._roles.get((name1, domain[0] if self.domains and domain else ""))
        return roles is not None and name2 in roles

    def get_roles(self, name: str, *domain: str) -> list[str]:
        """The roles `name` holds (in `domain`)."""
        return list(self.roles_of(name, domain[0] if domain else ""))

    def get_users(self, name: str, *domain: str) -> list[str]:
        """The names holding role `name` (in `domain`); scans, meant for tools, not requests."""
        dom = domain[0] if domain else None
        return [link[0] for link in self.links(domain=dom) if link[1] == name]

    def print_roles(self) -> None:
        """Pycasbin calls this after building links; there is nothing worth logging."""

    def add_matching_func(self, fn: Any = None) -> None:
        """Pattern roles would need a scan per question; refused on purpose."""
        raise NotImplementedError("FlatRoleManager does not support matching functions")

    def add_domain_matching_func(self, fn: Any = None) -> None:
        """Pattern domains would need a scan per question; refused on purpose."""
        raise NotImplementedError("FlatRoleManager does not support domain matching functions")

    # -- bulk loading -------------------------------------------------------------------

    def load(self, rows: Iterable[Sequence[str]], offset: int = 0) -> int:
        """Add many links fast (start-up): `row[offset:]` is name, role[, domain].

        Rows with an empty field are skipped and counted. Indexes and shared tuples are
        left stale until `finish_load()`, which must follow the last batch; until then
        only `has_link` and `roles_of` are right.
        """
        roles = self._roles
        intern = sys.intern
        domains = self.domains
        skipped = 0
        for row in rows:
            name, role = row[offset], row[offset + 1]
            dom = row[offset + 2] if domains else ""
            if not name or not role or (domains and not dom):
                skipped += 1
                continue
            key = (name, intern(dom))
            have = roles.get(key)
            if have is None:
                roles[key] = (intern(role),)
            elif role not in have:
                roles[key] = (*have, intern(role))
        return skipped

    def finish_load(self) -> None:
        """Rebuild the indexes, the count and the shared role tuples from the links."""
        shared: dict[tuple[str, ...], tuple[str, ...]] = {}
        share = shared.setdefault
        count = 0
        roles = self._roles
        for key, have in roles.items():
            ordered = have if len(have) == 1 else tuple(sorted(have))
            roles[key] = share(ordered, ordered)
            count += len(ordered)
        self._shared = shared
        self._count = count
        if not self.domains:
            return
        domains_of: defaultdict[str, list[str]] = defaultdict(list)
        names_in: defaultdict[str, list[str]] = defaultdict(list)
        for name, dom in roles:
            domains_of[name].append(dom)
            names_in[dom].append(name)
        self._domains_of = {k: tuple(v) if len(v) < _SET_FROM else set(v) for k, v in domains_of.items()}
        self._names_in = {k: tuple(v) if len(v) < _SET_FROM else set(v) for k, v in names_in.items()}

    # -- helpers for the engine ---------------------------------------------------------

    def roles_of(self, name: str, domain: str = "") -> tuple[str, ...]:
        """The roles `name` holds in `domain` ('' for a domain-less manager), no copy."""
        return self._roles.get((name, domain if self.domains else ""), ())

    def links(self, name: str | None = None, domain: str | None = None) -> Iterator[tuple[str, str, str]]:
        """Every link as `(name, role, domain)`, optionally only one name or domain.

        Uses the per-name or per-domain index when given one; a scan otherwise.
        """
        if not self.domains:
            domain = None
            keys: Any = [(name, "")] if name is not None else list(self._roles)
        elif name is not None and domain is not None:
            keys = [(name, domain)]
        elif name is not None:
            keys = [(name, d) for d in self._domains_of.get(name, ())]
        elif domain is not None:
            keys = [(n, domain) for n in self._names_in.get(domain, ())]
        else:
            keys = list(self._roles)
        for key in keys:
            for role in self._roles.get(key, ()):
                yield key[0], role, key[1]

    def link_count(self) -> int:
        """How many links are held (not `__len__`: pycasbin tests managers for truth)."""
        return self._count
