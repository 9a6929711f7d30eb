"""Arranging the home page: the owner orders and hides tiles and widgets, every member's home page follows."""

from __future__ import annotations

import re
from typing import Any

import factories as f
import support

from panel.core.audit.tables import AuditEvent
from panel.core.authz.engine import AuthzRequest


def _widgets(html: str) -> list[str]:
    """Widget names in the order the home page shows them."""
    return re.findall(r'<section class="widget" id="widget-([^"]+)"', html)


def _listed(html: str) -> list[str]:
    """Item keys in the order the arrange page lists them."""
    return re.findall(r'<input type="hidden" name="order" value="([^"]+)"', html)


def _form(keys: list[str], hidden: set[str], move: str = "") -> list[tuple[str, str]]:
    data = [("order", k) for k in keys] + [("shown", k) for k in keys if k not in hidden]
    return data + ([("move", move)] if move else [])


async def test_owner_arranges_and_every_members_home_page_follows(client: Any, authz: Any) -> None:
    owner = await f.user(authz, "owner@example.com")
    clerk = await f.user(authz, "clerk@example.com")
    account = await f.account(authz, "Acme Hosting", owner, members={clerk: ["invoices"]})
    await f.login_as(client, "clerk@example.com")
    default_for_clerk = _widgets((await client.get("/")).text)
    assert "account" in default_for_clerk and "billing" in default_for_clerk

    await f.login_as(client, "owner@example.com")
    home = await client.get("/")
    assert 'data-testid="arrange-dashboard"' in home.text
    default = _widgets(home.text)
    page = await client.get("/account/dashboard")
    assert page.status_code == 200 and "Arrange dashboard" in page.text
    keys = _listed(page.text)
    assert [k.removeprefix("widget:") for k in keys if k.startswith("widget:")] == default
    assert 'data-testid="reset"' not in page.text  # nothing arranged yet

    # the up button moves billing one place up; the account panel is unticked (hidden)
    at = default.index("billing")
    assert at > 0 and default[-1] == "account"  # the account panel comes last by default
    saved = await f.post_form(client, "/account/dashboard", _form(keys, {"widget:account"}, "up:widget:billing"))
    assert saved.status_code == 303 and saved.headers["location"] == "/account/dashboard?done=saved"
    expected = [*default[: at - 1], "billing", default[at - 1], *default[at + 1 : -1]]
    owner_home = (await client.get("/")).text
    assert _widgets(owner_home) == expected
    assert 'id="widget-account"' not in owner_home and "This account" not in owner_home

    # the one-statement home page holds for an arranged account
    await client.get("/")
    with support.recorded_statements() as seen:
        again = await client.get("/")
    assert _widgets(again.text) == expected
    own = [sql for sql in seen if "dummy_note" not in sql]
    assert len(own) == 1, own

    # every member follows; they still see only what they may
    await f.login_as(client, "clerk@example.com")
    clerk_home = (await client.get("/")).text
    assert 'id="widget-account"' not in clerk_home
    assert _widgets(clerk_home) == [w for w in expected if w in default_for_clerk]
    assert 'data-testid="arrange-dashboard"' not in clerk_home
    assert (await client.get("/account/dashboard")).status_code == 403
    refused = await f.post_form(client, "/account/dashboard", _form(keys, set()))
    assert refused.status_code == 403
    assert 'id="widget-account"' not in (await client.get("/")).text  # nothing changed

    # with htmx the list is swapped in place; reset brings the default back
    await f.login_as(client, "owner@example.com")
    arranged = _listed((await client.get("/account/dashboard")).text)
    form: dict[str, Any] = {"order": arranged, "shown": arranged, "move": f"down:{arranged[-1]}"}
    swapped = await client.post(
        "/account/dashboard",
        data={**form, "_csrf_token": f.csrf(client)},
        headers={"hx-request": "true", "hx-target": "arrange"},
    )
    assert swapped.status_code == 200 and 'id="arrange"' in swapped.text
    assert "The home page was arranged." in swapped.text
    assert 'id="widget-account"' in (await client.get("/")).text  # ticked again: shown
    reset = await f.post_form(client, "/account/dashboard/reset")
    assert reset.status_code == 303
    assert _widgets((await client.get("/")).text) == default

    events = await AuditEvent.select(AuditEvent.action).where(AuditEvent.account_id == account)
    actions = [e["action"] for e in events]
    assert actions.count("dashboard.arrange") == 2 and actions.count("dashboard.reset") == 1


async def test_api_reads_for_members_and_refuses_unknown_items_and_members_without_the_right(
    client: Any, authz: Any
) -> None:
    owner = await f.user(authz, "api@example.com")
    clerk = await f.user(authz, "clerk2@example.com")
    account = await f.account(authz, "Api Co", owner, members={clerk: ["invoices"]})
    other = await f.account(authz, "Other Co", await f.user(authz, "other@example.com"))
    await f.login_as(client, "api@example.com")
    base = f"/api/v1/accounts/{account}/dashboard"
    csrf = {"x-csrftoken": f.csrf(client)}
    bad = await client.put(base, json={"order": ["widget:nope"]}, headers=csrf)
    assert bad.status_code == 422 and "widget:nope" in bad.text
    put = await client.put(base, json={"order": ["widget:billing"], "hidden": ["widget:account"]}, headers=csrf)
    assert put.status_code == 200, put.text
    assert put.json()["widgets"][0] == {"key": "widget:billing", "group": "widget", "title": "Billing", "shown": True}
    assert (await client.get(f"/api/v1/accounts/{other}/dashboard")).status_code in (403, 404)

    await f.login_as(client, "clerk2@example.com")
    read = await client.get(base)
    assert read.status_code == 200 and not read.json()["is_default"]
    denied = await client.put(base, json={"order": []}, headers={"x-csrftoken": f.csrf(client)})
    assert denied.status_code == 403


async def test_a_partner_may_not_arrange_a_childs_dashboard(client: Any, authz: Any) -> None:
    partner_admin = await f.user(authz, "pa@partner.example")
    partner = await f.account(authz, "Partner", partner_admin)
    child = await f.account(authz, "Child", await f.user(authz, "child@example.com"))
    await authz.add_grant("g", f"acct:{partner}", "role:partner_delegate", f"acct:{child}")
    await authz.add_grant("g", f"user:{partner_admin}", "role:partner_admin", f"acct:{partner}")

    def ask(action: str) -> Any:
        return authz.explain(
            AuthzRequest(
                f"user:{partner_admin}", f"acct:{partner}", f"acct:{child}", "account:dashboard", action, "mode:normal"
            )
        )

    assert ask("read").allowed  # a partner sees the child's home page as it is
    denied = ask("update")
    assert not denied.allowed
    assert denied.rule == ("p", "role:partner_delegate", "*", "account:dashboard", "^update$", "deny")
