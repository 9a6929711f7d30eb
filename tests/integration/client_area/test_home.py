"""The client area's home page: who is logged in where, quick statistics, unpaid invoices with Pay buttons,
each panel only for members whose permissions allow it, and a fixed number of queries."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import dummy_plugin
import factories as f
import support
from dummy_plugin.tables import DummyNote

from panel.core import db
from panel.core.accounts import home as home_page
from panel.core.announcements.services import forget_home
from panel.core.services.tables import Service
from panel.core.stores.services import forget_resellers
from panel.core.support.tables import SupportDepartment, SupportTicket
from panel.plugin import DashboardStat, PluginMeta, hookimpl

from .helpers import active_service, client_account, give_credit, issue, shop


def _stat(html: str, name: str) -> str | None:
    """The value shown in a tile, or None when the tile is absent."""
    found = re.search(rf'data-testid="stat-{re.escape(name)}">([^<]*)<', html)
    return found.group(1) if found else None


async def test_home_shows_who_where_stats_and_unpaid_invoices_with_pay_buttons(client, authz):
    s = await shop()
    acct = await client_account(authz, "owner@example.com", s.store)
    await f.account(authz, "Second Ltd", await _user_id("owner@example.com"))
    await active_service(client.app, acct, s)
    first = await issue(s.store, acct)  # 12.10 EUR
    second = await issue(s.store, acct)
    await give_credit(acct, 500)
    await f.login_as(client, "owner@example.com")
    assert (await f.post_form(client, "/accounts/switch", {"account_id": acct})).status_code == 303

    home = await client.get("/")

    assert home.status_code == 200
    assert 'data-testid="dashboard-account">Owner Ltd<' in home.text
    assert "Logged in as Owner &lt;owner@example.com&gt;" in home.text
    assert "another of your 2 accounts" in home.text
    assert _stat(home.text, "services.active") == "1"
    assert _stat(home.text, "billing.unpaid") == "€24.20"
    assert _stat(home.text, "billing.credit") == "€5.00"
    assert 'href="/invoices?status=unpaid"' in home.text and 'href="/credit"' in home.text
    assert "2 unpaid invoices</a>: €24.20 due" in home.text
    for invoice_id in (first, second):
        assert f'href="/invoices/{invoice_id}/pay" data-testid="pay-{invoice_id}">Pay<' in home.text
    pay_page = await client.get(f"/invoices/{first}/pay")
    assert pay_page.status_code == 200 and 'name="how" value="credit"' in pay_page.text


async def _user_id(email: str) -> int:
    from panel.core.auth.tables import User

    row = await User.select(User.id).where(User.email == email).first()
    return int(row["id"])


async def test_a_member_with_only_tickets_sees_no_billing_and_no_services(client, authz):
    s = await shop()
    acct = await client_account(authz, "owner@example.com", s.store, {"desk@example.com": ["tickets"]})
    await active_service(client.app, acct, s)
    invoice_id = await issue(s.store, acct)
    await give_credit(acct, 500)
    await f.login_as(client, "desk@example.com")

    home = await client.get("/")

    assert home.status_code == 200
    assert 'data-testid="dashboard-account">Owner Ltd<' in home.text
    for name in ("billing.unpaid", "billing.credit", "services.active"):
        assert _stat(home.text, name) is None, name
    assert "billing-widget" not in home.text and f"/invoices/{invoice_id}" not in home.text
    assert 'href="/invoices' not in home.text and 'href="/services"' not in home.text and "€" not in home.text


async def test_a_member_with_only_invoices_sees_billing_and_no_services(client, authz):
    s = await shop()
    acct = await client_account(authz, "owner@example.com", s.store, {"biller@example.com": ["invoices"]})
    await active_service(client.app, acct, s)
    invoice_id = await issue(s.store, acct)
    await f.login_as(client, "biller@example.com")

    home = await client.get("/")

    assert _stat(home.text, "billing.unpaid") == "€12.10" and _stat(home.text, "billing.credit") == "0"
    assert f'data-testid="pay-{invoice_id}"' in home.text
    assert _stat(home.text, "services.active") is None
    assert 'id="widget-services"' not in home.text and 'href="/services"' not in home.text


async def test_the_home_page_costs_the_same_queries_whatever_the_account_holds(client, authz):
    """No N+1: invoices, services and quotes listed or counted on the home page add no query."""
    from panel.core.quotes.tables import ClientQuote

    s = await shop()
    acct = await client_account(authz, "owner@example.com", s.store)
    await active_service(client.app, acct, s)
    await issue(s.store, acct)
    await f.login_as(client, "owner@example.com")

    async def queries_for_home() -> int:
        # count what loading costs, not what the caches save (see the next test)
        home_page.clear_cache()
        forget_home()
        forget_resellers()
        with support.recorded_statements() as seen:
            assert (await client.get("/")).status_code == 200
        return len(seen)

    few = await queries_for_home()
    for i in range(4):
        await active_service(client.app, acct, s, label=f"more-{i}.example")
        await issue(s.store, acct)
    await give_credit(acct, 700)
    await ClientQuote.insert(
        *[
            ClientQuote(store=s.store, account=acct, number=f"Q-T{i}", status="sent", currency="EUR", total=100,
                        valid_until=date(2999, 1, 1))
            for i in range(3)
        ]
    )  # fmt: skip
    many = await queries_for_home()

    home = await client.get("/")
    assert _stat(home.text, "services.active") == "5" and "5 unpaid invoices" in home.text
    assert _stat(home.text, "quotes.open") == "3"
    assert few == many >= 5, (few, many)


async def test_an_unchanged_account_is_summarised_without_a_query_and_any_change_shows_at_once(client, authz):
    """The home page keeps what it loaded while the account's data revision stays; every change moves it."""
    s = await shop()
    acct = await client_account(authz, "owner@example.com", s.store)
    await active_service(client.app, acct, s)
    await f.login_as(client, "owner@example.com")
    assert _stat((await client.get("/")).text, "services.active") == "1"
    with support.recorded_statements() as seen:
        again = await client.get("/")
    assert _stat(again.text, "services.active") == "1"
    own = [sql for sql in seen if "dummy_note" not in sql]  # the test plugin's tile does not cache
    assert len(own) == 1 and "token_hash" in own[0], own  # the session, its accounts and their revisions

    # rows written behind the page's back (another process, a job, staff) show at the next view
    await active_service(client.app, acct, s, label="second.example")
    await issue(s.store, acct)
    await give_credit(acct, 700)
    after = (await client.get("/")).text
    assert _stat(after, "services.active") == "2" and "1 unpaid invoice" in after
    await Service.update({Service.status: "cancelled"}).where(Service.account == acct)
    assert _stat((await client.get("/")).text, "services.active") == "0"
    department = await SupportDepartment.insert(SupportDepartment(name="Technical")).returning(SupportDepartment.id)
    await SupportTicket.insert(
        SupportTicket(account=acct, department=department[0]["id"], number="TKT-CACHED1", subject="Mail bounces")
    )
    assert "TKT-CACHED1: Mail bounces" in (await client.get("/")).text


async def test_an_account_id_used_again_never_shows_the_old_accounts_summary(client, authz):
    """SQLite gives a deleted account's id to the next account: its revision is new, so nothing cached is reused."""
    from panel.core.clients.services import delete_client

    s = await shop()
    old = await client_account(authz, "owner@example.com", s.store)
    await f.login_as(client, "owner@example.com")
    assert (await client.get("/")).status_code == 200  # summarised and cached under the old revision
    (before,) = await db.fetch("SELECT revision FROM panel_account_revision WHERE account = {}", old)
    await delete_client(authz, old)
    again = await client_account(authz, "second@example.com", s.store)
    (after,) = await db.fetch("SELECT revision FROM panel_account_revision WHERE account = {}", again)
    assert after["revision"] > before["revision"]
    await active_service(client.app, again, s)
    await f.login_as(client, "second@example.com")
    assert _stat((await client.get("/")).text, "services.active") == "1"


# -- panel_register_dashboard_stats, with the dummy plugin ----------------------------------------------


async def test_a_plugins_tile_shows_what_load_returns_and_only_to_allowed_members(client, authz):
    s = await shop()
    acct = await client_account(
        authz, "owner@example.com", s.store, {"notes@example.com": ["dummy.things"], "other@example.com": []}
    )
    await f.login_as(client, "owner@example.com")
    assert _stat((await client.get("/")).text, "dummy.notes") is None  # load answered None: no tile

    await DummyNote.insert(DummyNote(account_id=acct, body="a"), DummyNote(account_id=acct, body="b"))
    home = await client.get("/")
    assert _stat(home.text, "dummy.notes") == "2"
    assert '<a href="/dummy/hello">' in home.text.split('id="stat-dummy.notes"')[1].split("</li>")[0]

    await f.login_as(client, "notes@example.com")
    assert _stat((await client.get("/")).text, "dummy.notes") == "2"
    await f.login_as(client, "other@example.com")
    assert _stat((await client.get("/")).text, "dummy.notes") is None


def test_the_dummy_plugin_registers_a_tile_that_needs_a_loader() -> None:
    found: list[DashboardStat] = []
    dummy_plugin.panel_register_dashboard_stats(found.append)

    assert [(t.name, t.obj, t.href) for t in found] == [("dummy.notes", "dummy.thing:*", "/dummy/hello")]
    try:
        DashboardStat("broken", "Broken", "x:*")
    except TypeError as exc:
        assert "needs a load function" in str(exc)
    else:
        raise AssertionError("a tile without load was accepted")


async def test_tiles_are_sorted_by_order_and_a_duplicate_name_is_refused(client, authz):
    from panel.errors import PluginError

    names = [t.name for t in client.app.state.dashboard_stats]
    assert names.index("services.active") < names.index("billing.unpaid") < names.index("billing.credit")

    class Twice:
        PLUGIN_META = PluginMeta(name="twice", version="0.1.0", summary="registers core's tile name again")

        @staticmethod
        @hookimpl
        def panel_register_dashboard_stats(register: Any) -> None:
            register(DashboardStat("billing.unpaid", "Again", "invoice:*", load=_none))

    plugins = client.app.state.plugins
    plugins.pm.register(Twice, name="twice")
    try:
        try:
            plugins.dashboard_stats()
        except PluginError as exc:
            assert "billing.unpaid is registered twice" in str(exc)
        else:
            raise AssertionError("a duplicate tile name was accepted")
    finally:
        plugins.pm.unregister(name="twice")


async def _none(request: Any) -> None:
    return None
