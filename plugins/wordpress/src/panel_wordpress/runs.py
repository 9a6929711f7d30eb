"""Bulk changes of an account's sites: asking for them (a run with its steps) and reading them back.

A run is written with every step before its job is queued, so what will happen is
visible at once and a job that runs again skips finished steps. Ignored updates are
never part of a run, chosen or not: count them again first. Callers have asked the
rules engine; every read here is scoped by account (another account's run or site is
"not found").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from panel.core import db
from panel.core.audit.services import AuditContext, record
from panel.core.uploads import StoredFile
from panel.errors import NotFound, ValidationFailed
from panel.settings import Settings

from panel_wordpress.run_jobs import queue_run
from panel_wordpress.run_tables import RunOp, StepState, WordpressRun, WordpressRunStep
from panel_wordpress.site_ops import connector_ready
from panel_wordpress.tables import ItemKind, WordpressItem, WordpressSite

ROLES = ("subscriber", "contributor", "author", "editor", "administrator")
UPLOAD_AREA = "wordpress"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
_USERNAME = re.compile(r"^[A-Za-z0-9 _.@-]{1,60}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KIND_ORDER = {ItemKind.PLUGIN: 0, ItemKind.THEME: 1, ItemKind.CORE: 2}  # WordPress itself last

_PENDING_SQL = """
SELECT i.id AS id, i.site AS site, i.kind AS kind, i.slug AS slug, i.name AS name, i.version AS version,
  i.new_version AS new_version
FROM wordpress_item i JOIN wordpress_site s ON s.id = i.site
WHERE s.account = {} AND i.new_version <> '' AND NOT EXISTS (
  SELECT 1 FROM wordpress_ignored g WHERE g.site = i.site AND g.kind = i.kind AND g.slug = i.slug
  AND (g.version = '' OR g.version = i.new_version))
ORDER BY i.site, i.id
"""


async def pending_items(account_id: int) -> list[dict[str, Any]]:
    """Every update offered on the account's sites and not ignored (one query)."""
    return await db.fetch(_PENDING_SQL, account_id)


async def _account_sites(account_id: int, site_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The chosen sites that belong to the account, by id; `NotFound` when one does not."""
    wanted = set(site_ids)
    if not wanted:
        return {}
    rows = await WordpressSite.select(
        WordpressSite.id, WordpressSite.url, WordpressSite.name, WordpressSite.connector_version
    ).where((WordpressSite.account == account_id) & WordpressSite.id.is_in(list(wanted)))
    if len(rows) != len(wanted):
        raise NotFound("There is no such WordPress site in this account.")
    return {r["id"]: r for r in rows}


def _check_connectors(sites: dict[int, dict[str, Any]], field_name: str) -> None:
    old = [s["name"] or s["url"] for s in sites.values() if not connector_ready(s["connector_version"])]
    if old:
        raise ValidationFailed(
            {field_name: "These sites need connector 1.1 or newer (install it, then refresh): " + ", ".join(old)}
        )


async def _create(
    settings: Settings,
    account_id: int,
    op: str,
    title: str,
    options: dict[str, Any],
    steps: list[WordpressRunStep],
    by: AuditContext,
    details: dict[str, Any],
) -> Queued:
    async with db.write_transaction():
        rows = await WordpressRun.insert(
            WordpressRun(account=account_id, op=op, title=title[:300], options=options, created_by=by["actor"])
        ).returning(WordpressRun.id)
        run_id = int(rows[0]["id"])
        for n, step in enumerate(steps):
            step.run = run_id
            step.position = n
        await WordpressRunStep.insert(*steps)
        await record(
            f"wordpress.run.{op}",
            account_id=account_id,
            target=f"wordpress.run:{run_id}",
            summary=title,
            details={**details, "steps": len(steps)},
            **by,
        )
    job_id = await queue_run(settings, run_id)  # after the commit (docs/jobs.md)
    await WordpressRun.update({WordpressRun.job: job_id}).where(WordpressRun.id == run_id)
    return Queued(run_id, job_id)


@dataclass(frozen=True)
class Queued:
    """A run written and its job queued."""

    run_id: int
    job_id: int


async def start_updates(
    settings: Settings, account_id: int, site_ids: list[int], item_ids: list[int], by: AuditContext
) -> Queued:
    """Update everything pending on `site_ids` plus the single items `item_ids`, as one run.

    `NotFound` when a site or item is not the account's; `ValidationFailed` (field
    `items`) when nothing is chosen, nothing chosen has an update, or a site's connector
    cannot update.
    """
    if not site_ids and not item_ids:
        raise ValidationFailed({"items": "Choose sites (everything on them) or single updates."})
    pending = await pending_items(account_id)
    by_id = {int(r["id"]): r for r in pending}
    chosen_sites = set(site_ids)
    known_items = set()
    if item_ids:
        found = await WordpressItem.select(WordpressItem.id).where(
            WordpressItem.id.is_in(list(set(item_ids))) & (WordpressItem.site.account == account_id)
        )
        known_items = {r["id"] for r in found}
        if len(known_items) != len(set(item_ids)):
            raise NotFound("There is no such plugin, theme or core on this account's sites.")
    picked = [r for r in pending if r["site"] in chosen_sites or r["id"] in known_items]
    item_sites = {int(by_id[i]["site"]) for i in known_items if i in by_id}
    sites = await _account_sites(account_id, list(chosen_sites | item_sites))
    if not picked:
        raise ValidationFailed({"items": "Nothing to update: what you chose is up to date, or its update is ignored."})
    _check_connectors({s: sites[s] for s in {int(r["site"]) for r in picked}}, "items")
    picked.sort(key=lambda r: (r["site"], _KIND_ORDER.get(r["kind"], 9), r["name"].lower()))
    steps = [
        WordpressRunStep(
            site=r["site"],
            kind=r["kind"],
            slug=r["slug"],
            name=r["name"][:255],
            from_version=r["version"],
            to_version=r["new_version"],
        )
        for r in picked
    ]
    n_sites = len({r["site"] for r in picked})
    title = f"Update {len(steps)} item{'s' if len(steps) != 1 else ''} on {n_sites} site{'s' if n_sites != 1 else ''}"
    details = {"sites": sorted({int(r["site"]) for r in picked}), "items": [int(r["id"]) for r in picked]}
    return await _create(settings, account_id, RunOp.UPDATE, title, {}, steps, by, details)


@dataclass(frozen=True)
class InstallRequest:
    """What to install: a plugin or theme, by wordpress.org slug or from an uploaded zip (already stored)."""

    kind: str
    site_ids: list[int]
    slug: str = ""
    upload: StoredFile | None = None
    activate: bool = False


def check_install(req: InstallRequest) -> None:
    """The install form's own errors, by field (before any file is stored)."""
    errors: dict[str, str] = {}
    if req.kind not in (ItemKind.PLUGIN, ItemKind.THEME):
        errors["kind"] = "Choose a plugin or a theme."
    if not req.site_ids:
        errors["sites"] = "Choose the sites to install it on."
    if req.upload is None and not _SLUG.match(req.slug.strip()):
        errors["slug"] = "Enter the wordpress.org slug (e.g. classic-editor) or upload a zip."
    if errors:
        raise ValidationFailed(errors)


async def start_install(settings: Settings, account_id: int, req: InstallRequest, by: AuditContext) -> Queued:
    """Install a plugin or theme on every chosen site, as one run (a step per site)."""
    check_install(req)
    sites = await _account_sites(account_id, req.site_ids)
    _check_connectors(sites, "sites")
    what = req.upload.filename if req.upload else req.slug.strip()
    options: dict[str, Any] = {"kind": req.kind, "slug": req.slug.strip(), "activate": req.activate}
    if req.upload:
        options |= {"upload_key": req.upload.key, "filename": req.upload.filename}
    steps = [WordpressRunStep(site=site_id, kind=req.kind, slug=what[:255], name=what[:255]) for site_id in sites]
    title = f"Install the {req.kind} {what} on {len(steps)} site{'s' if len(steps) != 1 else ''}"
    return await _create(settings, account_id, RunOp.INSTALL, title, options, steps, by, {"sites": sorted(sites)})


@dataclass(frozen=True)
class NewUser:
    """A user to create on several sites; WordPress mails each the link to set a password."""

    site_ids: list[int]
    username: str
    email: str
    role: str


def check_user(req: NewUser) -> None:
    """The new-user form's own errors, by field."""
    errors: dict[str, str] = {}
    if not _USERNAME.match(req.username.strip()):
        errors["username"] = "Enter a user name: letters, digits, spaces and . _ @ - (at most 60)."
    if not _EMAIL.match(req.email.strip()):
        errors["email"] = "Enter an email address."
    if req.role not in ROLES:
        errors["role"] = "Choose a role."
    if not req.site_ids:
        errors["sites"] = "Choose the sites to create the user on."
    if errors:
        raise ValidationFailed(errors)


async def start_user(settings: Settings, account_id: int, req: NewUser, by: AuditContext) -> Queued:
    """Create one user on every chosen site, as one run (a step per site)."""
    check_user(req)
    sites = await _account_sites(account_id, req.site_ids)
    _check_connectors(sites, "sites")
    username, email = req.username.strip(), req.email.strip()
    options = {"username": username, "email": email, "role": req.role}
    steps = [WordpressRunStep(site=site_id, kind="user", slug=username, name=email) for site_id in sites]
    title = f"Create the user {username} ({req.role}) on {len(steps)} site{'s' if len(steps) != 1 else ''}"
    return await _create(settings, account_id, RunOp.CREATE_USER, title, options, steps, by, {"sites": sorted(sites)})


# -- reading runs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of a run as its page shows it."""

    id: int
    site_id: int
    site_url: str
    site_name: str
    kind: str
    slug: str
    name: str
    from_version: str
    to_version: str
    state: str
    message: str


@dataclass(frozen=True)
class RunView:
    """A run with its steps (by site, in order) and the count of steps per state."""

    id: int
    op: str
    title: str
    state: str
    job_id: int | None
    created_at: datetime
    finished_at: datetime | None
    steps: list[Step] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """Steps per state (every state present, zero included)."""
        out = {s: 0 for s in (StepState.PENDING, StepState.RUNNING, *StepState.FINISHED)}
        for step in self.steps:
            out[step.state] = out.get(step.state, 0) + 1
        return out

    @property
    def live(self) -> bool:
        """Whether steps are still to run (the page keeps polling)."""
        return any(s.state in (StepState.PENDING, StepState.RUNNING) for s in self.steps)

    @property
    def percent(self) -> int:
        """Finished steps, in percent."""
        done = sum(1 for s in self.steps if s.state in StepState.FINISHED)
        return int(100 * done / len(self.steps)) if self.steps else 100


async def run_view(account_id: int, run_id: int) -> RunView:
    """The account's run with its steps (two queries); `NotFound` for another account's."""
    run = await WordpressRun.select().where((WordpressRun.id == run_id) & (WordpressRun.account == account_id)).first()
    if run is None:
        raise NotFound("There is no such run in this account.")
    steps = await (
        WordpressRunStep.select(
            *WordpressRunStep.all_columns(),
            WordpressRunStep.site.url.as_alias("site_url"),
            WordpressRunStep.site.name.as_alias("site_name"),
        )
        .where(WordpressRunStep.run == run_id)
        .order_by(WordpressRunStep.site)
        .order_by(WordpressRunStep.position)
    )
    return RunView(
        id=run["id"],
        op=run["op"],
        title=run["title"],
        state=run["state"],
        job_id=run["job"],
        created_at=run["created_at"],
        finished_at=run["finished_at"],
        steps=[
            Step(
                s["id"],
                s["site"],
                s["site_url"],
                s["site_name"],
                s["kind"],
                s["slug"],
                s["name"],
                s["from_version"],
                s["to_version"],
                s["state"],
                s["message"],
            )
            for s in steps
        ],
    )


_RECENT_SQL = """
SELECT r.id AS id, r.op AS op, r.title AS title, r.state AS state, r.created_at AS created_at,
  COUNT(s.id) AS steps,
  SUM(CASE WHEN s.state = 'done' THEN 1 ELSE 0 END) AS done,
  SUM(CASE WHEN s.state = 'rolled_back' THEN 1 ELSE 0 END) AS rolled_back,
  SUM(CASE WHEN s.state = 'failed' THEN 1 ELSE 0 END) AS failed
FROM wordpress_run r LEFT JOIN wordpress_run_step s ON s.run = r.id
WHERE r.account = {}
GROUP BY r.id, r.op, r.title, r.state, r.created_at
ORDER BY r.id DESC
LIMIT 10
"""


async def recent_runs(account_id: int) -> list[dict[str, Any]]:
    """The account's last ten runs with their counts of steps done, rolled back and failed (one query)."""
    rows = await db.fetch(_RECENT_SQL, account_id)
    return [{**r, **{k: int(r[k] or 0) for k in ("steps", "done", "rolled_back", "failed")}} for r in rows]
