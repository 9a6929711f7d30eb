"""Helpers of the self-service tests (import as `profile_support`)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import factories as f
from litestar import Litestar
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]
BASE_URL = "https://panel.example.net"


def text_of(message: Any) -> str:
    """The plain-text part of an email."""
    return str(message.get_body(("plain",)).get_content())


def link_path(message: Any, prefix: str) -> str:
    """The path of the first link in an email that starts with `BASE_URL + prefix`."""
    match = re.search(re.escape(BASE_URL + prefix) + r"[A-Za-z0-9_-]+", text_of(message))
    assert match, f"no {prefix} link in:\n{text_of(message)}"
    return urlsplit(match.group(0)).path


async def post_form(client: Client, path: str, **fields: str) -> Any:
    """POST a form with the CSRF token, without following the redirect."""
    return await client.post(path, data={**fields, "_csrf_token": f.csrf(client)}, follow_redirects=False)


def api_headers(client: Client) -> dict[str, str]:
    """Headers of a cookie-authenticated unsafe API call."""
    return {"x-csrftoken": f.csrf(client)}


async def login_as(client: Client, email: str, password: str = f.PASSWORD) -> None:
    """Forget any earlier login and log in through the form."""
    client.cookies.clear()
    answer = await f.login(client, email, password)
    assert answer.status_code in (302, 303), answer.text


async def other_browser(client: Client, email: str, password: str = f.PASSWORD, agent: str = "") -> Client:
    """A second browser on the running app of `client`, logged in as `email`.

    It shares the first client's event-loop portal, so the app's start-up is not run
    again and both talk to the same running app.
    """
    other: Client = AsyncTestClient(app=client.app, base_url=str(client.base_url))
    other.blocking_portal = client.blocking_portal
    other.headers["user-agent"] = agent or "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    await login_as(other, email, password)
    return other
