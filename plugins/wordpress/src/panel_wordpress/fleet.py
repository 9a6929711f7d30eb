"""Sites across clients: the list staff and resellers see, their bulk updates, and their runs.

Staff see every client's sites; a reseller sees only the sites of its clients (the
accounts bound to one of its stores, never itself), the rule the reseller area and
the clients' digest keep too. Every read and change here takes a `Scope`, so a site
or run outside it is "not found". Callers have asked the rules engine first.

The list costs one query for the page and one for the count: the pending update
counts (ignored updates left out) live on the site row, and the two filters on them
have partial indexes (migration `wordpress_2026_11_23t01_10_00_000001`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from panel.core import db
from panel.core.audit.services import AuditContext
from panel.core.clients.search import like_pattern
from panel.core.paging import Page
from panel.errors import NotFound, ValidationFailed
from panel.settings import Settings

from panel_wordpress import runs
from panel_wordpress.site_ops import connector_ready

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
RECENT_RUNS = 10

# Kept word for word in the partial indexes, so both databases see that an index covers the filter.
PENDING = "(s.core_update <> '' OR s.plugin_updates > 0 OR s.theme_updates > 0)"
UNHEALTHY = "(s.health_status = 'critical' OR s.status = 'error')"


@dataclass(frozen=True)
class Scope:
    """Whose clients' sites: every client (staff, `reseller_id` None) or one reseller's clients."""

    reseller_id: int | None = None

    def where(self, account: str) -> tuple[str, list[Any]]:
        """The condition on the account column `account` (SQL) and its arguments; "" for staff."""
        if self.reseller_id is None:
            return "", []
        # S608: fixed text around bound parameters.
        sql = f"{account} IN (SELECT a2.id FROM panel_account a2 JOIN panel_store st ON st.id = a2.store"  # noqa: S608
        return sql + " WHERE st.reseller = {} AND a2.id <> {})", [self.reseller_id, self.reseller_id]


STAFF = Scope()


@dataclass(frozen=True)
class FleetFilters:
    """What the list is narrowed to: client name, sites with pending updates, unhealthy sites."""

    q: str = ""
    pending: bool = False
    unhealthy: bool = False


@dataclass(frozen=True)
class FleetRow:
    """A site as the list across clients shows it."""

    id: int
    account_id: int
    account_name: str
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
    connector_version: str
    refreshed_at: datetime | None

    @property
    def core_updates(self) -> int:
        """1 when a WordPress update is offered (and not ignored), else 0."""
        return 1 if self.core_update else 0

    @property
    def pending(self) -> int:
        """Updates waiting, all kinds."""
        return self.core_updates + self.plugin_updates + self.theme_updates


@dataclass(frozen=True)
class FleetPage(Page[FleetRow]):
    """One page of sites and the filters that made it."""

    filters: FleetFilters = FleetFilters()


def _where(scope: Scope, filters: FleetFilters) -> tuple[str, list[Any]]:
    """The WHERE clause (or '') over `wordpress_site s JOIN panel_account a`, and its arguments."""
    parts: list[str] = []
    args: list[Any] = []
    owned, owned_args = scope.where("s.account")
    if owned:
        parts.append(owned)
        args += owned_args
    if filters.q:
        like = "LIKE" if db.is_sqlite() else "ILIKE"  # SQLite's LIKE ignores ASCII case already
        pattern, escape = like_pattern(filters.q)
        parts.append(f"a.name {like} {{}}{escape}")
        args.append(pattern)
    if filters.pending:
        parts.append(PENDING)
    if filters.unhealthy:
        parts.append(UNHEALTHY)
    return (" WHERE " + " AND ".join(parts) if parts else ""), args


_COLUMNS = (
    "s.id AS id, s.account AS account_id, a.name AS account_name, s.url AS url, s.name AS name,"
    " s.wp_version AS wp_version, s.php_version AS php_version, s.core_update AS core_update,"
    " s.plugin_updates AS plugin_updates, s.theme_updates AS theme_updates, s.health_status AS health_status,"
    " s.status AS status, s.last_error AS last_error, s.connector_version AS connector_version,"
    " s.refreshed_at AS refreshed_at"
)
_FROM = " FROM wordpress_site s JOIN panel_account a ON a.id = s.account"


async def sites(scope: Scope, filters: FleetFilters, limit: int = PAGE_SIZE, offset: int = 0) -> FleetPage:
    """The scope's sites by client name and address, one page (two queries: the rows and the count)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(offset, 0)
    where, args = _where(scope, filters)
    # S608: built from the fixed fragments above; every value is a bound {} parameter.
    rows = await db.fetch(
        f"SELECT {_COLUMNS}{_FROM}{where} ORDER BY a.name, a.id, s.url, s.id LIMIT {{}} OFFSET {{}}",
        *args,
        limit,
        offset,
    )
    counted = await db.fetch(f"SELECT COUNT(*) AS n{_FROM}{where}", *args)
    out = [FleetRow(**{k: r[k] for k in FleetRow.__dataclass_fields__}) for r in rows]
    return FleetPage(out, int(counted[0]["n"]), limit, offset, filters)


async def recent_runs(scope: Scope, limit: int = RECENT_RUNS) -> list[dict[str, Any]]:
    """The scope's last runs of any kind, newest first, with the client's name (one query)."""
    owned, args = scope.where("r.account")
    where = f" WHERE {owned}" if owned else ""
    # S608: fixed fragments, bound parameters.
    sql = (
        "SELECT r.id AS id, r.account AS account_id, a.name AS account_name, r.title AS title, r.state AS state,"  # noqa: S608
        f" r.created_at AS created_at FROM wordpress_run r JOIN panel_account a ON a.id = r.account{where}"
        " ORDER BY r.id DESC LIMIT {}"
    )
    return await db.fetch(sql, *args, max(1, limit))


async def run_account(scope: Scope, run_id: int) -> int:
    """The account a run in the scope belongs to; `NotFound` for a run outside it."""
    owned, args = scope.where("r.account")
    # S608: fixed fragments, bound parameters.
    sql = "SELECT r.account AS account FROM wordpress_run r WHERE r.id = {}" + (f" AND {owned}" if owned else "")  # noqa: S608
    rows = await db.fetch(sql, run_id, *args)
    if not rows:
        raise NotFound("There is no such run among your clients' sites.")
    return int(rows[0]["account"])


async def run_view(scope: Scope, run_id: int) -> runs.RunView:
    """A run in the scope with its steps; `NotFound` for any other."""
    return await runs.run_view(await run_account(scope, run_id), run_id)


@dataclass(frozen=True)
class Started:
    """What an update across clients started: a run per account, and the chosen sites left out."""

    runs: list[runs.Queued]
    up_to_date: int  # chosen sites with nothing pending (or only ignored updates)


async def _chosen(scope: Scope, site_ids: list[int]) -> list[dict[str, Any]]:
    """The chosen sites, all in the scope (one query); `NotFound` when one is not."""
    wanted = sorted(set(site_ids))
    owned, args = scope.where("s.account")
    marks = ", ".join("{}" for _ in wanted)
    # S608: fixed fragments and one {} mark per id.
    sql = (
        "SELECT s.id AS id, s.account AS account, s.url AS url, s.name AS name,"  # noqa: S608
        " s.connector_version AS connector_version,"
        f" CASE WHEN {PENDING} THEN 1 ELSE 0 END AS has_pending"
        f" FROM wordpress_site s WHERE s.id IN ({marks})" + (f" AND {owned}" if owned else "")
    )
    rows = await db.fetch(sql, *wanted, *args)
    if len(rows) != len(wanted):
        raise NotFound("There is no such WordPress site among your clients' sites.")
    return rows


async def start_updates(settings: Settings, scope: Scope, site_ids: list[int], by: AuditContext) -> Started:
    """Update everything pending on the chosen sites: one run per account, through the account's update service.

    Ignored updates stay out, as in every run. `NotFound` when a chosen site is outside
    the scope (nothing is started); `ValidationFailed` (field `sites`) when nothing is
    chosen, nothing chosen has an update, or a chosen site's connector cannot update
    (checked for every site before any run starts). Each run is audited in its
    account, with `by` (the staff member or reseller's user) as the actor.
    """
    if not site_ids:
        raise ValidationFailed({"sites": "Choose the sites to update."})
    chosen = await _chosen(scope, site_ids)
    due = [r for r in chosen if r["has_pending"]]
    if not due:
        raise ValidationFailed(
            {"sites": "Nothing to update: the chosen sites are up to date, or their updates are ignored."}
        )
    old = [r["name"] or r["url"] for r in due if not connector_ready(r["connector_version"])]
    if old:
        raise ValidationFailed(
            {"sites": "These sites need connector 1.1 or newer (install it, then refresh): " + ", ".join(old)}
        )
    by_account: dict[int, list[int]] = {}
    for r in due:
        by_account.setdefault(int(r["account"]), []).append(int(r["id"]))
    started = [
        await runs.start_updates(settings, account_id, ids, [], by) for account_id, ids in sorted(by_account.items())
    ]
    return Started(started, len(chosen) - len(due))
