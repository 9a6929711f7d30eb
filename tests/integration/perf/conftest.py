"""Fixtures of the concurrency tests: the app served over real HTTP (uvicorn on a thread), data made beforehand."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from litestar import Litestar
from support import free_port


@dataclass
class LiveApp:
    """An app served by uvicorn in a thread of its own (its own event loop, as a server process has)."""

    base_url: str
    app: Litestar


@pytest.fixture
async def seed_authz(app: Litestar) -> AsyncIterator[Any]:
    """A rules engine for making test data before the server starts (its lifespan loads the grants)."""
    from panel.app import load_authorizer

    yield await load_authorizer(app.state.settings, app.state.plugins)


@pytest.fixture
def serve(app: Litestar) -> Iterator[Any]:
    """`serve()` starts `app` with uvicorn on a free port and returns a `LiveApp`; stopped after the test."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start() -> LiveApp:
        port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, loop="asyncio", log_level="warning", lifespan="on")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        servers.append((server, thread))
        return LiveApp(f"http://127.0.0.1:{port}", app)

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=30)
