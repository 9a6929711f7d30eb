"""The wordpress plugin's rules: connecting a site, refreshing its inventory, ignoring updates, disconnecting.

No HTTP handling here; routes, the API and jobs call these. Callers have already asked
the rules engine; these functions scope every read by account, so another account's
site is "not found".
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from panel.core import db
from panel.core.services.tables import Service
from panel.errors import NotFound, ValidationFailed
from panel.settings import Settings

from panel_wordpress import client, site_ops, vault
from panel_wordpress.client import SiteClient, SiteError
from panel_wordpress.config import config_of
from panel_wordpress.tables import ItemKind, SiteStatus, WordpressIgnored, WordpressItem, WordpressSite, WordpressUser

log = logging.getLogger("panel.wordpress")

ALREADY_CONNECTED = "This site is already connected to this account."
HEALTH_ORDER = {"good": 0, "unknown": 1, "recommended": 2, "critical": 3}


@dataclass(frozen=True)
class ConnectRequest:
    """What the connect form and the API take.

    `method` is "login" (an administrator's user name and password: the panel creates an
    application password and forgets the login password) or "app_password" (a user name
    and an application password made on the site).
    """

    url: str
    method: str
    user: str
    password: str = ""
    app_password: str = ""
    service_id: int | None = None


@dataclass(frozen=True)
class Connected:
    """The outcome of a connect: the new site, and whether its first refresh worked."""

    site_id: int
    refreshed: bool
    connector: bool


def _check_form(req: ConnectRequest) -> None:
    errors: dict[str, str] = {}
    if req.method not in ("login", "app_password"):
        errors["method"] = "Choose how to connect: an administrator login or an application password."
    if not req.user.strip():
        errors["user"] = "Enter the WordPress user name."
    if req.method == "login" and not req.password:
        errors["password"] = "Enter the administrator's password."  # noqa: S105 (a message)
    if req.method == "app_password" and not req.app_password.strip():
        errors["app_password"] = "Enter the application password (Users → Profile → Application Passwords)."  # noqa: S105
    if not req.url.strip():
        errors["url"] = "Enter the site's address, e.g. https://example.com."
    if errors:
        raise ValidationFailed(errors)


async def _check_service(account_id: int, service_id: int | None) -> None:
    if service_id is None:
        return
    if not await Service.exists().where((Service.id == service_id) & (Service.account == account_id)):
        raise ValidationFailed({"service_id": "Choose one of this account's services, or none."})


async def connect(settings: Settings, account_id: int, user_id: int | None, req: ConnectRequest) -> Connected:
    """Verify the credentials against the site, store the site and read its inventory.

    Nothing is stored when the site is unreachable, is not WordPress or refuses the
    credentials (`ValidationFailed` naming the field). The site's first refresh runs
    here; when it fails the site is kept with the error shown.
    """
    _check_form(req)
    cfg = config_of(settings)
    try:
        url = client.normalise_url(req.url)
        if not cfg.allow_private_hosts:
            await client.check_public(url)
    except SiteError as exc:
        raise ValidationFailed({"url": exc.message}) from None
    await _check_service(account_id, req.service_id)
    if await WordpressSite.exists().where((WordpressSite.account == account_id) & (WordpressSite.url == url)):
        raise ValidationFailed({"url": ALREADY_CONNECTED})
    user = req.user.strip()
    try:
        info = await client.discover(url, cfg.timeout)
        uuid = ""
        if req.method == "login":
            password, uuid = await client.create_app_password(  # the login password is not kept
                info, user, req.password, cfg.app_password_name, cfg.timeout
            )
        else:
            password = req.app_password.strip()
        connector = info.has_connector
        async with SiteClient(info.api_root, user, password, cfg.timeout) as site:
            try:
                await _check_admin(await site.me())
                if not connector and req.method == "login" and cfg.install_connector:
                    connector = await _install_connector(site, info, user, req.password, cfg.timeout)
            except SiteError:
                if uuid:
                    await site.revoke(uuid)  # leave nothing behind on the site either
                raise
    except SiteError as exc:
        raise ValidationFailed({exc.field or "url": exc.message}) from None

    try:
        async with db.write_transaction():
            rows = await WordpressSite.insert(
                WordpressSite(
                    account=account_id,
                    service=req.service_id,
                    url=url,
                    api_root=info.api_root,
                    admin_url=info.site_url + "/wp-admin/",
                    name=info.name[:200],
                    wp_user=user,
                    app_password=vault.seal(settings, password),
                    app_password_uuid=uuid,
                    connected_by=user_id,
                )
            ).returning(WordpressSite.id)
    except Exception as exc:  # the unique index (account, url): another connect of this site won the race
        if not _is_unique_violation(exc):
            raise
        if uuid:  # the application password made for this connect is not needed: leave nothing behind
            async with SiteClient(info.api_root, user, password, cfg.timeout) as site:
                try:
                    await site.revoke(uuid)
                except SiteError:
                    log.info("could not delete the spare application password on %s", url)
        raise ValidationFailed({"url": ALREADY_CONNECTED}) from None
    site_id = int(rows[0]["id"])
    refreshed = await refresh(settings, site_id)
    return Connected(site_id, refreshed, connector)


def _is_unique_violation(exc: BaseException) -> bool:
    """Whether a write failed on a unique index (sqlite3.IntegrityError, or asyncpg's UniqueViolationError)."""
    if isinstance(exc, sqlite3.IntegrityError):
        return "unique" in str(exc).lower()
    return type(exc).__name__ == "UniqueViolationError"


async def _check_admin(me: dict[str, Any]) -> None:
    caps = me.get("capabilities") or {}
    if not (caps.get("update_plugins") or caps.get("update_core") or "administrator" in (me.get("roles") or [])):
        raise SiteError("This user is not an administrator of the site; connect with an administrator.", field="user")


async def _install_connector(site: SiteClient, info: client.SiteInfo, user: str, password: str, wait: int) -> bool:
    """Upload and activate the connector plugin with the administrator login; whether it now answers."""
    if not await client.upload_connector(info, user, password, wait):
        log.info("connector upload refused by %s", info.home)
        return False
    return await site.activate_plugin(client.CONNECTOR_SLUG)


async def site_row(account_id: int, site_id: int) -> dict[str, Any]:
    """The account's site as a row; `NotFound` for another account's or a missing one."""
    row = await (
        WordpressSite.select().where((WordpressSite.id == site_id) & (WordpressSite.account == account_id)).first()
    )
    if row is None:
        raise NotFound("There is no such WordPress site in this account.")
    return dict(row)


def _site_client(settings: Settings, row: dict[str, Any]) -> SiteClient:
    password = vault.unseal(settings, row["app_password"])
    return SiteClient(row["api_root"], row["wp_user"], password, config_of(settings).timeout)


async def refresh(settings: Settings, site_id: int) -> bool:
    """Read the site's inventory, users and health and store them; whether it worked.

    A failure is stored on the site (`status` error, `last_error`) and the inventory of
    the last good refresh is kept; it is not raised, so a job refreshing many sites goes on.
    """
    row = await WordpressSite.select().where(WordpressSite.id == site_id).first()
    if row is None:
        return False
    cfg = config_of(settings)
    try:
        async with _site_client(settings, row) as site:
            inventory = await site.inventory() or await site.core_inventory()
            if cfg.upgrade_connector:
                await _upgrade_connector(site, row, inventory)
            users = await site.users()
            health = await site.health(cfg.health_tests)
    except (SiteError, vault.CredentialsUnreadable) as exc:
        await WordpressSite.update(
            {WordpressSite.status: SiteStatus.ERROR, WordpressSite.last_error: exc.message}
        ).where(WordpressSite.id == site_id)
        return False
    await _store(site_id, inventory, users, health)
    return True


async def _upgrade_connector(site: SiteClient, row: dict[str, Any], inventory: dict[str, Any]) -> None:
    """Replace an older connector by the shipped one; on success `inventory` names the new version.

    A site whose connector cannot (older than 1.2), may not (file changes forbidden) or
    did not take it keeps its connector; that is logged, never a failed refresh.
    """
    have = str(inventory.get("connector_version") or "")
    ship = client.shipped_connector_version()
    if not have or client.version_key(have) >= client.version_key(ship):
        return
    try:
        done = await site_ops.upgrade_connector(site, client.CONNECTOR_FILE.read_bytes())
    except SiteError as exc:
        log.info("connector of %s stays %s: %s", row["url"], have, exc.message)
        return
    if done.status == "updated":
        inventory["connector_version"] = done.to_version
        log.info("connector of %s upgraded from %s to %s", row["url"], have, done.to_version)


async def _store(
    site_id: int, inventory: dict[str, Any], users: list[dict[str, Any]], health: list[dict[str, str]]
) -> None:
    wanted: dict[tuple[str, str], dict[str, Any]] = {}
    wp_version = str(inventory.get("wp_version") or "")
    if wp_version:
        offer = inventory.get("core_update") or {}
        wanted[(ItemKind.CORE, "wordpress")] = {
            "name": "WordPress",
            "version": wp_version,
            "new_version": str(offer.get("version") or ""),
            "active": True,
        }
    for p in inventory.get("plugins", []):
        wanted[(ItemKind.PLUGIN, str(p["file"]))] = {
            "name": str(p.get("name", "")),
            "version": str(p.get("version", "")),
            "new_version": str(p.get("new_version") or ""),
            "active": bool(p.get("active")),
        }
    for t in inventory.get("themes", []):
        wanted[(ItemKind.THEME, str(t["stylesheet"]))] = {
            "name": str(t.get("name", "")),
            "version": str(t.get("version", "")),
            "new_version": str(t.get("new_version") or ""),
            "active": bool(t.get("active")),
        }
    worst = max((h["status"] for h in health), key=lambda s: HEALTH_ORDER.get(s, 1), default="")
    now = datetime.now(UTC)
    async with db.write_transaction():
        existing = await WordpressItem.select(WordpressItem.id, WordpressItem.kind, WordpressItem.slug).where(
            WordpressItem.site == site_id
        )
        known = {(r["kind"], r["slug"]): r["id"] for r in existing}
        gone = [item_id for key, item_id in known.items() if key not in wanted]
        if gone:
            await WordpressItem.delete().where(WordpressItem.id.is_in(gone))
        fresh = []
        for (kind, slug), values in wanted.items():
            if (kind, slug) in known:
                changes: dict[Any, Any] = {**values, "updated_at": now}
                await WordpressItem.update(changes).where(WordpressItem.id == known[(kind, slug)])
            else:
                fresh.append(WordpressItem(site=site_id, kind=kind, slug=slug[:255], updated_at=now, **values))
        if fresh:
            await WordpressItem.insert(*fresh)
        await WordpressUser.delete().where(WordpressUser.site == site_id)
        if users:
            await WordpressUser.insert(*(_user(site_id, u) for u in users))
        name: dict[Any, Any] = {WordpressSite.name: str(inventory["name"])[:200]} if inventory.get("name") else {}
        await WordpressSite.update(
            {
                **name,
                WordpressSite.connector_version: str(inventory.get("connector_version") or ""),
                WordpressSite.wp_version: wp_version,
                WordpressSite.php_version: str(inventory.get("php_version") or ""),
                WordpressSite.db_version: str(inventory.get("db_version") or "")[:100],
                WordpressSite.health: health,
                WordpressSite.health_status: worst,
                WordpressSite.status: SiteStatus.OK,
                WordpressSite.last_error: "",
                WordpressSite.refreshed_at: now,
            }
        ).where(WordpressSite.id == site_id)
        await recount(site_id)


def _user(site_id: int, u: dict[str, Any]) -> WordpressUser:
    return WordpressUser(
        site=site_id,
        wp_id=int(u.get("id", 0)),
        username=str(u.get("username") or u.get("slug") or "")[:100],
        email=str(u.get("email") or "")[:254],
        name=str(u.get("name") or "")[:200],
        roles=",".join(u.get("roles") or [])[:200],
    )


_RECOUNT_SQL = """
SELECT i.kind AS kind, COUNT(*) AS n, MAX(i.new_version) AS top FROM wordpress_item i
WHERE i.site = {} AND i.new_version <> '' AND NOT EXISTS (
  SELECT 1 FROM wordpress_ignored g WHERE g.site = i.site AND g.kind = i.kind AND g.slug = i.slug
  AND (g.version = '' OR g.version = i.new_version))
GROUP BY i.kind
"""


async def recount(site_id: int) -> None:
    """Store the site's counts of pending updates, leaving out ignored ones (one query, one update)."""
    counts = {r["kind"]: r for r in await db.fetch(_RECOUNT_SQL, site_id)}
    await WordpressSite.update(
        {
            WordpressSite.core_update: str(counts[ItemKind.CORE]["top"]) if ItemKind.CORE in counts else "",
            WordpressSite.plugin_updates: int(counts[ItemKind.PLUGIN]["n"]) if ItemKind.PLUGIN in counts else 0,
            WordpressSite.theme_updates: int(counts[ItemKind.THEME]["n"]) if ItemKind.THEME in counts else 0,
        }
    ).where(WordpressSite.id == site_id)


async def ignore(account_id: int, site_id: int, item_id: int, user_id: int | None, every_version: bool = False) -> None:
    """Stop counting the update offered for one item (that version, or every version)."""
    await site_row(account_id, site_id)
    item = await WordpressItem.select().where((WordpressItem.id == item_id) & (WordpressItem.site == site_id)).first()
    if item is None:
        raise NotFound("There is no such plugin, theme or core on this site.")
    async with db.write_transaction():
        await WordpressIgnored.insert(
            WordpressIgnored(
                site=site_id,
                kind=item["kind"],
                slug=item["slug"],
                version="" if every_version else item["new_version"],
                created_by=user_id,
            )
        )
        await recount(site_id)


async def unignore(account_id: int, site_id: int, ignored_id: int) -> None:
    """Count an ignored update again."""
    await site_row(account_id, site_id)
    async with db.write_transaction():
        await WordpressIgnored.delete().where((WordpressIgnored.id == ignored_id) & (WordpressIgnored.site == site_id))
        await recount(site_id)


async def set_refresh_job(site_id: int, job_id: int) -> None:
    """Remember the refresh asked for from a page or the API, so the site page can show its progress."""
    await WordpressSite.update({WordpressSite.refresh_job: job_id}).where(WordpressSite.id == site_id)


async def disconnect(settings: Settings, account_id: int, site_id: int) -> str:
    """Forget the site and everything read from it; what became of the application password.

    "revoked": the panel deleted the one it had created; "own": the user gave it, it
    stays on the site; "failed": the site could not be reached, its owner should
    delete it in WordPress. The site is removed from the panel in every case.
    """
    row = await site_row(account_id, site_id)
    outcome = "own"
    if row["app_password_uuid"]:
        try:
            async with _site_client(settings, row) as site:
                outcome = "revoked" if await site.revoke(row["app_password_uuid"]) else "failed"
        except (SiteError, vault.CredentialsUnreadable):
            outcome = "failed"
    async with db.write_transaction():
        await WordpressSite.delete().where((WordpressSite.id == site_id) & (WordpressSite.account == account_id))
    return outcome
