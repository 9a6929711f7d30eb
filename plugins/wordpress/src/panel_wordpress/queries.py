"""What the wordpress pages and API read: an account's sites, and one site with its inventory.

A list costs one query for the rows and one for the count (pending update counts live
on the site row); a site page costs four (site, items, users, ignored updates).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from panel.core.paging import Page
from panel.core.services.tables import Service

from panel_wordpress import services
from panel_wordpress.tables import ItemKind, WordpressIgnored, WordpressItem, WordpressSite, WordpressUser

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class SiteRow:
    """A site as lists show it."""

    id: int
    url: str
    name: str
    wp_version: str
    php_version: str
    core_update: str
    plugin_updates: int
    theme_updates: int
    health_status: str
    status: str
    last_error: str
    refreshed_at: datetime | None
    service_id: int | None

    @property
    def pending(self) -> int:
        """Updates waiting, all kinds."""
        return (1 if self.core_update else 0) + self.plugin_updates + self.theme_updates


@dataclass(frozen=True)
class Item:
    """A plugin, theme or WordPress itself on a site."""

    id: int
    kind: str
    slug: str
    name: str
    version: str
    new_version: str
    active: bool
    ignored: bool


@dataclass(frozen=True)
class SiteUser:
    """A user of the site, as the last refresh saw it."""

    wp_id: int
    username: str
    email: str
    name: str
    roles: list[str]


@dataclass(frozen=True)
class Ignored:
    """An update the account chose not to count."""

    id: int
    kind: str
    slug: str
    version: str


@dataclass(frozen=True)
class SiteView:
    """One site with everything the last refresh read."""

    site: SiteRow
    admin_url: str
    wp_user: str
    connector_version: str
    db_version: str
    health: list[dict[str, str]]
    created_at: datetime
    refresh_job: int | None
    items: list[Item] = field(default_factory=list)
    users: list[SiteUser] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Item]:
        """Items of one kind (core, plugin, theme), by name."""
        return [i for i in self.items if i.kind == kind]

    @property
    def updates(self) -> list[Item]:
        """Items with an update offered and not ignored: core first, then plugins, then themes."""
        return [i for i in self.items if i.new_version and not i.ignored]


_ROW_COLUMNS = (
    WordpressSite.id,
    WordpressSite.url,
    WordpressSite.name,
    WordpressSite.wp_version,
    WordpressSite.php_version,
    WordpressSite.core_update,
    WordpressSite.plugin_updates,
    WordpressSite.theme_updates,
    WordpressSite.health_status,
    WordpressSite.status,
    WordpressSite.last_error,
    WordpressSite.refreshed_at,
    WordpressSite.service,
)


def _row(r: dict[str, Any]) -> SiteRow:
    return SiteRow(**{k: r[k] for k in SiteRow.__dataclass_fields__ if k != "service_id"}, service_id=r["service"])


async def account_sites(account_id: int, limit: int = PAGE_SIZE, offset: int = 0) -> Page[SiteRow]:
    """The account's sites by address, one page."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    rows = await (
        WordpressSite.select(*_ROW_COLUMNS)
        .where(WordpressSite.account == account_id)
        .order_by(WordpressSite.url)
        .order_by(WordpressSite.id)
        .limit(limit)
        .offset(max(offset, 0))
    )
    total = await WordpressSite.count().where(WordpressSite.account == account_id)
    return Page([_row(r) for r in rows], int(total), limit, max(offset, 0))


def _is_ignored(item: dict[str, Any], ignored: list[dict[str, Any]]) -> bool:
    return any(
        g["kind"] == item["kind"] and g["slug"] == item["slug"] and g["version"] in ("", item["new_version"])
        for g in ignored
    )


_KIND_ORDER = {k: n for n, k in enumerate(ItemKind.ALL)}


async def site_view(account_id: int, site_id: int) -> SiteView:
    """The account's site with its items, users and ignored updates; `NotFound` for another account's."""
    row = await services.site_row(account_id, site_id)
    items = await WordpressItem.select().where(WordpressItem.site == site_id)
    users = await WordpressUser.select().where(WordpressUser.site == site_id).order_by(WordpressUser.wp_id)
    ignored = await WordpressIgnored.select().where(WordpressIgnored.site == site_id).order_by(WordpressIgnored.id)
    return SiteView(
        site=_row(row),
        admin_url=row["admin_url"],
        wp_user=row["wp_user"],
        connector_version=row["connector_version"],
        db_version=row["db_version"],
        health=_health(row["health"]),
        created_at=row["created_at"],
        refresh_job=row["refresh_job"],
        items=sorted(
            (
                Item(
                    i["id"],
                    i["kind"],
                    i["slug"],
                    i["name"],
                    i["version"],
                    i["new_version"],
                    i["active"],
                    _is_ignored(i, ignored),
                )
                for i in items
            ),
            key=lambda i: (_KIND_ORDER.get(i.kind, 9), i.name.lower(), i.slug),
        ),
        users=[
            SiteUser(u["wp_id"], u["username"], u["email"], u["name"], [r for r in u["roles"].split(",") if r])
            for u in users
        ],
        ignored=[Ignored(g["id"], g["kind"], g["slug"], g["version"]) for g in ignored],
    )


def _health(raw: Any) -> list[dict[str, str]]:
    """The stored health results (Piccolo returns JSON columns as text)."""
    value = json.loads(raw or "[]") if isinstance(raw, str) else raw
    return value if isinstance(value, list) else []


async def account_services(account_id: int) -> list[tuple[int, str]]:
    """The account's services a site can be linked to: (id, label)."""
    rows = await (
        Service.select(Service.id, Service.label, Service.product.name.as_alias("product_name"))
        .where(Service.account == account_id)
        .order_by(Service.id)
    )
    return [(r["id"], r["label"] or r["product_name"] or f"Service #{r['id']}") for r in rows]
