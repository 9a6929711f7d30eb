"""A pool of connections shared by every event loop of the process (SQLite's are not tied to one)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class SharedPool(Generic[T]):
    """At most `size` resources, shared by any event loop in any thread, handed out first come first served.

    A waiter is a future of the loop that waits; a released resource goes straight to
    the oldest live waiter (through `call_soon_threadsafe`, since it may sit on another
    loop's thread). `None` handed to a waiter means "a slot is free: open one".
    """

    def __init__(self, size: int, opener: Callable[[], Awaitable[T]], closer: Callable[[T], Awaitable[None]]) -> None:
        self.size = size
        self._open = opener
        self._close = closer
        self._lock = threading.Lock()
        self._idle: list[T] = []
        self._count = 0
        self._waiters: deque[asyncio.Future[T | None]] = deque()

    @property
    def opened(self) -> int:
        """How many resources exist (idle or in use)."""
        return self._count

    async def acquire(self, wait: float | None = None) -> T:
        """A resource: an idle one, a new one while below `size`, else the next one released.

        Raises TimeoutError after `wait` seconds of waiting (None: no limit).
        """
        with self._lock:
            if self._idle:
                return self._idle.pop()
            if self._count < self.size:
                self._count += 1
                waiter = None
            else:
                waiter = asyncio.get_running_loop().create_future()
                self._waiters.append(waiter)
        if waiter is not None:
            try:
                got: T | None = await asyncio.wait_for(waiter, wait)
            except BaseException:
                if waiter.done() and not waiter.cancelled():  # handed over just as we gave up
                    self._hand_back(waiter.result())
                raise
            if got is not None:
                return got
        try:
            return await self._open()
        except BaseException:
            self._hand_back(None)
            raise

    def release(self, item: T) -> None:
        """Give a resource back (to the oldest waiter, or to the idle list)."""
        self._hand_back(item)

    def _hand_back(self, item: T | None) -> None:
        """Pass `item` (or a free slot, for None) to the oldest live waiter, else keep it."""
        with self._lock:
            while self._waiters:
                waiter = self._waiters.popleft()
                if waiter.done():
                    continue
                loop = waiter.get_loop()
                try:
                    if loop is _running_loop():
                        loop.call_soon(self._deliver, waiter, item)
                    else:  # another thread's loop: wake it up
                        loop.call_soon_threadsafe(self._deliver, waiter, item)
                except RuntimeError:  # that loop is closed
                    continue
                return
            if item is None:
                self._count -= 1
            else:
                self._idle.append(item)

    def _deliver(self, waiter: asyncio.Future[T | None], item: T | None) -> None:
        if waiter.done():  # cancelled or timed out meanwhile: the next waiter gets it
            self._hand_back(item)
        else:
            waiter.set_result(item)

    async def discard(self, item: T) -> None:
        """Close a resource that must not be reused (it frees its slot)."""
        try:
            await self._close(item)
        finally:
            self._hand_back(None)

    async def close_idle(self) -> int:
        """Close every idle resource; returns how many. Those in use are kept (they come back as idle)."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._count -= len(idle)
        for item in idle:
            with contextlib.suppress(Exception):
                await self._close(item)
        return len(idle)
