"""`panel support receive`: the inbound mail receiver as its own process, behind a mail server."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import click


@click.group("support")
def support_group() -> None:
    """The help desk."""


@support_group.command("receive")
@click.option(
    "--listen",
    default="",
    help="host:port to listen on (default: PANEL_CORE_SUPPORT_INBOUND_SMTP, else 127.0.0.1:2525).",
)
@click.option("--lmtp", is_flag=True, help="Speak LMTP instead of SMTP (Postfix `lmtp:` transport).")
def receive_command(listen: str, lmtp: bool) -> None:
    """Receive replies by email (and new tickets) until stopped with Ctrl-C or SIGTERM.

    Notifications it causes are queued in the outbox; the web app's mail loop sends them.
    """
    from panel.cli import _ctx
    from panel.core.support.config import config_of
    from panel.core.support.inbound_server import InboundServer, parse_listen

    ctx = _ctx()
    config = config_of(ctx.settings)
    address = listen or config.inbound_smtp or "127.0.0.1:2525"
    try:
        host, port = parse_listen(address)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--listen") from None

    async def work(authz: Any) -> None:
        server = InboundServer(host, port, authz, config, lmtp=lmtp)
        try:
            await server.start()
        except OSError as exc:
            raise click.ClickException(f"cannot listen on {address}: {exc}") from None
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopped.set)
        click.echo(f"receiving help desk mail on {server.host}:{server.port} ({'LMTP' if lmtp else 'SMTP'})")
        await server.serve_until(stopped)

    ctx.run(work)
