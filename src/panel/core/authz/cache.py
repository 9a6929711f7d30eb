"""A bounded decision cache that costs one dict lookup on a hit.

Two generations instead of a true LRU: new answers go into `young`; when `young`
is full it becomes `old` and the previous `old` is dropped whole. A hit in `old`
is copied back into `young`, so answers in use survive and idle ones age out. Memory
stays under `max_entries`, a hit is a single `dict.get`, and clearing after a policy
change is two assignments rather than a walk over every entry.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class DecisionCache(Generic[K, V]):
    """Maps request keys to answers, holding at most `max_entries` of them."""

    __slots__ = ("_half", "_old", "_young", "clears")

    def __init__(self, max_entries: int = 100_000) -> None:
        if max_entries < 2:
            raise ValueError("max_entries must be at least 2")
        self._half = max_entries // 2
        self._young: dict[K, V] = {}
        self._old: dict[K, V] = {}
        self.clears = 0

    def get(self, key: K) -> V | None:
        """The cached answer, or None."""
        value = self._young.get(key)
        if value is None:
            value = self._old.get(key)
            if value is not None:
                self.put(key, value)
        return value

    def put(self, key: K, value: V) -> None:
        """Remember an answer; may retire the older generation."""
        young = self._young
        young[key] = value
        if len(young) >= self._half:
            self._old = young
            self._young = {}

    def clear(self) -> None:
        """Forget everything (after any change to grants or policy)."""
        self._young = {}
        self._old = {}
        self.clears += 1

    def __len__(self) -> int:
        return len(self._young) + len(self._old)
