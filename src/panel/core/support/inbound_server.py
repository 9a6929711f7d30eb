"""The inbound mail receiver: an SMTP (or LMTP) listener that files replies by email on tickets.

It runs inside the web app when `inbound_smtp` (`PANEL_CORE_SUPPORT_INBOUND_SMTP`) is
set, started and stopped by the plugin's start-up and shutdown hooks, or as its own
process with `panel support receive --listen host:port` behind a mail server (see
docs/support.md for the Postfix transport). Either way it serves on the event loop of
its process, so it shares the database engine and the rules engine with the rest.

The protocol side is aiosmtpd's; the rules are `inbound.deliver`'s. Each transaction
takes one recipient: a second RCPT gets 452, which a sending server answers by
delivering to that recipient in a new transaction, so every DATA reply speaks for
exactly one ticket (and LMTP's one-reply-per-recipient rule holds).
"""

from __future__ import annotations

import asyncio
import logging
import socket

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from litestar import Litestar

from panel.core.authz.engine import Authorizer
from panel.core.support import inbound
from panel.core.support.config import PLUGIN, SupportConfig, config_of
from panel.errors import PluginError
from panel.settings import Settings

log = logging.getLogger("panel.support.inbound")

TEMPORARY_FAILURE = "451 4.3.0 The help desk could not take the message just now; try again later."
MIN_DATA_LIMIT = 32 * 1024 * 1024


def parse_listen(value: str) -> tuple[str, int]:
    """`host:port` (IPv6 hosts in brackets, `[::1]:2525`) as (host, port); a `ValueError` if malformed."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip().removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{value!r} is not host:port (e.g. 127.0.0.1:2525)")
    return host, int(port)


def data_limit(config: SupportConfig) -> int:
    """The largest message taken, in bytes: room for every allowed file base64-encoded, twice over.

    Generous on purpose: an attachment over the per-file limit is left out with a
    note in the ticket, which needs the message to arrive in the first place.
    """
    files = max(1, config.max_attachments) * config.max_attachment_bytes
    return max(MIN_DATA_LIMIT, files * 2 * 4 // 3)


class InboundHandler:
    """aiosmtpd handler: checks each recipient at RCPT, files the message at DATA."""

    def __init__(self, authz: Authorizer) -> None:
        self.authz = authz

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        """Take one recipient per transaction, and only a ticket's or a department's address."""
        if envelope.rcpt_tos:
            return "452 4.5.3 One recipient per message here: send to the others separately."
        try:
            target = await inbound.target_of(address)
        except Exception:
            log.exception("inbound mail to %s: looking up the address failed", address)
            return TEMPORARY_FAILURE
        if target is None:
            log.warning(
                "inbound mail refused: from %s to %s: not a ticket or department address",
                envelope.mail_from or "(none)",
                address,
            )
            return f"550 5.1.1 <{address}>: no such ticket or department address here."
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """File the message on its ticket (or open one) and answer with what became of it."""
        raw = envelope.original_content
        if raw is None:
            content = envelope.content
            raw = content.encode("utf-8", "surrogateescape") if isinstance(content, str) else (content or b"")
        try:
            outcome = await inbound.deliver(raw, envelope.rcpt_tos[0], self.authz)
        except Exception:
            log.exception("inbound mail to %s: filing it failed", envelope.rcpt_tos[0])
            return TEMPORARY_FAILURE
        return outcome.reply


class InboundServer:
    """The listener on one address; `start()` binds it in the running event loop, `stop()` closes it."""

    def __init__(self, host: str, port: int, authz: Authorizer, config: SupportConfig, *, lmtp: bool = False) -> None:
        self.host = host
        self.port = port
        self.lmtp = lmtp
        self.handler = InboundHandler(authz)
        self.data_limit = data_limit(config)
        self._server: asyncio.AbstractServer | None = None

    def _protocol(self) -> SMTP:
        kind = LMTP if self.lmtp else SMTP
        return kind(
            self.handler,
            hostname=socket.gethostname(),
            ident="hostpanel help desk",
            data_size_limit=self.data_limit,
            enable_SMTPUTF8=True,
            decode_data=False,
            loop=asyncio.get_running_loop(),
        )

    async def start(self) -> None:
        """Start listening; an `OSError` if the address cannot be bound."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, host=self.host, port=self.port)
        sockets = self._server.sockets or ()
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        log.info(
            "help desk mail receiver (%s) listening on %s:%s", "LMTP" if self.lmtp else "SMTP", self.host, self.port
        )

    async def stop(self) -> None:
        """Stop listening (a message being received is cut off; its sender retries it)."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()

    async def serve_until(self, stopped: asyncio.Event) -> None:
        """Serve until `stopped` is set, then close."""
        try:
            await stopped.wait()
        finally:
            await self.stop()


# -- inside the web app ------------------------------------------------------------------------

APP_STATE_KEY = "support_inbound"


async def start_in_app(app: Litestar, settings: Settings) -> None:
    """Start the receiver in the web app when `inbound_smtp` is set (the start-up hook).

    Raises:
        PluginError: the setting is malformed or the address cannot be bound.
    """
    config = config_of(settings)
    app.state[APP_STATE_KEY] = None
    if not config.inbound_smtp:
        return
    try:
        host, port = parse_listen(config.inbound_smtp)
        server = InboundServer(host, port, app.state.authz, config)
        await server.start()
    except (ValueError, OSError) as exc:
        raise PluginError(f"{PLUGIN}: cannot receive mail on {config.inbound_smtp}: {exc}") from exc
    app.state[APP_STATE_KEY] = server


async def stop_in_app(app: Litestar) -> None:
    """Stop the receiver the start-up hook started, if any (the shutdown hook)."""
    server = app.state.get(APP_STATE_KEY)
    if isinstance(server, InboundServer):
        await server.stop()
    app.state[APP_STATE_KEY] = None
