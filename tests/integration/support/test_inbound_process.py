"""`panel support receive`: the receiver as its own process (LMTP, as behind Postfix), on the test database."""

from __future__ import annotations

import asyncio
import os
import signal
import smtplib
import sys
from email.message import EmailMessage

import factories as f
from support import SECRET, free_port

from panel.core.support import services, staff_settings
from panel.core.support.addresses import reply_address
from panel.core.support.tables import SupportMessage


def _lmtp_send(port: int, message: EmailMessage, to: str) -> dict:
    with smtplib.LMTP("127.0.0.1", port, timeout=10) as s:
        return s.send_message(message, to_addrs=[to])


async def test_the_receive_command_files_mail_over_lmtp(client, authz, smtp, migrated, tmp_path):
    ann = await f.user(authz, "ann@example.com")
    agent = await f.user(authz, "agent@example.com", staff="support")
    acme = await f.account(authz, "Acme", ann)
    tech = await staff_settings.save_department(None, {"name": "Technical", "is_active": "on"}, [agent], authz)
    ticket = await services.open_ticket(acme, ann, tech, "Site down", "Down.", "high")
    address = reply_address(ticket)

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANEL_")}
    env.update(
        {
            "PANEL_DATABASE_URL": migrated,
            "PANEL_SECRET_KEY": SECRET,
            "PANEL_DATA_DIR": str(tmp_path / "receiver"),
            "PANEL_CORE_JOBS_WORKER": "false",
        }
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "panel", "support", "receive", "--lmtp", "--listen", f"127.0.0.1:{port}"),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 90)).decode()
        assert f"receiving help desk mail on 127.0.0.1:{port} (LMTP)" in line, line
        message = EmailMessage()
        message["From"] = "ann@example.com"
        message["To"] = address
        message["Subject"] = "Re: Site down"
        message["Message-ID"] = "<lmtp-1@mail.example.com>"
        message.set_content("Up again, thanks!\n\n> Down.")
        assert await asyncio.to_thread(_lmtp_send, port, message, address) == {}
        [reply] = await SupportMessage.select().where(
            (SupportMessage.ticket == ticket) & (SupportMessage.email_message_id == "<lmtp-1@mail.example.com>")
        )
        assert (reply["body"], reply["via"], reply["author"]) == ("Up again, thanks!", "email", ann)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
