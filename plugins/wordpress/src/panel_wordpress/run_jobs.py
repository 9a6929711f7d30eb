"""The job that carries out a run: its steps, site by site, several sites at once.

Sites run in parallel up to the `update_concurrency` setting; on one site the steps
run one after another (a site updates one item at a time). Each step is isolated: a
failure is written on that step and the next one runs. The job is idempotent: it only
runs steps that have not finished, so a retried or taken-over job picks up where the
last attempt stopped (a step caught mid-way runs again; the site then answers "up to
date", "already installed" or "already exists").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from panel.core import db, uploads
from panel.core.audit.services import SYSTEM, record
from panel.core.jobs.queue import JobContext, JobHandler
from panel.core.jobs.services import enqueue
from panel.core.runtime import current
from panel.settings import Settings

from panel_wordpress import services, site_ops, vault
from panel_wordpress.client import USER_AGENT, SiteClient, SiteError
from panel_wordpress.config import config_of
from panel_wordpress.manage_config import ManageConfig, manage_config
from panel_wordpress.run_tables import RunOp, RunState, StepState, WordpressRun, WordpressRunStep
from panel_wordpress.tables import ItemKind, WordpressItem, WordpressSite

log = logging.getLogger("panel.wordpress")

RUN = "wordpress.run"
UPLOAD_AREA = "wordpress"

# what the connector's answers mean for a step
_UPDATE_STATES = {
    "updated": StepState.DONE,
    "current": StepState.DONE,
    "rolled_back": StepState.ROLLED_BACK,
}
_INSTALL_STATES = {"installed": StepState.DONE, "exists": StepState.DONE}
_USER_STATES = {"created": StepState.DONE, "exists": StepState.DONE}


async def queue_run(settings: Settings, run_id: int) -> int:
    """Queue the job of a run (keyed by the run: asking twice queues it once); the job's id."""
    job_id: int = await enqueue(settings, RUN, {"run_id": run_id}, key=f"{RUN}:{run_id}", max_attempts=3)
    return job_id


class _Run:
    """What every step of one run shares while the job runs."""

    def __init__(self, ctx: JobContext, run: dict[str, Any], total: int, finished: int, cfg: ManageConfig) -> None:
        self.ctx = ctx
        self.run = run
        self.options: dict[str, Any] = _options(run["options"])
        self.total = total
        self.finished = finished
        self.cfg = cfg
        self.package: tuple[str, bytes] | None = None

    async def step_done(self) -> None:
        self.finished += 1
        await self.ctx.progress(int(100 * self.finished / max(self.total, 1)), f"{self.finished} of {self.total} steps")


def _options(raw: Any) -> dict[str, Any]:
    import json

    value = json.loads(raw or "{}") if isinstance(raw, str) else raw
    return value if isinstance(value, dict) else {}


Op = Callable[[SiteClient, _Run, dict[str, Any]], Awaitable[tuple[str, site_ops.Outcome]]]


async def _update(site: SiteClient, run: _Run, step: dict[str, Any]) -> tuple[str, site_ops.Outcome]:
    outcome = await site_ops.update_item(site, step["kind"], step["slug"], run.cfg.update_timeout)
    return _UPDATE_STATES.get(outcome.status, StepState.FAILED), outcome


async def _install(site: SiteClient, run: _Run, step: dict[str, Any]) -> tuple[str, site_ops.Outcome]:
    o = run.options
    outcome = await site_ops.install(
        site, o["kind"], run.cfg.update_timeout, slug=o.get("slug", ""), package=run.package, activate=o["activate"]
    )
    return _INSTALL_STATES.get(outcome.status, StepState.FAILED), outcome


async def _create_user(site: SiteClient, run: _Run, step: dict[str, Any]) -> tuple[str, site_ops.Outcome]:
    o = run.options
    outcome = await site_ops.create_user(site, o["username"], o["email"], o["role"])
    return _USER_STATES.get(outcome.status, StepState.FAILED), outcome


OPS: dict[str, Op] = {RunOp.UPDATE: _update, RunOp.INSTALL: _install, RunOp.CREATE_USER: _create_user}


async def _save(step_id: int, state: str, message: str, **versions: str) -> None:
    values: dict[Any, Any] = {
        WordpressRunStep.state: state,
        WordpressRunStep.message: message[:2000],
        WordpressRunStep.finished_at: datetime.now(UTC) if state in StepState.FINISHED else None,
    }
    if versions.get("to_version"):
        values[WordpressRunStep.to_version] = versions["to_version"][:50]
    if versions.get("slug"):
        values[WordpressRunStep.slug] = versions["slug"][:255]
    async with db.write_transaction():
        await WordpressRunStep.update(values).where(WordpressRunStep.id == step_id)


async def _site_steps(settings: Settings, run: _Run, site_id: int, steps: list[dict[str, Any]]) -> None:
    """Run one site's steps in order; every failure stays on its step."""
    row = await WordpressSite.select().where(WordpressSite.id == site_id).first()
    try:
        if row is None:
            raise SiteError("The site was disconnected.")
        password = vault.unseal(settings, row["app_password"])
    except (SiteError, vault.CredentialsUnreadable) as exc:
        for step in steps:
            await _save(step["id"], StepState.FAILED, exc.message)
            await run.step_done()
        return
    op = OPS[run.run["op"]]
    async with SiteClient(row["api_root"], row["wp_user"], password, config_of(settings).timeout) as site:
        for step in steps:
            await _save(step["id"], StepState.RUNNING, "")
            try:
                state, outcome = await op(site, run, step)
                await _save(step["id"], state, outcome.message, to_version=outcome.to_version, slug=outcome.slug)
                if run.run["op"] == RunOp.UPDATE and state == StepState.DONE:
                    await _mark_updated(site_id, step["kind"], step["slug"], outcome.to_version)
            except SiteError as exc:
                await _save(step["id"], StepState.FAILED, exc.message)
            await run.step_done()
    await _after_site(settings, run, site_id, row, steps)


async def _mark_updated(site_id: int, kind: str, slug: str, version: str) -> None:
    """The site's item now has the version installed and nothing offered (the next refresh confirms it)."""
    changes: dict[Any, Any] = {WordpressItem.new_version: "", WordpressItem.updated_at: datetime.now(UTC)}
    if version:
        changes[WordpressItem.version] = version[:50]
    async with db.write_transaction():
        await WordpressItem.update(changes).where(
            (WordpressItem.site == site_id) & (WordpressItem.kind == kind) & (WordpressItem.slug == slug)
        )
        if kind == ItemKind.CORE and version:
            await WordpressSite.update({WordpressSite.wp_version: version[:30]}).where(WordpressSite.id == site_id)
        await services.recount(site_id)


async def _after_site(
    settings: Settings, run: _Run, site_id: int, row: dict[str, Any], steps: list[dict[str, Any]]
) -> None:
    """After an update, ask the site from outside too; after an install or a new user, read its inventory again."""
    if run.run["op"] != RunOp.UPDATE:
        await services.refresh(settings, site_id)
        return
    problem = await _outside_check(row["url"], row["api_root"], config_of(settings).timeout)
    if problem:
        warning = f" The panel then found the site failing: {problem}."
        ids = [s["id"] for s in steps]
        async with db.write_transaction():
            for step in await WordpressRunStep.select().where(WordpressRunStep.id.is_in(ids)):
                await WordpressRunStep.update({WordpressRunStep.message: (step["message"] + warning)[:2000]}).where(
                    WordpressRunStep.id == step["id"]
                )


async def _outside_check(url: str, api_root: str, wait: float) -> str:
    """'' when the home page and the REST index answer 200 to the panel, else what went wrong."""
    async with httpx.AsyncClient(timeout=wait, headers={"User-Agent": USER_AGENT}, follow_redirects=True) as http:
        for what, target in (("home page", url + "/"), ("REST API", api_root + "/")):
            try:
                answer = await http.get(target)
            except httpx.HTTPError as exc:
                return f"the {what} did not answer ({type(exc).__name__})"
            if answer.status_code != 200 or "There has been a critical error" in answer.text:
                return f"the {what} answered HTTP {answer.status_code}"
    return ""


async def run_job(ctx: JobContext) -> None:
    """Carry out a run's unfinished steps, then mark the run done and record the outcome."""
    settings = current().settings
    run_id = int(ctx.payload["run_id"])
    run = await WordpressRun.select().where(WordpressRun.id == run_id).first()
    if run is None:
        return  # the account (and its runs) is gone
    steps = await (
        WordpressRunStep.select()
        .where(WordpressRunStep.run == run_id)
        .order_by(WordpressRunStep.site)
        .order_by(WordpressRunStep.position)
    )
    todo = [s for s in steps if s["state"] not in StepState.FINISHED]
    state = _Run(ctx, run, len(steps), len(steps) - len(todo), manage_config(settings))
    await WordpressRun.update({WordpressRun.state: RunState.RUNNING}).where(WordpressRun.id == run_id)
    upload_key = state.options.get("upload_key")
    if todo and upload_key:
        try:
            data = uploads.path_of(UPLOAD_AREA, upload_key).read_bytes()
        except (OSError, ValueError):
            for step in todo:  # nothing to install any more: say so on every step rather than fail for ever
                await _save(step["id"], StepState.FAILED, "The uploaded zip is no longer there; upload it again.")
            todo = []
        else:
            state.package = (str(state.options.get("filename") or "package.zip"), data)
    by_site: dict[int, list[dict[str, Any]]] = {}
    for step in todo:
        by_site.setdefault(step["site"], []).append(step)
    gate = asyncio.Semaphore(state.cfg.concurrency)

    async def one_site(site_id: int, site_steps: list[dict[str, Any]]) -> None:
        async with gate:
            await _site_steps(settings, state, site_id, site_steps)

    await ctx.progress(int(100 * state.finished / max(state.total, 1)), "working")
    await asyncio.gather(*(one_site(site_id, site_steps) for site_id, site_steps in by_site.items()))
    await _finish(run, upload_key)


async def _finish(run: dict[str, Any], upload_key: str | None) -> None:
    counts: dict[str, int] = {}
    for step in await WordpressRunStep.select(WordpressRunStep.state).where(WordpressRunStep.run == run["id"]):
        counts[step["state"]] = counts.get(step["state"], 0) + 1
    summary = (
        f"{run['title']}: {counts.get(StepState.DONE, 0)} done, "
        f"{counts.get(StepState.ROLLED_BACK, 0)} rolled back, {counts.get(StepState.FAILED, 0)} failed"
    )
    async with db.write_transaction():
        await WordpressRun.update(
            {WordpressRun.state: RunState.DONE, WordpressRun.finished_at: datetime.now(UTC)}
        ).where(WordpressRun.id == run["id"])
        await record(
            "wordpress.run.finish",
            account_id=run["account"],
            target=f"wordpress.run:{run['id']}",
            summary=summary,
            details=counts,
            **SYSTEM,
        )
    if upload_key:
        uploads.remove(UPLOAD_AREA, upload_key)


HANDLERS = (JobHandler(RUN, run_job, "Carries out a bulk update, install or user creation on WordPress sites."),)
