"""Sending the update digests: one email per audience and period, never two.

Three audiences, each with its own once-per-period rule (`WordpressDigestSent.key`):

- an account: its own sites, to its owner and/or chosen contacts, on its schedule;
- a reseller account: its clients' sites (accounts bound to its stores), to its owner,
  on its `clients_schedule`;
- the provider: every client's sites, to the `provider_digest_to` addresses, on
  `provider_digest_schedule`.

A digest lists pending core, plugin and theme updates per site, leaving out ignored
ones; when nothing is pending nothing is sent (and nothing is recorded, so updates
that show up later in the period still get their digest). Each digest's row and its
email are written in one transaction: a rerun, a second worker or a retried job finds
the row and sends nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from panel.core import db
from panel.core.contacts.tables import Contact
from panel.core.mail import services as mail
from panel.errors import ValidationFailed
from panel.settings import Settings

from panel_wordpress.digest import contact_ids_of, period_of, sent_key
from panel_wordpress.digest_config import digest_config_of
from panel_wordpress.digest_tables import DigestAudience, DigestSchedule, WordpressDigestSent
from panel_wordpress.tables import ItemKind

log = logging.getLogger("panel.wordpress.digest")

CHUNK = 100  # accounts whose sites one query reads
MAX_LISTED = 200  # sites an aggregate digest lists (the totals count them all)

Progress = Callable[[str], Awaitable[None]]


@dataclass
class SiteDigest:
    """One site's pending updates (account digests list the items)."""

    id: int
    name: str
    url: str
    core: list[dict[str, str]] = field(default_factory=list)
    plugins: list[dict[str, str]] = field(default_factory=list)
    themes: list[dict[str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Updates pending on the site."""
        return len(self.core) + len(self.plugins) + len(self.themes)


@dataclass(frozen=True)
class SiteCounts:
    """One client site's counts (aggregate digests)."""

    id: int
    name: str
    url: str
    account_name: str
    core_update: str
    plugins: int
    themes: int

    @property
    def total(self) -> int:
        """Updates pending on the site."""
        return (1 if self.core_update else 0) + self.plugins + self.themes


@dataclass
class DigestRun:
    """What one run sent: digests per audience."""

    accounts: int = 0
    clients: int = 0
    provider: int = 0

    @property
    def sent(self) -> int:
        """Digests queued by this run."""
        return self.accounts + self.clients + self.provider


def _in(values: list[int]) -> str:
    return ", ".join("{}" for _ in values)


# The SQL below is constant text: the only values are the `{}` arguments (and `{}` lists of them).
_ACCOUNTS_DUE = """
SELECT a.id AS account, a.name AS name, u.email AS owner_email, COALESCE(p.schedule, 'weekly') AS schedule,
  p.to_owner AS to_owner, p.contacts AS contacts
FROM panel_account a JOIN panel_user u ON u.id = a.owner
LEFT JOIN wordpress_digest_pref p ON p.account = a.id
WHERE a.status <> 'closed' AND COALESCE(p.schedule, 'weekly') IN ('daily', 'weekly')
  AND EXISTS (SELECT 1 FROM wordpress_site s WHERE s.account = a.id
    AND (s.core_update <> '' OR s.plugin_updates > 0 OR s.theme_updates > 0))
  AND NOT EXISTS (SELECT 1 FROM wordpress_digest_sent d WHERE d.key = 'account:' || CAST(a.id AS TEXT) || ':'
    || COALESCE(p.schedule, 'weekly') || '@'
    || CASE WHEN p.schedule = 'daily' THEN CAST({} AS TEXT) ELSE CAST({} AS TEXT) END)
ORDER BY a.id
"""

_ITEMS = """
SELECT s.account AS account, s.id AS site, s.name AS site_name, s.url AS url, i.kind AS kind, i.name AS name,
  i.slug AS slug, i.version AS version, i.new_version AS new_version
FROM wordpress_site s JOIN wordpress_item i ON i.site = s.id
WHERE s.account IN ({accounts}) AND i.new_version <> '' AND NOT EXISTS (
  SELECT 1 FROM wordpress_ignored g WHERE g.site = i.site AND g.kind = i.kind AND g.slug = i.slug
  AND (g.version = '' OR g.version = i.new_version))
ORDER BY s.account, s.url, s.id, i.kind, i.name, i.slug
"""

_RESELLERS_DUE = """
SELECT r.id AS account, r.name AS name, u.email AS owner_email,
  COALESCE(p.clients_schedule, 'weekly') AS schedule
FROM panel_account r JOIN panel_user u ON u.id = r.owner
LEFT JOIN wordpress_digest_pref p ON p.account = r.id
WHERE r.status <> 'closed' AND COALESCE(p.clients_schedule, 'weekly') IN ('daily', 'weekly')
  AND EXISTS (SELECT 1 FROM panel_store st WHERE st.reseller = r.id)
  AND NOT EXISTS (SELECT 1 FROM wordpress_digest_sent d WHERE d.key = 'clients:' || CAST(r.id AS TEXT) || ':'
    || COALESCE(p.clients_schedule, 'weekly') || '@'
    || CASE WHEN p.clients_schedule = 'daily' THEN CAST({} AS TEXT) ELSE CAST({} AS TEXT) END)
ORDER BY r.id
"""

_CLIENT_SITES = """
SELECT st.reseller AS reseller, a.name AS account_name, s.id AS id, s.name AS name, s.url AS url,
  s.core_update AS core_update, s.plugin_updates AS plugins, s.theme_updates AS themes
FROM panel_store st JOIN panel_account a ON a.store = st.id JOIN wordpress_site s ON s.account = a.id
WHERE st.reseller IN ({resellers}) AND a.id <> st.reseller AND a.status <> 'closed'
  AND (s.core_update <> '' OR s.plugin_updates > 0 OR s.theme_updates > 0)
ORDER BY st.reseller, a.name, a.id, s.url, s.id
"""

_ALL_SITES = """
SELECT a.name AS account_name, s.id AS id, s.name AS name, s.url AS url,
  s.core_update AS core_update, s.plugin_updates AS plugins, s.theme_updates AS themes
FROM wordpress_site s JOIN panel_account a ON a.id = s.account
WHERE a.status <> 'closed' AND (s.core_update <> '' OR s.plugin_updates > 0 OR s.theme_updates > 0)
ORDER BY a.name, a.id, s.url, s.id LIMIT {}
"""

_ALL_TOTALS = """
SELECT COUNT(*) AS sites, COALESCE(SUM(s.plugin_updates + s.theme_updates
  + CASE WHEN s.core_update <> '' THEN 1 ELSE 0 END), 0) AS updates
FROM wordpress_site s JOIN panel_account a ON a.id = s.account
WHERE a.status <> 'closed' AND (s.core_update <> '' OR s.plugin_updates > 0 OR s.theme_updates > 0)
"""


async def send_due(settings: Settings, now: datetime, progress: Progress | None = None) -> DigestRun:
    """Queue every digest due at `now` and not sent yet in its period; what was sent."""
    periods = (period_of(DigestSchedule.DAILY, now), period_of(DigestSchedule.WEEKLY, now))
    run = DigestRun()
    run.accounts = await _account_digests(now, periods, progress)
    run.clients = await _reseller_digests(now, periods)
    run.provider = await _provider_digest(settings, now)
    return run


async def _record_and_send(
    key: str,
    audience: str,
    account_id: int | None,
    schedule: str,
    period: str,
    to: list[str],
    template: str,
    context: dict[str, Any],
    sites: int,
    updates: int,
) -> bool:
    """Insert the digest's row and queue its email in one transaction; False when it was sent already."""
    try:
        async with db.write_transaction():
            won = await (
                WordpressDigestSent.insert(
                    WordpressDigestSent(
                        key=key,
                        audience=audience,
                        account=account_id,
                        schedule=schedule,
                        period=period,
                        recipients=", ".join(to)[:2000],
                        sites=sites,
                        updates=updates,
                    )
                )
                .on_conflict(target=WordpressDigestSent.key, action="DO NOTHING")
                .returning(WordpressDigestSent.id)
            )
            if not won:
                return False
            email_id = await mail.send(template, to, context, account_id=account_id)
            await WordpressDigestSent.update({WordpressDigestSent.email: email_id}).where(
                WordpressDigestSent.id == won[0]["id"]
            )
    except ValidationFailed as exc:  # a recipient that is no address: skip this one, send the others
        log.warning("update digest %s not sent: %s", key, exc.errors)
        return False
    return True


def _recipients(row: dict[str, Any], contacts: dict[int, list[dict[str, Any]]]) -> list[str]:
    chosen = set(contact_ids_of(row["contacts"]))
    found: dict[str, str] = {}
    if row["to_owner"] is None or row["to_owner"]:
        found[str(row["owner_email"]).lower()] = str(row["owner_email"])
    for c in contacts.get(int(row["account"]), []):
        if c["id"] in chosen and c["email"]:
            found.setdefault(str(c["email"]).lower(), f"{c['name']} <{c['email']}>" if c["name"] else c["email"])
    return list(found.values())


def _site_digests(rows: list[dict[str, Any]]) -> dict[int, list[SiteDigest]]:
    by_account: dict[int, dict[int, SiteDigest]] = {}
    for r in rows:
        sites = by_account.setdefault(int(r["account"]), {})
        site = sites.get(r["site"])
        if site is None:
            site = sites[r["site"]] = SiteDigest(r["site"], r["site_name"] or r["url"], r["url"])
        item = {"name": r["name"] or r["slug"], "slug": r["slug"], "version": r["version"], "new": r["new_version"]}
        {ItemKind.CORE: site.core, ItemKind.PLUGIN: site.plugins, ItemKind.THEME: site.themes}.get(
            r["kind"], site.plugins
        ).append(item)
    return {account: list(sites.values()) for account, sites in by_account.items()}


async def _account_digests(now: datetime, periods: tuple[str, str], progress: Progress | None) -> int:
    due = await db.fetch(_ACCOUNTS_DUE, *periods)
    sent = 0
    for start in range(0, len(due), CHUNK):
        chunk = due[start : start + CHUNK]
        ids = [int(r["account"]) for r in chunk]
        items = _site_digests(await db.fetch(_ITEMS.format(accounts=_in(ids)), *ids))
        contact_rows = await Contact.select(Contact.id, Contact.account, Contact.name, Contact.email).where(
            Contact.account.is_in(ids)
        )
        contacts: dict[int, list[dict[str, Any]]] = {}
        for c in contact_rows:
            contacts.setdefault(int(c["account"]), []).append(c)
        for row in chunk:
            account_id, schedule = int(row["account"]), str(row["schedule"])
            sites = items.get(account_id, [])
            to = _recipients(row, contacts)
            if not sites or not to:
                continue
            period = period_of(schedule, now)
            total = sum(s.total for s in sites)
            context = {
                "account_name": row["name"],
                "sites": sites,
                "total": total,
                "schedule": schedule,
                "period": period,
            }
            key = sent_key(DigestAudience.ACCOUNT, account_id, schedule, period)
            if await _record_and_send(
                key, DigestAudience.ACCOUNT, account_id, schedule, period, to, "wordpress/digest", context,
                len(sites), total,
            ):  # fmt: skip
                sent += 1
        if progress is not None:
            await progress(f"{min(start + CHUNK, len(due))} of {len(due)} accounts looked at")
    return sent


def _counts(r: dict[str, Any]) -> SiteCounts:
    return SiteCounts(
        int(r["id"]), r["name"] or r["url"], r["url"], r["account_name"], r["core_update"], r["plugins"], r["themes"]
    )


def _by_client(sites: list[SiteCounts]) -> list[tuple[str, list[SiteCounts]]]:
    """Sites grouped by client account name, in order."""
    groups: list[tuple[str, list[SiteCounts]]] = []
    for site in sites:
        if not groups or groups[-1][0] != site.account_name:
            groups.append((site.account_name, []))
        groups[-1][1].append(site)
    return groups


async def _reseller_digests(now: datetime, periods: tuple[str, str]) -> int:
    due = await db.fetch(_RESELLERS_DUE, *periods)
    sent = 0
    for start in range(0, len(due), CHUNK):
        chunk = due[start : start + CHUNK]
        ids = [int(r["account"]) for r in chunk]
        sites: dict[int, list[SiteCounts]] = {}
        for r in await db.fetch(_CLIENT_SITES.format(resellers=_in(ids)), *ids):
            sites.setdefault(int(r["reseller"]), []).append(_counts(r))
        for row in chunk:
            reseller, schedule = int(row["account"]), str(row["schedule"])
            listed = sites.get(reseller, [])
            if not listed:
                continue
            period = period_of(schedule, now)
            total = sum(s.total for s in listed)
            context = {
                "audience": DigestAudience.CLIENTS,
                "account_name": row["name"],
                "groups": _by_client(listed[:MAX_LISTED]),
                "site_count": len(listed),
                "more": max(len(listed) - MAX_LISTED, 0),
                "total": total,
                "schedule": schedule,
                "period": period,
            }
            key = sent_key(DigestAudience.CLIENTS, reseller, schedule, period)
            if await _record_and_send(
                key, DigestAudience.CLIENTS, reseller, schedule, period, [row["owner_email"]],
                "wordpress/clients_digest", context, len(listed), total,
            ):  # fmt: skip
                sent += 1
    return sent


async def _provider_digest(settings: Settings, now: datetime) -> int:
    cfg = digest_config_of(settings)
    if not cfg.provider_to or cfg.provider_schedule not in (DigestSchedule.DAILY, DigestSchedule.WEEKLY):
        return 0
    period = period_of(cfg.provider_schedule, now)
    key = sent_key(DigestAudience.PROVIDER, None, cfg.provider_schedule, period)
    if await WordpressDigestSent.exists().where(WordpressDigestSent.key == key):
        return 0
    totals = (await db.fetch(_ALL_TOTALS))[0]
    if not totals["sites"]:
        return 0
    listed = [_counts(r) for r in await db.fetch(_ALL_SITES, MAX_LISTED)]
    site_count, total = int(totals["sites"]), int(totals["updates"])
    context = {
        "audience": DigestAudience.PROVIDER,
        "account_name": "",
        "groups": _by_client(listed),
        "site_count": site_count,
        "more": max(site_count - len(listed), 0),
        "total": total,
        "schedule": cfg.provider_schedule,
        "period": period,
    }
    sent = await _record_and_send(
        key, DigestAudience.PROVIDER, None, cfg.provider_schedule, period, list(cfg.provider_to),
        "wordpress/clients_digest", context, site_count, total,
    )  # fmt: skip
    return 1 if sent else 0
