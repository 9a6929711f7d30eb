"""Contact sync's periodic task: catch what changed outside joining and leaving.

A member's new name or email, a member added by staff, a user deleted: every run
brings each account whose sync is on in step with its members (`reconcile` is
idempotent, so a late or repeated run changes nothing more).
"""

from __future__ import annotations

import logging

from panel.core.contacts.sync import services
from panel.core.jobs.queue import JobContext, JobHandler

RECONCILE = "contacts.sync"

log = logging.getLogger("panel.contacts")


async def reconcile_all(ctx: JobContext) -> None:
    """Reconcile every account whose contact sync is on."""
    accounts = await services.enabled_accounts()
    changed = 0
    for account_id in accounts:
        result = await services.reconcile(account_id)
        changed += sum(result.summary().values())
    log.info("contacts.sync: %d account(s), %d contact(s) changed", len(accounts), changed)
    await ctx.progress(100, f"{len(accounts)} account(s), {changed} contact(s) changed")


HANDLERS = (
    JobHandler(
        RECONCILE,
        reconcile_all,
        "Hourly: keep synced contacts in step with members (names, emails, leavers)",
        schedule="23 * * * *",
    ),
)
