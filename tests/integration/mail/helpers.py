"""Helpers of the email tests: running an app, and a plugin that sends email from a request."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response, post
from litestar.params import URLEncodedBody
from litestar.testing import AsyncTestClient
from support import empty_tables

from panel.core import db
from panel.core.authz.guard import requires
from panel.core.mail import services
from panel.errors import PanelError
from panel.plugin import PluginMeta, hookimpl
from panel.settings import Settings

Client = AsyncTestClient[Litestar]
BASE_URL = "http://testserver.local"


def set_env(settings: Settings, **env: str) -> Settings:
    """Add environment variables that plugins read when the app is built."""
    settings.values["_environ"] = {**settings.values["_environ"], **env}
    return settings


@contextlib.asynccontextmanager
async def running(application: Litestar) -> AsyncIterator[Client]:
    """A client of `application` on emptied tables, its start-up and shutdown run."""
    await empty_tables()
    async with AsyncTestClient(app=application, base_url=BASE_URL) as c:
        yield c


WELCOME = {
    "mail/mailtest/welcome.subject.txt": "Welcome,\n  {{ name }}!\n",
    "mail/mailtest/welcome.txt": "Hello {{ name }},\nyour account is ready: {{ base_url }}/\n",
    "mail/mailtest/welcome.html": (
        '{% extends "mail/layout.html" %}{% block content %}<p>Hello {{ name }}</p>{% endblock %}'
    ),
}


def write_templates(folder: Path, files: dict[str, str]) -> Path:
    """Write template files under `folder`; returns it."""
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


@dataclass
class WelcomeForm:
    """Who to welcome; `fail` makes the request fail after queuing the email."""

    to: str
    name: str = ""
    fail: str = ""


@post("/mailtest/welcome", authz=requires("account:dashboard", "read"))
async def welcome(request: Request[Any, Any, Any], data: URLEncodedBody[WelcomeForm]) -> Response[Any]:
    """Queue a welcome email in a transaction that rolls back when asked to."""
    async with db.write_transaction():
        email_id = await services.send(
            "mailtest/welcome", data.to, {"name": data.name}, account_id=request.state.account_id
        )
        if data.fail:
            raise PanelError("Changed my mind.")
    return Response({"id": email_id}, status_code=201)


class MailTestPlugin:
    """Registers a template folder and a page that sends a welcome email in a transaction."""

    PLUGIN_META = PluginMeta(name="mailtest", version="0.1.0", summary="Sends email from a request (tests).")

    def __init__(self, templates: Path) -> None:
        self.templates = templates

    @hookimpl
    def panel_register_templates(self, register: Callable[[Path], None]) -> None:
        register(self.templates)

    @hookimpl
    def panel_register_routes(self, register: Callable[[Any], None]) -> None:
        register(welcome)
