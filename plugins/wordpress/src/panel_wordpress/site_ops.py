"""Changes made on one site through its REST API: the connector's routes and a few core ones.

Each function takes an open `SiteClient` and returns what the site answered as an
`Outcome` (or raises `SiteError` when the request itself failed: unreachable, refused,
or an HTTP error). Nothing here touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from panel_wordpress.client import CONNECTOR_NAMESPACE, SiteClient, SiteError

CONNECTOR = f"/{CONNECTOR_NAMESPACE}"
MIN_CONNECTOR = (1, 1)  # updates, installs and users need connector 1.1 or newer


@dataclass(frozen=True)
class Outcome:
    """What the site did: `status` as the connector names it, and the versions before and after."""

    status: str
    message: str
    from_version: str = ""
    to_version: str = ""
    slug: str = ""
    active: bool = False
    wp_id: int = 0


def connector_ready(version: str) -> bool:
    """Whether a site's connector version can update, install and manage users (1.1 or newer)."""
    parts = [int(p) for p in version.split(".")[:2] if p.isdigit()]
    return len(parts) == 2 and tuple(parts) >= MIN_CONNECTOR


def _body(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 404 and isinstance(body, dict) and body.get("code") == "rest_no_route":
        raise SiteError(f"The site's connector is too old to {what}: install connector 1.1 and refresh.")
    if response.status_code != 200 or not isinstance(body, dict):
        detail = body.get("message") if isinstance(body, dict) else f"HTTP {response.status_code}"
        raise SiteError(f"The site could not {what}: {detail}.")
    return body


def _outcome(body: dict[str, Any]) -> Outcome:
    return Outcome(
        status=str(body.get("status") or "failed"),
        message=str(body.get("message") or ""),
        from_version=str(body.get("from") or ""),
        to_version=str(body.get("to") or body.get("version") or ""),
        slug=str(body.get("slug") or ""),
        active=bool(body.get("active")),
        wp_id=int(body.get("id") or 0),
    )


async def update_item(site: SiteClient, kind: str, slug: str, wait: float) -> Outcome:
    """Update one item; the connector keeps its files, checks the site and rolls back a breaking update.

    `status`: updated, current, rolled_back, failed or broken.
    """
    response = await site.call("POST", f"{CONNECTOR}/update", json={"kind": kind, "slug": slug}, timeout=wait)
    return _outcome(_body(response, "update it"))


async def upgrade_connector(site: SiteClient, text: bytes) -> Outcome:
    """Send a newer connector file; the connector replaces its own file with it (`updated` or `current`).

    `SiteError` when the site's connector has no such route (older than 1.2), forbids file
    changes (409) or refuses the file.
    """
    files = {"connector": ("hostpanel-connector.php", text, "application/x-php")}
    response = await site.call("POST", f"{CONNECTOR}/self-update", files=files)
    return _outcome(_body(response, "upgrade its connector"))


async def install(
    site: SiteClient,
    kind: str,
    wait: float,
    *,
    slug: str = "",
    package: tuple[str, bytes] | None = None,
    activate: bool = False,
) -> Outcome:
    """Install a plugin or theme by wordpress.org slug or from a zip (name, bytes); status installed/exists/failed."""
    data = {"kind": kind, "slug": slug, "activate": "1" if activate else "0"}
    files = {"package": (package[0], package[1], "application/zip")} if package else None
    response = await site.call("POST", f"{CONNECTOR}/install", data=data, files=files, timeout=wait)
    return _outcome(_body(response, "install it"))


async def switch_theme(site: SiteClient, stylesheet: str) -> Outcome:
    """Switch the active theme (the connector switches back when the site then fails); switched or rolled_back."""
    response = await site.call("POST", f"{CONNECTOR}/theme", json={"stylesheet": stylesheet})
    body = _body(response, "switch the theme")
    return Outcome(str(body.get("status")), str(body.get("message") or ""), slug=str(body.get("active") or ""))


async def set_plugin_status(site: SiteClient, plugin_file: str, active: bool) -> Outcome:
    """Activate or deactivate a plugin (core REST); status active or inactive."""
    route = "/wp/v2/plugins/" + plugin_file.removesuffix(".php")
    response = await site.call("POST", route, json={"status": "active" if active else "inactive"})
    body = _body(response, "activate it" if active else "deactivate it")
    return Outcome(str(body.get("status")), "", slug=plugin_file, active=body.get("status") == "active")


async def delete_plugin(site: SiteClient, plugin_file: str) -> Outcome:
    """Delete a plugin, deactivating it first (core REST refuses to delete an active one)."""
    await set_plugin_status(site, plugin_file, False)
    response = await site.call("DELETE", "/wp/v2/plugins/" + plugin_file.removesuffix(".php"))
    _body(response, "delete it")
    return Outcome("deleted", "Deleted.", slug=plugin_file)


async def create_user(site: SiteClient, username: str, email: str, role: str) -> Outcome:
    """Create a user (WordPress emails the link to set a password); status created, exists or failed."""
    response = await site.call("POST", f"{CONNECTOR}/users", json={"username": username, "email": email, "role": role})
    return _outcome(_body(response, "create the user"))


async def set_role(site: SiteClient, wp_id: int, role: str) -> Outcome:
    """Give a user one role instead of their roles (core REST)."""
    response = await site.call("POST", f"/wp/v2/users/{wp_id}", json={"roles": [role]})
    body = _body(response, "change the role")
    return Outcome("changed", "", wp_id=int(body.get("id") or wp_id))


async def reset_password(site: SiteClient, wp_id: int) -> Outcome:
    """Have WordPress send its own password reset email to the user; status sent or failed."""
    response = await site.call("POST", f"{CONNECTOR}/users/{wp_id}/reset")
    return _outcome(_body(response, "send the reset email"))


async def delete_user(site: SiteClient, wp_id: int, reassign_to: int) -> Outcome:
    """Delete a user, giving their posts and pages to another user of the site (core REST)."""
    response = await site.call("DELETE", f"/wp/v2/users/{wp_id}", params={"force": "true", "reassign": reassign_to})
    _body(response, "delete the user")
    return Outcome("deleted", "Deleted.", wp_id=wp_id)
