"""Update digests arrive over real SMTP: counts per site, ignored updates left out, one per period.

The first test reads a real WordPress site (the `apppw` site of `wp_sites`) next to a
site written as rows; the others need no WordPress (sites and items are rows, which is
all a digest reads). Each run of `wordpress.digest` is queued with the period the
scheduler would give it, so "the next day" and "the next week" are a payload away.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import factories as f
import pytest
from conftest import WpEnv
from panel.core import db
from panel.core.contacts.tables import Contact
from panel.core.jobs.services import enqueue
from panel.core.mail.tables import OutgoingEmail
from panel.core.stores.tables import StoreKind
from panel.settings import Settings
from support import SmtpServer, make_settings

from panel_wordpress import services, vault
from panel_wordpress.digest_jobs import DIGEST
from panel_wordpress.digest_tables import WordpressDigestSent
from panel_wordpress.tables import WordpressIgnored, WordpressItem, WordpressSite

PROVIDER = "ops@provider.test"


@pytest.fixture
def mailbox(smtp: SmtpServer) -> SmtpServer:
    """The worker's real SMTP server, emptied for the test."""
    return smtp


@pytest.fixture
def settings(wp_database_url: str, tmp_path: Path, mailbox: SmtpServer) -> Settings:
    """The plugin's test settings, with mail to the module's SMTP server and a provider digest address."""
    settings = make_settings(
        wp_database_url,
        tmp_path,
        PANEL_WORDPRESS_ALLOW_PRIVATE_HOSTS="true",
        PANEL_WORDPRESS_TIMEOUT="15",
        PANEL_WORDPRESS_PROVIDER_DIGEST_TO=f"Hosting Ops <{PROVIDER}>",
    )
    settings.values["smtp_url"] = mailbox.url
    return settings


async def run_digest(client: Any, period: str) -> None:
    """Run `wordpress.digest` as the scheduler would for `period` (YYYY-MM-DDTHH:MM, UTC)."""
    await enqueue(client.app.state.settings, DIGEST, {"period": period})
    assert await f.run_jobs(client.app) == 1


async def digests_queued(template: str = "wordpress/digest") -> int:
    return int(await OutgoingEmail.count().where(OutgoingEmail.template == template))


async def row_site(
    client: Any, account_id: int, name: str, items: list[tuple[str, str, str, str]], ignored: tuple[str, ...] = ()
) -> int:
    """A site written as rows: `items` are (kind, slug, version, offered); `ignored` slugs have their update ignored."""
    sealed = vault.seal(client.app.state.settings, "abcd abcd abcd abcd")
    async with db.write_transaction():
        rows = await WordpressSite.insert(
            WordpressSite(
                account=account_id,
                url=f"https://{name}.example",
                api_root=f"https://{name}.example/wp-json",
                name=name,
                wp_user="admin",
                app_password=sealed,
                wp_version="6.1.9",
                status="ok",
            )
        ).returning(WordpressSite.id)
        site_id = int(rows[0]["id"])
        await WordpressItem.insert(
            *(
                WordpressItem(site=site_id, kind=kind, slug=slug, name=slug.title(), version=v, new_version=new)
                for kind, slug, v, new in items
            )
        )
        for kind, slug, _, new in items:
            if slug in ignored:
                await WordpressIgnored.insert(WordpressIgnored(site=site_id, kind=kind, slug=slug, version=new))
        await services.recount(site_id)
    return site_id


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())  # type: ignore[attr-defined]


def site_line(text: str, name: str) -> tuple[int, int, int, int]:
    """(total, core, plugins, themes) from a digest's line about a site."""
    match = re.search(
        rf"^{re.escape(name)} \(.*?\): (\d+) updates? \(core (\d+), plugins (\d+), themes (\d+)\)$", text, re.M
    )
    assert match, f"no line about {name} in:\n{text}"
    total, core, plugins, themes = (int(g) for g in match.groups())
    return total, core, plugins, themes


async def test_a_real_sites_digest_counts_per_site_leaves_out_ignored_and_comes_once_per_period(
    client: Any, wp_sites: WpEnv, mailbox: SmtpServer
) -> None:
    authz = client.app.state.authz
    owner = await f.user(authz, "owner@example.com")
    account_id = await f.account(authz, "Owner Co", owner)
    await f.login_as(client, "owner@example.com")
    contact = await Contact.insert(Contact(account=account_id, name="Ada Ops", email="ada@ops.example")).returning(
        Contact.id
    )
    real = wp_sites.apppw
    answer = await client.post(
        f"/api/v1/wordpress/accounts/{account_id}/sites",
        json={"url": real.url, "method": "app_password", "user": "admin", "app_password": real.app_password},
        headers={"x-csrftoken": f.csrf(client)},
    )
    assert answer.status_code == 201, answer.text
    real_id = answer.json()["site"]["site"]["id"]
    real_name = answer.json()["site"]["site"]["name"]
    # one more site, as rows: two plugin updates and a theme's; a third plugin's update is ignored
    await row_site(
        client,
        account_id,
        "shop",
        [("plugin", "forms", "1.0", "1.1"), ("plugin", "seo", "2.0", "2.1"), ("plugin", "cache", "3.0", "3.1"),
         ("theme", "storefront", "4.0", "4.2"), ("plugin", "stable", "1.0", "")],
        ignored=("cache",),
    )  # fmt: skip

    # ignore one of the real site's pending updates from its page
    pending = await WordpressItem.select().where((WordpressItem.site == real_id) & (WordpressItem.new_version != ""))
    assert len(pending) >= 2, "the test site offers WordPress, Akismet and a theme update"
    dropped = pending[-1]
    assert (
        await f.post_form(client, f"/wordpress/sites/{real_id}/ignore", {"item": str(dropped["id"])})
    ).status_code == 303
    kept = [p for p in pending if p["id"] != dropped["id"]]
    expected_real = tuple(
        [len(kept)] + [sum(1 for p in kept if p["kind"] == kind) for kind in ("core", "plugin", "theme")]
    )

    # daily, to the owner and one contact
    saved = await f.post_form(
        client, "/wordpress/digest", {"schedule": "daily", "to_owner": "1", "contact": str(contact[0]["id"])}
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/wordpress/digest?notice=saved"

    await run_digest(client, "2026-05-06T10:05")

    await mailbox.wait_for(2)  # the account's digest and the provider's
    [message] = mailbox.to("owner@example.com")
    assert "ada@ops.example" in message["To"]  # one email to both
    total = expected_real[0] + 3
    assert message["Subject"] == f"WordPress updates: {total} pending on 2 sites of Owner Co"
    text = text_of(message)
    assert site_line(text, real_name) == expected_real
    assert site_line(text, "shop") == (3, 0, 2, 1)
    assert "Cache" not in text and "Stable" not in text  # ignored, and nothing offered
    assert f"{dropped['name']} {dropped['version']} -> {dropped['new_version']}" not in text
    assert "plugin Forms 1.0 -> 1.1" in text
    html = message.get_body(("html",))
    assert html is not None and "storefront" in str(html.get_content()).lower()  # type: ignore[attr-defined]

    # the same day again (a rerun, a later hour): nothing more
    await run_digest(client, "2026-05-06T10:05")
    await run_digest(client, "2026-05-06T22:05")
    await asyncio.sleep(0.3)
    assert len(mailbox.to("owner@example.com")) == 1
    assert await digests_queued() == 1
    page = await client.get("/wordpress/digest")
    assert page.status_code == 200
    assert re.search(r"2026-05-06</td>\s*<td class=\"num\">2</td><td class=\"num\">" + str(total), page.text)

    # the next day brings the next one
    await run_digest(client, "2026-05-07T00:05")
    assert len(await mailbox.wait_to("owner@example.com", 2)) == 2

    # "off" (through the API) sends nothing, the day after or later
    off = await client.put(
        f"/api/v1/wordpress/accounts/{account_id}/digest",
        json={"schedule": "off", "to_owner": True, "contact_ids": []},
        headers={"x-csrftoken": f.csrf(client)},
    )
    assert off.status_code == 200 and off.json()["schedule"] == "off"
    await run_digest(client, "2026-05-08T10:05")
    await run_digest(client, "2026-05-20T10:05")
    await asyncio.sleep(0.3)
    assert len(mailbox.to("owner@example.com")) == 2
    assert await digests_queued() == 2


async def test_weekly_waits_a_week_and_an_account_with_nothing_pending_gets_nothing(
    client: Any, mailbox: SmtpServer
) -> None:
    authz = client.app.state.authz
    busy = await f.account(authz, "Busy", await f.user(authz, "busy@example.com"))
    calm = await f.account(authz, "Calm", await f.user(authz, "calm@example.com"))
    await row_site(client, busy, "blog", [("core", "wordpress", "6.1.9", "6.1.10"), ("plugin", "forms", "1.0", "1.1")])
    await row_site(
        client, calm, "quiet", [("plugin", "forms", "1.1", ""), ("plugin", "seo", "2.0", "2.1")], ignored=("seo",)
    )

    await run_digest(client, "2026-05-04T00:05")  # Monday: the default is weekly
    [first] = await mailbox.wait_to("busy@example.com", 1)
    assert site_line(text_of(first), "blog") == (2, 1, 1, 0)

    for later in ("2026-05-06T10:05", "2026-05-10T23:05"):  # the same week, through Sunday night
        await run_digest(client, later)
    await asyncio.sleep(0.3)
    assert len(mailbox.to("busy@example.com")) == 1

    await run_digest(client, "2026-05-11T00:05")  # a week later
    assert len(await mailbox.wait_to("busy@example.com", 2)) == 2
    assert mailbox.to("calm@example.com") == []  # its only update is ignored
    assert await WordpressDigestSent.count().where(WordpressDigestSent.account == calm) == 0


async def test_a_reseller_gets_its_clients_sites_only_and_the_provider_gets_all_once(
    client: Any, mailbox: SmtpServer
) -> None:
    authz = client.app.state.authz
    r1 = await f.account(authz, "Reseller One", await f.user(authz, "r1@example.com"))
    r2 = await f.account(authz, "Reseller Two", await f.user(authz, "r2@example.com"))
    s1 = await f.make_store("R1 shop", "r1-shop", kind=StoreKind.RESELLER, reseller=r1)
    s2 = await f.make_store("R2 shop", "r2-shop", kind=StoreKind.RESELLER, reseller=r2)
    _, c1 = await f.client_of(authz, "c1@example.com", s1, "Client One")
    _, c2 = await f.client_of(authz, "c2@example.com", s2, "Client Two")
    direct = await f.account(authz, "Direct", await f.user(authz, "direct@example.com"))
    await row_site(client, c1, "one-a", [("plugin", "forms", "1.0", "1.1"), ("theme", "storefront", "4.0", "4.2")])
    await row_site(client, c1, "one-b", [("core", "wordpress", "6.1.9", "6.1.10")])
    await row_site(client, c2, "two", [("plugin", "seo", "2.0", "2.1")])
    await row_site(client, direct, "direct", [("plugin", "seo", "2.0", "2.1")])

    await run_digest(client, "2026-05-04T00:05")

    await mailbox.wait_for(6)  # three clients, two resellers, the provider
    [one] = mailbox.to("r1@example.com")
    assert one["Subject"] == "WordPress updates: 3 pending on 2 sites of your clients"
    text = text_of(one)
    assert "Client One" in text and "one-a" in text and "one-b" in text
    assert "two" not in text.split("Client One", 1)[1] and "Client Two" not in text and "direct" not in text
    [two] = mailbox.to("r2@example.com")
    assert "Client Two" in text_of(two) and "Client One" not in text_of(two) and "direct" not in text_of(two)
    [provider] = mailbox.to(PROVIDER)
    assert provider["Subject"] == "WordPress updates: 5 pending on 4 client sites"
    assert all(name in text_of(provider) for name in ("Client One", "Client Two", "Direct", "one-a", "two"))
    assert all(len(mailbox.to(f"{who}@example.com")) == 1 for who in ("c1", "c2", "direct"))

    await run_digest(client, "2026-05-04T01:05")
    await asyncio.sleep(0.3)
    assert len(mailbox.messages) == 6
    assert await WordpressDigestSent.count() == 6

    # the reseller turns its clients' digest off: the next week only the other reseller gets one
    await f.login_as(client, "r1@example.com")
    page = await client.get("/wordpress/digest")
    assert 'data-testid="clients-schedule-weekly" checked' in page.text and "Your clients&#39; sites" in page.text
    off = await f.post_form(
        client, "/wordpress/digest", {"schedule": "weekly", "to_owner": "1", "clients_schedule": "off"}
    )
    assert off.status_code == 303
    await run_digest(client, "2026-05-11T00:05")
    assert len(await mailbox.wait_to("r2@example.com", 2)) == 2
    await asyncio.sleep(0.3)
    assert len(mailbox.to("r1@example.com")) == 1


async def test_a_crash_before_the_commit_leaves_nothing_and_the_retry_sends_once(
    client: Any, mailbox: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from panel.core.mail import services as mail

    from panel_wordpress import digest_send

    authz = client.app.state.authz
    busy = await f.account(authz, "Busy", await f.user(authz, "busy@example.com"))
    await row_site(client, busy, "blog", [("plugin", "forms", "1.0", "1.1")])

    async def queue_then_crash(*args: Any, **kwargs: Any) -> int:
        await mail.send(*args, **kwargs)
        raise RuntimeError("the worker died here")

    monkeypatch.setattr(digest_send, "mail", SimpleNamespace(send=queue_then_crash))
    with pytest.raises(RuntimeError):
        await digest_send.send_due(client.app.state.settings, datetime(2026, 5, 4, 0, 5, tzinfo=UTC))
    assert await digests_queued() == 0 and await WordpressDigestSent.count() == 0  # rolled back together

    monkeypatch.setattr(digest_send, "mail", mail)
    await run_digest(client, "2026-05-04T00:05")  # the job's next attempt
    await run_digest(client, "2026-05-04T00:05")  # and one more, for good measure
    assert len(await mailbox.wait_to("busy@example.com", 1)) == 1
    await asyncio.sleep(0.3)
    assert len(mailbox.to("busy@example.com")) == 1 and await digests_queued() == 1
