"""Login rate limiting: failures counted per address and per email.

Counts live in the process: with several web workers each keeps its own, so the
effective limit is the setting times the number of workers (documented in
docs/security.md).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from panel.errors import TooManyAttempts

WINDOW_SECONDS = 15 * 60


class FailureCounter:
    """Sliding-window counts of failed attempts per key."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        now = self._clock()
        hits = self._hits.get(key)
        if hits is None:
            return deque()
        while hits and now - hits[0] >= WINDOW_SECONDS:
            hits.popleft()
        if not hits:
            del self._hits[key]
        return hits

    def check(self, key: str, limit: int) -> None:
        """Raise `TooManyAttempts` if `key` has `limit` failures in the window."""
        hits = self._recent(key)
        if len(hits) >= limit:
            retry = math.ceil(WINDOW_SECONDS - (self._clock() - hits[0]))
            minutes = max(1, math.ceil(retry / 60))
            raise TooManyAttempts(
                f"Too many failed sign-in attempts. Try again in {minutes} minute{'s' if minutes > 1 else ''}.",
                retry_after=max(1, retry),
            )

    def fail(self, key: str) -> None:
        """Record one failure."""
        self._hits.setdefault(key, deque()).append(self._clock())

    def reset(self, key: str) -> None:
        """Forget failures, after a successful login."""
        self._hits.pop(key, None)
