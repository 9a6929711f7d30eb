"""The deny list: each item hidden in the UI, refused with the deciding line, and named by `panel policy explain`.

And the other side: what the child's owner may do, the partner may do too.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import factories as f
import pcsupport as w
import pytest
from panel.core.accounts.tables import Membership
from panel.core.auth.tables import User


@dataclass(frozen=True)
class Item:
    """One deny-list line as the partner meets it: where it is hidden, how it is refused, how it is explained."""

    name: str
    page: str  # the page where the action would be offered
    offered: str  # a regular expression that matches the offer on that page (must not match for the partner)
    method: str
    path: str
    rule: str  # what the deciding policy line's object and action part says
    explain: str  # OBJECT:VERB for `panel policy explain`
    json: Any = None


def items(wd: w.World) -> list[Item]:
    """The ten deny-list items of issue 8, in the customer Acme (Carol is a member there)."""
    acme, carol = wd.acme, wd.carol
    api = f"/api/v1/accounts/{acme}"
    return [
        Item("owner", "/account/users", r'action="/account/users/ownership"', "POST", "/account/users/ownership",
             "account:owner", "account:owner:update"),
        Item("two-factor", f"/accounts/{acme}/two-factor", rf'action="/accounts/{acme}/two-factor"', "POST",
             f"/accounts/{acme}/two-factor", "account:security_policy", "account:security_policy:update"),
        Item("admin role", f"/account/users/{carol}", r'value="all" data-permission="all"\s+(?!.*disabled)', "PUT",
             f"{api}/members/{carol}", "set_role_admin", f"user:{carol}:set_role_admin",
             json={"permissions": ["services", "all"]}),
        Item("profile image", f"/account/users/{carol}", rf'action="/account/users/{carol}/image"', "POST",
             f"/account/users/{carol}/image", "update_photo", f"user:{carol}:update_photo"),
        Item("password reset", f"/account/users/{carol}", r'data-testid="reset-password"', "POST",
             f"/account/users/{carol}/reset-password", "reset_password", f"user:{carol}:reset_password"),
        Item("delete user", f"/account/users/{carol}", rf'action="/account/users/{carol}/remove"', "POST",
             f"/account/users/{carol}/remove", "delete", f"user:{carol}:delete"),
        Item("export data", f"/account/users/{carol}", r'data-testid="export-member"', "POST",
             f"/account/users/{carol}/export", "userdata:*", f"userdata:{carol}:backup"),
        Item("dashboard", "/", r'data-testid="arrange-dashboard"', "POST", "/account/dashboard",
             "account:dashboard", "account:dashboard:update"),
        Item("referrals", "/", r'href="/account/referrals"', "GET", "/account/referrals", "referral:*",
             "referral:programme:read"),
        Item("contact sync", "/account/details", r'action="/account/contact-sync"', "POST", "/account/contact-sync",
             "account:contact_sync", "account:contact_sync:update"),
    ]  # fmt: skip


async def _send(client: Any, item: Item) -> Any:
    await client.get("/account/users")  # any page: the CSRF cookie
    if item.json is not None:
        return await client.request(item.method, item.path, json=item.json, headers={"x-csrftoken": f.csrf(client)})
    if item.method == "GET":
        return await client.get(item.path)
    return await f.post_form(client, item.path)


async def test_each_deny_item_is_hidden_refused_with_its_line_and_the_owner_still_may(client: Any, smtp: Any) -> None:
    wd = await w.world(client)
    checked = items(wd)
    assert len(checked) == 10

    # the child's owner is offered each of these (so "hidden" below is the rules, not a missing feature)
    await f.login_as(client, w.ALICE)
    for item in checked:
        if item.name == "admin role":
            continue  # the owner's box is a plain enabled checkbox: checked through the partner's disabled one below
        page = await client.get(item.page)
        assert re.search(item.offered, page.text), f"the owner is not offered {item.name}"

    await f.login_as(client, w.PARTNER_OWNER)
    await w.manage(client, wd.acme)
    for item in checked:
        page = await client.get(item.page)
        assert page.status_code in (200, 403), (item.name, page.status_code)
        if page.status_code == 200:
            assert not re.search(item.offered, page.text), f"{item.name} is offered to the partner"
        answer = await _send(client, item)
        assert answer.status_code == 403, (item.name, answer.status_code, answer.text[:300])
        why = w.reason(answer)
        assert why.startswith("denied by p, role:partner_delegate, *,"), (item.name, why)
        assert item.rule in why and "via g, user:" in why and f"acct:{wd.partner}" in why, (item.name, why)
    admin_box = await client.get(f"/account/users/{wd.carol}")
    assert re.search(r'value="all" data-permission="all"[^>]*disabled', admin_box.text)

    # nothing happened: Carol is still a member, not an admin, with her password and no export
    assert await Membership.exists().where((Membership.account == wd.acme) & (Membership.user == wd.carol))
    assert await User.exists().where(User.id == wd.carol)
    assert smtp.to(w.CAROL) == []

    # `panel policy explain` names the same line for each item (one run of the real command, an action each)
    blocks = (await _explain(client, wd, checked)).split("\n\n")
    assert len(blocks) == len(checked)
    for item, out in zip(checked, blocks, strict=True):
        lines = out.splitlines()
        assert lines[0] == f"{item.explain}:" and lines[1] == "deny", (item.name, out)
        assert "rule:  p, role:partner_delegate, *," in out and item.rule in out, (item.name, out)
        assert f"grant: g, acct:{wd.partner}, role:partner_delegate, acct:{wd.acme}" in out, (item.name, out)


async def _explain(client: Any, wd: w.World, checked: list[Item]) -> str:
    """Run the real `panel policy explain` command against the test database."""
    settings = client.app.state.settings
    env = {
        **os.environ,
        "PANEL_DATABASE_URL": settings.database_url,
        "PANEL_SECRET_KEY": settings.secret_key,
        "PANEL_DATA_DIR": str(settings.data_dir),
        "PANEL_PLUGINS": "all",
    }
    actions = [a for item in checked for a in ("--action", item.explain)]
    panel = Path(sys.executable).parent / "panel"
    proc = await asyncio.create_subprocess_exec(
        str(panel), "policy", "explain", "--user", w.PARTNER_OWNER, "--account", str(wd.acme),
        "--partner", str(wd.partner), *actions,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode().strip()


async def test_the_partner_does_what_the_owner_does_outside_the_deny_list(client: Any, smtp: Any) -> None:
    wd = await w.world(client)
    await f.login_as(client, w.PARTNER_OWNER)
    await w.manage(client, wd.acme)
    # add a user, change a member's permissions (not the admin role), see and edit the details
    invited = await f.post_form(client, "/account/users/invite", {"email": "dave@acme.test", "permissions": "tickets"})
    assert invited.status_code in (200, 303), invited.text[:300]
    await smtp.wait_to("dave@acme.test", 1)
    changed = await f.post_form(
        client, f"/account/users/{wd.carol}", [("permissions", "services"), ("permissions", "tickets")]
    )
    assert changed.status_code in (200, 303), changed.text[:300]
    perms = client.app.state.authz.grants_for(f"user:{wd.carol}", f"acct:{wd.acme}")
    assert ("g", f"user:{wd.carol}", "perm:tickets", f"acct:{wd.acme}") in perms
    for path in ("/services", "/invoices", "/account/details", "/account/users", "/payment-methods", "/tickets"):
        assert (await client.get(path)).status_code == 200, path
    # the other customer too, by switching through the console
    await f.post_form(client, "/partner/leave")
    await w.manage(client, wd.beta)
    assert 'data-testid="current-account">Beta<' in (await client.get("/")).text


@pytest.mark.parametrize("who", ["owner", "perm:all member"])
async def test_only_the_childs_owner_decides_about_the_partner(client: Any, who: str) -> None:
    wd = await w.world(client)
    if who == "perm:all member":
        from panel.core.accounts import services as accounts

        admin = await f.user(client.app.state.authz, "admin@acme.test")
        await accounts.add_member(client.app.state.authz, wd.acme, admin, ["all"])
        await f.login_as(client, "admin@acme.test")
    else:
        await f.login_as(client, w.ALICE)
    page = await client.get("/account/partner")
    assert page.status_code == 200 and "Agency" in page.text
    # the partner itself may not revoke or re-invite through the customer's pages (it ends from its console)
    await f.login_as(client, w.PARTNER_OWNER)
    await w.manage(client, wd.acme)
    refused = await f.post_form(client, "/account/partner/invite-back", {"partner_id": str(wd.partner)})
    assert refused.status_code == 403
    assert "partner_link" in w.reason(refused)
