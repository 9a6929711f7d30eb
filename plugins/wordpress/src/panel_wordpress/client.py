"""Talking to a WordPress site: its REST API (core routes and the connector's), and wp-login.

Every failure becomes a `SiteError` whose message can be shown to the user as it is.
Nothing here touches the database.
"""

from __future__ import annotations

import asyncio
import functools
import io
import ipaddress
import re
import socket
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from panel.errors import PanelError

CONNECTOR_FILE = Path(__file__).parent / "connector" / "hostpanel-connector.php"
CONNECTOR_SLUG = "hostpanel-connector/hostpanel-connector"
CONNECTOR_NAMESPACE = "hostpanel/v1"
USER_AGENT = "hostpanel-wordpress/0.1"
MAX_USER_PAGES = 10  # 100 users a page; a site with more shows the first thousand


class SiteError(PanelError):
    """A site could not be reached, is not WordPress, or refused the credentials; `field` names the culprit."""

    status_code = 422


@dataclass(frozen=True)
class SiteInfo:
    """What a site's REST index says about it."""

    home: str  # the address visitors use
    site_url: str  # where WordPress's files are (wp-login.php, wp-admin)
    api_root: str  # "<home>/wp-json" or "<home>/?rest_route="
    name: str
    namespaces: tuple[str, ...]

    @property
    def has_connector(self) -> bool:
        """Whether the hostpanel connector answers on this site."""
        return CONNECTOR_NAMESPACE in self.namespaces


def normalise_url(raw: str) -> str:
    """The site's address without trailing slash; `SiteError` on what is not an http(s) address."""
    url = raw.strip()
    if url and "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SiteError("Enter the site's address, e.g. https://example.com.", field="url")
    if parts.query or parts.fragment or parts.username:
        raise SiteError("Enter the site's address only, without ?, # or a login in it.", field="url")
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


async def check_public(url: str) -> None:
    """Refuse an address that resolves to loopback, private or link-local networks (the panel's own)."""
    host = urlsplit(url).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        raise SiteError(f"The name {host} does not resolve: check the address.", field="url") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise SiteError(f"{host} is on a private network, which this panel does not call.", field="url")


@functools.cache
def shipped_connector_version() -> str:
    """The version in the header of the connector this panel ships (e.g. "1.2.0")."""
    found = re.search(r"^\s*\*\s*Version:\s*([0-9.]+)\s*$", CONNECTOR_FILE.read_text(), re.MULTILINE)
    return found.group(1) if found else ""


def version_key(version: str) -> tuple[int, ...]:
    """A dotted version as numbers, for comparing ("1.10.0" > "1.9.2"); non-numeric parts count as 0."""
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


def connector_zip() -> bytes:
    """The connector packed as a plugin zip (`hostpanel-connector/hostpanel-connector.php`)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(CONNECTOR_FILE, "hostpanel-connector/hostpanel-connector.php")
    return buffer.getvalue()


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


async def discover(url: str, wait: float) -> SiteInfo:
    """Find the site's REST API; `SiteError` on the `url` field if it is unreachable or not WordPress."""
    async with httpx.AsyncClient(timeout=wait, headers={"User-Agent": USER_AGENT}) as http:
        for api_root, target in (
            (f"{url}/wp-json", f"{url}/wp-json/"),
            (f"{url}/?rest_route=", f"{url}/?rest_route=/"),
        ):
            try:
                response = await http.get(target, follow_redirects=True)
            except httpx.HTTPError as exc:
                raise SiteError(f"The site did not answer ({_reason(exc)}): check the address.", field="url") from None
            body = _json(response)
            if response.status_code == 200 and isinstance(body, dict) and "namespaces" in body:
                return _site_info(url, api_root, body)
    raise SiteError("This address answers, but not as a WordPress site (no REST API found).", field="url")


def _site_info(url: str, api_root: str, index: dict[str, Any]) -> SiteInfo:
    if "wp/v2" not in index.get("namespaces", []):
        raise SiteError("This WordPress site has its REST API turned off; the panel needs it.", field="url")
    if "application-passwords" not in (index.get("authentication") or {}):
        raise SiteError(
            "Application passwords are off on this site (WordPress 5.6 or newer, served over HTTPS, is needed).",
            field="url",
        )
    return SiteInfo(
        home=url,
        site_url=str(index.get("url") or url).rstrip("/"),
        api_root=api_root,
        name=str(index.get("name") or ""),
        namespaces=tuple(index.get("namespaces", [])),
    )


def _reason(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "it timed out"
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or no route"
    return type(exc).__name__


async def create_app_password(info: SiteInfo, user: str, password: str, name: str, wait: float) -> tuple[str, str]:
    """Log in as an administrator and create an application password: (password, uuid).

    The login password is used for this one login and not kept. `SiteError` on the
    `password` field when WordPress refuses the login.
    """
    async with httpx.AsyncClient(base_url=info.site_url, timeout=wait, headers={"User-Agent": USER_AGENT}) as http:
        http.cookies.set("wordpress_test_cookie", "WP Cookie check")
        try:
            await http.post(
                "/wp-login.php",
                data={"log": user, "pwd": password, "wp-submit": "Log In", "testcookie": "1"},
            )
            if not any(k.startswith("wordpress_logged_in") for k in http.cookies.keys()):
                raise SiteError("WordPress refused this user name and password.", field="password")
            nonce = (await http.get("/wp-admin/admin-ajax.php", params={"action": "rest-nonce"})).text.strip()
            response = await http.post(
                info.api_root + "/wp/v2/users/me/application-passwords",
                json={"name": name},
                headers={"X-WP-Nonce": nonce},
            )
        except httpx.HTTPError as exc:
            raise SiteError(f"The site stopped answering during the login ({_reason(exc)}).", field="url") from None
        body = _json(response)
        if response.status_code != 201 or not isinstance(body, dict) or "password" not in body:
            message = body.get("message") if isinstance(body, dict) else ""
            raise SiteError(f"WordPress did not create an application password: {message or response.status_code}.")
        return str(body["password"]), str(body.get("uuid", ""))


async def upload_connector(info: SiteInfo, user: str, password: str, wait: float) -> bool:
    """Install the connector as a plugin through wp-admin's upload form; whether it was installed.

    Best effort: a site that forbids file changes (DISALLOW_FILE_MODS, no write access)
    keeps working without the connector, with a smaller inventory.
    """
    async with httpx.AsyncClient(base_url=info.site_url, timeout=wait, headers={"User-Agent": USER_AGENT}) as http:
        http.cookies.set("wordpress_test_cookie", "WP Cookie check")
        try:
            await http.post("/wp-login.php", data={"log": user, "pwd": password, "testcookie": "1"})
            form = await http.get("/wp-admin/plugin-install.php", params={"tab": "upload"})
            match = re.search(r'name="_wpnonce" value="([0-9a-f]+)"', form.text)
            if not match:
                return False
            done = await http.post(
                "/wp-admin/update.php",
                params={"action": "upload-plugin"},
                data={"_wpnonce": match.group(1), "install-plugin-submit": "Install Now"},
                files={"pluginzip": ("hostpanel-connector.zip", connector_zip(), "application/zip")},
            )
        except httpx.HTTPError:
            return False
        return done.status_code == 200 and "hostpanel-connector" in done.text


class SiteClient:
    """The REST API of one site, as its connected user (application password)."""

    def __init__(self, api_root: str, user: str, app_password: str, timeout: float) -> None:
        self.api_root = api_root
        self.http = httpx.AsyncClient(
            auth=(user, app_password), timeout=timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=True
        )

    async def __aenter__(self) -> SiteClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def call(self, method: str, route: str, **kwargs: Any) -> httpx.Response:
        """One request; `SiteError` when the site cannot be reached or answers 401/403."""
        try:
            response = await self.http.request(method, self.api_root + route, **kwargs)
        except httpx.HTTPError as exc:
            raise SiteError(f"The site did not answer ({_reason(exc)}).", field="url") from None
        if response.status_code in (401, 403):
            body = _json(response)
            code = body.get("code", "") if isinstance(body, dict) else ""
            if code in ("incorrect_password", "invalid_username", "invalid_email", "rest_not_logged_in"):
                raise SiteError("WordPress refused this user name and application password.", field="app_password")
            raise SiteError("This WordPress user may not do that (an administrator is needed).", field="user")
        return response

    async def get_json(self, route: str, **params: Any) -> Any:
        """GET a route and return its JSON; `SiteError` on anything but a JSON 200."""
        response = await self.call("GET", route, params=params or None)
        body = _json(response)
        if response.status_code != 200 or body is None:
            detail = body.get("message") if isinstance(body, dict) else f"HTTP {response.status_code}"
            raise SiteError(f"The site answered {route} with an error: {detail}.")
        return body

    async def me(self) -> dict[str, Any]:
        """The connected user (with roles and capabilities)."""
        body = await self.get_json("/wp/v2/users/me", context="edit")
        return body if isinstance(body, dict) else {}

    async def users(self) -> list[dict[str, Any]]:
        """Every user of the site (up to `MAX_USER_PAGES` pages of 100)."""
        found: list[dict[str, Any]] = []
        for page in range(1, MAX_USER_PAGES + 1):
            response = await self.call("GET", "/wp/v2/users", params={"context": "edit", "per_page": 100, "page": page})
            body = _json(response)
            if response.status_code != 200 or not isinstance(body, list):
                raise SiteError("The site did not list its users.")
            found.extend(body)
            if page >= int(response.headers.get("X-WP-TotalPages", "1") or 1):
                break
        return found

    async def inventory(self) -> dict[str, Any] | None:
        """Versions, plugins, themes and pending updates, asking wordpress.org again; None without the connector."""
        response = await self.call("GET", f"/{CONNECTOR_NAMESPACE}/inventory", params={"refresh": "1"})
        body = _json(response)
        if response.status_code == 404 and isinstance(body, dict) and body.get("code") == "rest_no_route":
            return None
        if response.status_code != 200 or not isinstance(body, dict):
            detail = body.get("message") if isinstance(body, dict) else f"HTTP {response.status_code}"
            raise SiteError(f"The connector answered with an error: {detail}.")
        return body

    async def core_inventory(self) -> dict[str, Any]:
        """What core REST tells without the connector: plugins and themes, no versions of WordPress or updates."""
        plugins, themes = await asyncio.gather(self.get_json("/wp/v2/plugins"), self.get_json("/wp/v2/themes"))
        return {
            "plugins": [
                {
                    "file": p["plugin"] + ".php" if not p["plugin"].endswith(".php") else p["plugin"],
                    "name": p.get("name", ""),
                    "version": p.get("version", ""),
                    "active": p.get("status") == "active",
                }
                for p in plugins
            ],
            "themes": [
                {
                    "stylesheet": t["stylesheet"],
                    "name": (t.get("name") or {}).get("rendered", t["stylesheet"]),
                    "version": t.get("version", ""),
                    "active": t.get("status") == "active",
                }
                for t in themes
            ],
        }

    async def health(self, tests: tuple[str, ...]) -> list[dict[str, str]]:
        """Run site health tests, two at a time: [{"test", "label", "status"}]; a failed test is "unknown"."""
        gate = asyncio.Semaphore(2)  # the loopback test needs a free PHP worker on small sites

        async def one(test: str) -> dict[str, str]:
            async with gate:
                try:
                    body = await self.get_json(f"/wp-site-health/v1/tests/{test}")
                except SiteError as exc:
                    return {"test": test, "label": exc.message, "status": "unknown"}
            return {"test": test, "label": str(body.get("label", test)), "status": str(body.get("status", "unknown"))}

        return list(await asyncio.gather(*(one(t) for t in tests)))

    async def activate_plugin(self, plugin: str) -> bool:
        """Activate a plugin (`dir/file` without .php); whether it is active now."""
        response = await self.call("POST", f"/wp/v2/plugins/{plugin}", json={"status": "active"})
        body = _json(response)
        return response.status_code == 200 and isinstance(body, dict) and body.get("status") == "active"

    async def revoke(self, uuid: str) -> bool:
        """Delete one of the connected user's application passwords; whether the site confirmed."""
        response = await self.call("DELETE", f"/wp/v2/users/me/application-passwords/{uuid}")
        return response.status_code == 200
