"""The running app's mail set-up: its templates, its delivery settings, its deliverer.

The mail plugin's start-up hook builds one `Mailer` from the app (the same Jinja
environment as the pages, so a plugin's template folder overrides email templates
by name), puts it on `app.state.mailer` and installs it as the process's mailer,
which `services.send` uses. The shutdown hook stops and removes it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, TemplateNotFound

from panel.core import db
from panel.core.mail.config import MailConfig
from panel.core.mail.deliverer import Deliverer

TEMPLATE_NAME = re.compile(r"^[a-z0-9_][a-z0-9_-]*(?:/[a-z0-9_][a-z0-9_-]*)*$")

# Piccolo has no after-commit hook: a wake-up for mail queued inside a transaction
# waits for the transaction to end, looking at it this often, at most this long
# (after that the deliverer's regular look finds the message anyway).
COMMIT_POLL_SECONDS = 0.02
COMMIT_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class Rendered:
    """An email rendered from its three templates."""

    subject: str
    text: str
    html: str


class Mailer:
    """Renders email with the app's templates and wakes the deliverer."""

    def __init__(self, environment: Environment, config: MailConfig) -> None:
        self.environment = environment
        # Plain text must not be HTML-escaped; a fresh cache keeps the two apart.
        self.text_environment = environment.overlay(autoescape=False, cache_size=400)
        self.config = config
        self.deliverer: Deliverer | None = None
        self._waiters: set[asyncio.Task[None]] = set()
        self._text_only: set[str] = set()  # templates without an HTML part

    @property
    def delivering(self) -> bool:
        """Whether this process sends email in the background."""
        return self.deliverer is not None and self.deliverer.running

    def render(self, template: str, context: Mapping[str, Any]) -> Rendered:
        """Render `mail/<template>.subject.txt`, `.txt` and (if it exists) `.html`.

        The subject is one line: whitespace, newlines included, is collapsed.
        """
        if not TEMPLATE_NAME.match(template):
            raise ValueError(f"email template name {template!r} is not like 'welcome' or 'plugin/welcome'")
        values = {"base_url": self.config.base_url, **context}
        base = f"mail/{template}"
        subject = self.text_environment.get_template(f"{base}.subject.txt").render(values)
        text = self.text_environment.get_template(f"{base}.txt").render(values)
        html = ""
        if base not in self._text_only:
            try:
                html = self.environment.get_template(f"{base}.html").render(values)
            except TemplateNotFound:
                self._text_only.add(base)  # looked up once: the loaders search every folder each time
        return Rendered(" ".join(subject.split()), text.strip("\n") + "\n", html)

    async def start(self) -> None:
        """Start delivering in the background, if there is an SMTP server and it is wanted."""
        if self.config.smtp is not None and self.config.background and self.deliverer is None:
            self.deliverer = Deliverer(self.config)
            self.deliverer.start()

    async def stop(self) -> None:
        """Stop the background delivery and forget pending wake-ups."""
        for waiter in list(self._waiters):
            waiter.cancel()
        if self.deliverer is not None:
            await self.deliverer.stop()
            self.deliverer = None

    def wake(self) -> None:
        """Tell the deliverer there is mail, now."""
        if self.deliverer is not None:
            self.deliverer.wake()

    def wake_after_commit(self) -> None:
        """Wake the deliverer once the caller's transaction has ended (now if there is none)."""
        if self.deliverer is None:
            return
        transaction = db.engine().current_transaction.get()
        if transaction is None:
            self.wake()
            return
        task = asyncio.get_running_loop().create_task(self._wake_when_done(transaction))
        self._waiters.add(task)
        task.add_done_callback(self._waiters.discard)

    async def _wake_when_done(self, transaction: Any) -> None:
        waited = 0.0
        while waited < COMMIT_WAIT_SECONDS:
            if transaction._committed:  # Piccolo's own flags; no public API says this
                self.wake()
                return
            if transaction._rolled_back:
                return
            await asyncio.sleep(COMMIT_POLL_SECONDS)
            waited += COMMIT_POLL_SECONDS
