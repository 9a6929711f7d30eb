"""A live panel and Chromium for browser tests (core's `tests/browser/` and the plugins' own).

`start_live_server` runs `panel serve` in its own process on a free port, on this run's
database (SQLite file or a fresh PostgreSQL database), after loading the demo data;
`launch_chromium` starts Debian's Chromium, headless, driven by Playwright.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support import SECRET, _create_pg_database, _worker, free_port, need_service

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@dataclass(frozen=True)
class LiveServer:
    """A running panel: its base URL, the demo logins (email -> password) and its environment."""

    base: str
    passwords: Mapping[str, str]
    env: Mapping[str, str]
    cwd: Path

    def panel(self, *args: str) -> str:
        """Run a `panel` CLI command against the same database; returns its output."""
        done = subprocess.run(
            [sys.executable, "-m", "panel", *args],
            env=dict(self.env),
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.cwd,
            check=True,
        )
        return done.stdout


def _wait_for_port(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    import socket

    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"panel serve did not start:\n{log.read_text(errors='replace')}") from None
            time.sleep(0.2)


def start_live_server(tmp: Path, name: str, extra_env: Mapping[str, str] | None = None) -> Iterator[LiveServer]:
    """Load the demo data, serve, yield the server, stop it."""
    if os.environ.get("PANEL_TEST_DATABASE") == "postgres":
        url = asyncio.run(_create_pg_database(os.environ["PANEL_TEST_PG_URL"], f"hostpanel_{name}_{_worker()}"))
    else:
        url = f"sqlite:///{tmp / 'live.sqlite3'}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANEL_")}
    env.update(
        {"PANEL_DATABASE_URL": url, "PANEL_SECRET_KEY": SECRET, "PANEL_DATA_DIR": str(tmp), "PANEL_BASE_URL": base}
    )
    env.update(extra_env or {})
    server = LiveServer(base, {}, env, tmp)
    demo = server.panel("demo")
    passwords = {
        parts[0]: parts[1]
        for parts in (line.split() for line in demo.splitlines())
        if len(parts) >= 2 and "@" in parts[0]
    }
    server = LiveServer(base, passwords, env, tmp)
    log = tmp / "server.log"  # a file, not a pipe: nobody reads a pipe while tests run, and a full one blocks
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "panel", "serve", "--port", str(port)],
            env=env,
            cwd=tmp,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    _wait_for_port(process, port, log)
    try:
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def launch_chromium() -> Iterator[Any]:
    """Debian's Chromium, headless (skipped locally, failed in CI, when it is missing)."""
    if not Path(CHROMIUM).exists():
        need_service("Chromium (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield b
        finally:
            b.close()
