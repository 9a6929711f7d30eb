"""Grants changed by another process (a second worker, the CLI) reach the running app."""

from __future__ import annotations

import factories as f
import pytest

from panel.app import load_authorizer
from panel.core.auth import services as auth
from panel.core.authz import Authorizer
from panel.settings import Settings


@pytest.fixture
def sync_seconds() -> float:
    """Sync on every request, so a test need not wait for the interval."""
    return 0.0


@pytest.fixture
def settings(settings: Settings, sync_seconds: float) -> Settings:
    return settings.with_overrides(authz_sync_seconds=sync_seconds)


async def other_process(client) -> Authorizer:
    """A second rules engine on the same database, built as the CLI builds it."""
    return await load_authorizer(client.app.state.settings, client.app.state.plugins)


async def test_an_admin_made_by_the_cli_gets_in_on_the_next_request(client, authz):
    user_id = await f.user(authz, "newadmin@example.com")
    await f.login(client, "newadmin@example.com")
    assert (await client.get("/admin")).status_code == 403
    cli = await other_process(client)
    await auth.grant_staff_role(cli, user_id, "admin")
    assert (await client.get("/admin")).status_code == 200
    assert auth.staff_roles(authz, user_id) == ["admin"]


async def test_a_suspension_by_another_worker_ends_access_on_the_next_request(client, authz):
    owner = await f.user(authz, "owner@example.com")
    account_id = await f.account(authz, "Acme", owner)
    await f.login(client, "owner@example.com")
    assert (await client.get("/")).status_code == 200
    worker = await other_process(client)
    assert await worker.add_grant("g3", f"acct:{account_id}", "class:suspended")
    assert (await client.get("/")).status_code == 403
    assert await worker.remove_grants("g3", 0, f"acct:{account_id}") == 1
    assert (await client.get("/")).status_code == 200


@pytest.mark.parametrize("sync_seconds", [3600.0])
async def test_changes_wait_for_the_sync_interval(client, authz):
    user_id = await f.user(authz, "later@example.com")
    await f.login(client, "later@example.com")  # these requests synced; the next is due in an hour
    cli = await other_process(client)
    await auth.grant_staff_role(cli, user_id, "admin")
    assert (await client.get("/admin")).status_code == 403
    assert await authz.sync() == 1
    assert (await client.get("/admin")).status_code == 200
