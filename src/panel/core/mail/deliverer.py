"""The background loop of a web process: call `deliver_due` when woken and every few seconds.

It is only a loop; what it does each time is `delivery.deliver_due`, so a job
queue can take its place without touching how email is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from panel.core.mail.config import MailConfig
from panel.core.mail.delivery import DeliveryReport, deliver_due

log = logging.getLogger("panel.mail")


class Deliverer:
    """Runs `deliver_due` in a task of the loop that started it, until stopped."""

    def __init__(self, config: MailConfig) -> None:
        self.config = config
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def running(self) -> bool:
        """Whether the loop is alive."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the loop in the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        self._stopping = False
        self._task = self._loop.create_task(self._run(), name="panel-mail-deliverer")

    def wake(self) -> None:
        """Look at the outbox now; safe from any thread or event loop."""
        loop, event = self._loop, self._event
        if loop is None or event is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(event.set)

    async def stop(self, grace: float = 5.0) -> None:
        """Let the current message finish (up to `grace` seconds), then end the loop."""
        task = self._task
        if task is None:
            return
        self._stopping = True
        if self._event is not None:
            self._event.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None

    async def _run(self) -> None:
        assert self._event is not None
        while not self._stopping:
            self._event.clear()
            report = DeliveryReport()
            try:
                report = await deliver_due(self.config)
            except Exception:  # the database may be away for a moment; try again later
                log.exception("email delivery failed; trying again in %ss", self.config.poll_seconds)
            if self._stopping:
                break
            if report.attempted >= self.config.batch_size and not report.retrying:
                continue  # a full batch went out: there may be more due right now
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), self.config.poll_seconds)
