"""The deny list is a policy file: change a line in a copy and the partner's rights follow, with no code change."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import dummy_plugin
import factories as f
import pcsupport as w
import pytest
from litestar.testing import AsyncTestClient
from panel.app import default_policies_dir
from panel.core.accounts.tables import Membership
from support import empty_tables, make_settings, shared_app

import panel_partner_console.plugin
from panel_partner_console import services

DEFAULT_LINE = "p, role:partner_delegate, *, user:*, ^(set_role_admin|reset_password|delete|update_photo)$, deny"
EDITED_LINE = "p, role:partner_delegate, *, user:*, ^(set_role_admin|reset_password|update_photo)$, deny"
ADDED_LINE = "p, role:partner_delegate, *, ticket:*, .*, deny"


@pytest.fixture
async def edited(pc_database_url: str, tmp_path: Path, smtp: Any) -> AsyncIterator[Any]:
    """An app reading a copy of the shipped policies where the provider let partners delete users and hid tickets."""
    folder = tmp_path / "policies"
    shutil.copytree(default_policies_dir(), folder)
    policy = folder / "policy.csv"
    text = policy.read_text()
    assert DEFAULT_LINE in text  # the shipped deny list has this line
    policy.write_text(text.replace(DEFAULT_LINE, EDITED_LINE) + ADDED_LINE + "\n")
    settings = make_settings(pc_database_url, tmp_path / "data", PANEL_POLICIES_DIR=str(folder))
    settings.values["smtp_url"] = smtp.url
    application = shared_app(settings, panel_partner_console.plugin, dummy_plugin)
    await empty_tables()
    services.forget_partners()
    async with AsyncTestClient(app=application, base_url="http://testserver.local") as c:
        yield c


async def _partner_in_acme(c: Any) -> w.World:
    wd = await w.world(c)
    await f.login_as(c, w.PARTNER_OWNER)
    await w.manage(c, wd.acme)
    return wd


async def test_shipped_policy_partner_sees_tickets_and_may_not_delete_users(client: Any) -> None:
    wd = await _partner_in_acme(client)
    assert (await client.get("/tickets")).status_code == 200
    refused = await f.post_form(client, f"/account/users/{wd.carol}/remove")
    assert refused.status_code == 403 and DEFAULT_LINE in w.reason(refused)


async def test_an_edited_copy_of_the_policy_changes_what_partners_may_do(edited: Any) -> None:
    wd = await _partner_in_acme(edited)
    hidden = await edited.get("/tickets")
    assert hidden.status_code == 403 and ADDED_LINE in w.reason(hidden)
    assert 'href="/tickets"' not in (await edited.get("/")).text  # out of the navigation too
    removed = await f.post_form(edited, f"/account/users/{wd.carol}/remove")
    assert removed.status_code == 303, removed.text[:300]
    assert not await Membership.exists().where((Membership.account == wd.acme) & (Membership.user == wd.carol))
    still = await f.post_form(edited, f"/account/users/{wd.carol}/reset-password")
    assert still.status_code in (403, 404)
