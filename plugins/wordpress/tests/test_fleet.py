"""Sites across clients: staff see every client's sites, a reseller only its own clients'.

No WordPress is needed: sites and their inventory are rows written directly, and the
update action is followed only until its runs are queued (one per account).
"""

from __future__ import annotations

import re
from typing import Any

import factories as f
from panel.core import db
from panel.core.audit.tables import AuditEvent
from panel.core.stores.tables import StoreKind

from panel_wordpress import fleet
from panel_wordpress.run_tables import WordpressRun, WordpressRunStep
from panel_wordpress.tables import WordpressIgnored, WordpressItem, WordpressSite

DEAD = "http://127.0.0.1:9"  # nothing listens: the runs are only queued here


async def _site(account_id: int, name: str, *, items: int = 0, core: bool = False, **columns: Any) -> int:
    """A site with `items` plugin updates (and a core update) both on its row and as inventory."""
    async with db.write_transaction():
        rows = await WordpressSite.insert(
            WordpressSite(
                account=account_id,
                url=f"{DEAD}/{name}",
                api_root=f"{DEAD}/{name}/wp-json",
                name=name,
                wp_user="admin",
                app_password="sealed",
                wp_version="6.1.9",
                php_version="8.2.1",
                connector_version="1.1.0",
                core_update="6.1.10" if core else "",
                plugin_updates=items,
                **columns,
            )
        ).returning(WordpressSite.id)
        site_id = int(rows[0]["id"])
        inventory = [
            WordpressItem(
                site=site_id, kind="plugin", slug=f"p{n}/p{n}.php", name=f"P{n}", version="1.0", new_version="1.1"
            )
            for n in range(items)
        ]
        if core:
            inventory.append(
                WordpressItem(site=site_id, kind="core", slug="wordpress", version="6.1.9", new_version="6.1.10")
            )
        if inventory:
            await WordpressItem.insert(*inventory)
    return site_id


async def _world(client: Any) -> dict[str, int]:
    """Two resellers (R1, R2) with a client each, a client of the provider, and staff.

    R1 also has a site of its own (not a client's), and C1 an ignored update (left out
    of its row's counts, as a refresh leaves it).
    """
    authz = client.app.state.authz
    await f.user(authz, "admin@example.com", staff="admin")
    await f.user(authz, "support@example.com", staff="support")
    provider = await f.make_store("Provider", "provider", default=True)
    r1_owner = await f.user(authz, "r1@example.com")
    r1_helper = await f.user(authz, "r1-helper@example.com")
    r1 = await f.account(authz, "Reseller One", r1_owner, {r1_helper: ["wordpress.sites"]})
    r2 = await f.account(authz, "Reseller Two", await f.user(authz, "r2@example.com"))
    for account_id in (r1, r2):
        await f.bind(account_id, provider)
    s1 = await f.make_store("R1 shop", "r1-shop", kind=StoreKind.RESELLER, reseller=r1)
    s2 = await f.make_store("R2 shop", "r2-shop", kind=StoreKind.RESELLER, reseller=r2)
    _, c1 = await f.client_of(authz, "c1@example.com", s1, "Acme Bakery")
    _, c2 = await f.client_of(authz, "c2@example.com", s2, "Bolt Garage")
    _, c3 = await f.client_of(authz, "c3@example.com", provider, "Cedar Dental")
    ids = {"r1": r1, "r2": r2, "c1": c1, "c2": c2, "c3": c3}
    ids["acme_shop"] = await _site(c1, "acme-shop", items=2, core=True, health_status="good")
    ids["acme_blog"] = await _site(c1, "acme-blog", health_status="critical")
    ids["bolt"] = await _site(c2, "bolt-site", items=1, status="error", last_error="timed out")
    ids["cedar"] = await _site(c3, "cedar-site", items=3, theme_updates=0)
    ids["r1_own"] = await _site(r1, "reseller-own", items=1)
    # an ignored plugin update on acme-shop: not on the row's counts, never part of a run
    await WordpressItem.insert(
        WordpressItem(
            site=ids["acme_shop"], kind="plugin", slug="old/old.php", name="Old", version="1", new_version="2"
        )
    )
    await WordpressIgnored.insert(WordpressIgnored(site=ids["acme_shop"], kind="plugin", slug="old/old.php"))
    return ids


def _shown(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'<tr data-site-id="(\d+)"', html)}


async def test_staff_see_every_clients_sites_with_counts_and_filters(client: Any) -> None:
    ids = await _world(client)
    await f.login_as(client, "support@example.com")

    page = await client.get("/admin/wordpress")
    assert page.status_code == 200
    html = page.text
    every = {ids[k] for k in ("acme_shop", "acme_blog", "bolt", "cedar", "r1_own")}
    assert _shown(html) == every
    assert 'data-testid="fleet-total">5 sites' in html
    shop = ids["acme_shop"]
    assert re.search(rf'data-testid="client-{shop}"><a href="/admin/clients/{ids["c1"]}">Acme Bakery</a>', html)
    assert f'data-testid="core-{shop}">1<' in html and f'data-testid="plugins-{shop}">2<' in html  # ignored left out
    assert f'data-testid="plugins-{ids["cedar"]}">3<' in html
    assert f'data-testid="failed-{ids["bolt"]}"' in html
    assert html.index("Acme Bakery") < html.index("Bolt Garage") < html.index("Cedar Dental")  # by client name

    assert _shown((await client.get("/admin/wordpress", params={"q": "BOLT"})).text) == {ids["bolt"]}
    pending = await client.get("/admin/wordpress", params={"pending": "1"})
    assert _shown(pending.text) == {ids["acme_shop"], ids["bolt"], ids["cedar"], ids["r1_own"]}
    unhealthy = await client.get("/admin/wordpress", params={"unhealthy": "1"})
    assert _shown(unhealthy.text) == {ids["acme_blog"], ids["bolt"]}
    both = await client.get("/admin/wordpress", params={"unhealthy": "1", "pending": "1", "q": "garage"})
    assert _shown(both.text) == {ids["bolt"]}
    assert _shown((await client.get("/admin/wordpress", params={"q": "50%_"})).text) == set()

    assert 'href="/admin/wordpress"' in html  # the admin area's link

    second = await fleet.sites(fleet.STAFF, fleet.FleetFilters(), limit=2, offset=2)  # paged by client, then address
    assert (second.total, second.page, second.pages) == (5, 2, 3)
    assert [r.account_name for r in second.rows] == ["Bolt Garage", "Cedar Dental"]


async def test_staff_update_starts_one_run_per_client_audited_as_staff(client: Any) -> None:
    ids = await _world(client)
    await f.login_as(client, "admin@example.com")
    chosen = [("site", str(ids[k])) for k in ("acme_shop", "acme_blog", "bolt")]

    answer = await f.post_form(client, "/admin/wordpress/updates", chosen)
    assert answer.status_code == 303, answer.text
    assert "started=2" in answer.headers["location"] and "up_to_date=1" in answer.headers["location"]

    made = await WordpressRun.select().order_by(WordpressRun.account)
    assert [r["account"] for r in made] == sorted([ids["c1"], ids["c2"]])
    assert all(r["job"] is not None for r in made)
    steps = await WordpressRunStep.select(WordpressRunStep.run, WordpressRunStep.site, WordpressRunStep.slug)
    acme_run = next(r["id"] for r in made if r["account"] == ids["c1"])
    acme_steps = sorted(s["slug"] for s in steps if s["run"] == acme_run)
    assert acme_steps == ["p0/p0.php", "p1/p1.php", "wordpress"]  # the ignored update is not part of it
    events = (
        await AuditEvent.select().where(AuditEvent.action == "wordpress.run.update").order_by(AuditEvent.account_id)
    )
    admin = await db.fetch("SELECT id FROM panel_user WHERE email = {}", "admin@example.com")
    assert [(e["account_id"], e["actor_user_id"]) for e in events] == [
        (ids["c1"], admin[0]["id"]),
        (ids["c2"], admin[0]["id"]),
    ]

    listing = await client.get("/admin/wordpress", params={"started": 2, "up_to_date": 1})
    assert "Started 2 update runs" in listing.text
    assert f'href="/admin/wordpress/runs/{acme_run}"' in listing.text
    run_page = await client.get(f"/admin/wordpress/runs/{acme_run}")
    assert run_page.status_code == 200
    assert "acme-shop" in run_page.text and 'data-state="pending"' in run_page.text
    assert (await client.get(f"/admin/wordpress/runs/{acme_run}/steps")).status_code == 200

    # nothing pending on what was chosen: the form again with the reason, nothing started
    again = await f.post_form(client, "/admin/wordpress/updates", [("site", str(ids["acme_blog"]))])
    assert again.status_code == 422 and 'data-testid="error-sites"' in again.text
    assert await WordpressRun.count() == 2


async def test_a_reseller_sees_and_updates_only_its_clients_sites(client: Any) -> None:
    ids = await _world(client)
    await f.login_as(client, "r1@example.com")

    home = await client.get("/")
    assert 'href="/reseller/wordpress"' in home.text  # the link shows in a reseller's account
    page = await client.get("/reseller/wordpress")
    assert page.status_code == 200
    assert _shown(page.text) == {ids["acme_shop"], ids["acme_blog"]}  # not R2's, the provider's, or its own site
    assert "Bolt Garage" not in page.text and "Cedar Dental" not in page.text

    # another reseller's client's site (even next to its own client's): 404, nothing queued
    for chosen in ([ids["bolt"]], [ids["acme_shop"], ids["bolt"]], [ids["cedar"]], [ids["r1_own"]]):
        refused = await f.post_form(client, "/reseller/wordpress/updates", [("site", str(s)) for s in chosen])
        assert refused.status_code == 404, chosen
    assert await WordpressRun.count() == 0

    done = await f.post_form(client, "/reseller/wordpress/updates", [("site", str(ids["acme_shop"]))])
    assert done.status_code == 303
    run = await WordpressRun.select().first()
    assert run is not None and run["account"] == ids["c1"]
    assert (await client.get(f"/reseller/wordpress/runs/{run['id']}")).status_code == 200

    # R2 cannot open R1's client's run, nor list R1's clients' sites
    await f.login_as(client, "r2@example.com")
    assert (await client.get(f"/reseller/wordpress/runs/{run['id']}")).status_code == 404
    assert _shown((await client.get("/reseller/wordpress")).text) == {ids["bolt"]}


async def test_a_client_on_the_staff_page_is_refused(client: Any) -> None:
    ids = await _world(client)
    await f.login_as(client, "c1@example.com")

    assert (await client.get("/admin/wordpress")).status_code == 403
    refused = await f.post_form(client, "/admin/wordpress/updates", [("site", str(ids["acme_shop"]))])
    assert refused.status_code == 403
    assert await WordpressRun.count() == 0


async def test_an_account_that_is_no_reseller_gets_404_in_the_reseller_area(client: Any) -> None:
    ids = await _world(client)
    await f.login_as(client, "c1@example.com")

    assert 'href="/reseller/wordpress"' not in (await client.get("/")).text
    assert (await client.get("/reseller/wordpress")).status_code == 404
    refused = await f.post_form(client, "/reseller/wordpress/updates", [("site", str(ids["acme_shop"]))])
    assert refused.status_code == 404
    assert await WordpressRun.count() == 0


async def test_a_reseller_member_without_the_reseller_permission_is_refused(client: Any) -> None:
    ids = await _world(client)
    await f.login_as(client, "r1-helper@example.com")

    assert (await client.get("/reseller/wordpress")).status_code == 403
    refused = await f.post_form(client, "/reseller/wordpress/updates", [("site", str(ids["acme_shop"]))])
    assert refused.status_code == 403
    assert await WordpressRun.count() == 0
