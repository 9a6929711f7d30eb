"""Announcements: staff write and schedule them; members, the home page and visitors read them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import factories as f

from panel.core.announcements.tables import Announcement

from .helpers import main_of, member_of_account, text_of


def _at(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).strftime("%Y-%m-%dT%H:%M")


async def test_support_staff_publish_schedule_and_members_read(client, authz, staff_login):
    await staff_login(client, authz, "support")
    assert (await client.get("/admin/announcements")).status_code == 200

    # a form with an error keeps what was typed and says what is wrong beside the field
    bad = await f.post_form(client, "/admin/announcements", {"title": "", "body": "Kept **text**", "published": "on"})
    assert bad.status_code == 422
    assert 'class="field-error"' in bad.text and "Give the announcement a title." in bad.text
    assert "Kept **text**" in bad.text

    # the preview renders the Markdown without saving (with and without htmx)
    preview = await f.post_form(client, "/admin/announcements", {"title": "x", "body": "# Big", "action": "preview"})
    assert preview.status_code == 200 and "<h1>Big</h1>" in preview.text
    assert await Announcement.count() == 0

    posts = [
        ("Old news", "First.", _at(-timedelta(days=3)), "on"),
        (
            "Maintenance tonight",
            "We *restart* the servers.\n\n<script>alert('x')</script>",
            _at(-timedelta(hours=1)),
            "on",
        ),
        ("Next month", "Scheduled.", _at(timedelta(days=30)), "on"),
        ("Draft", "Not ready.", _at(-timedelta(days=1)), ""),
    ]
    for title, body, when, published in posts:
        answer = await f.post_form(
            client, "/admin/announcements", {"title": title, "body": body, "publish_at": when, "published": published}
        )
        assert answer.status_code == 303, answer.text
    listing = (await client.get("/admin/announcements")).text
    assert "scheduled" in listing and "draft" in listing  # staff see every state
    ids = {r["title"]: r["id"] for r in await Announcement.select(Announcement.id, Announcement.title)}

    await member_of_account(authz, "reader@example.com", perms=[])
    await f.login_as(client, "reader@example.com")
    page = await client.get("/announcements")
    assert page.status_code == 200
    words = text_of(main_of(page.text))
    assert words.index("Maintenance tonight") < words.index("Old news")  # newest first
    assert "Next month" not in words and "Draft" not in words
    assert 'href="/announcements"' in page.text  # the member's client-area navigation

    detail = await client.get(f"/announcements/{ids['Maintenance tonight']}")
    assert detail.status_code == 200
    assert "<em>restart</em>" in detail.text
    body = main_of(detail.text)
    assert "<script>" not in body and "&lt;script&gt;" in body  # shown as text, never run

    for hidden in ("Next month", "Draft"):
        assert (await client.get(f"/announcements/{ids[hidden]}")).status_code == 404

    # the home page's widget shows the newest three that are out
    home = await client.get("/")
    assert 'data-testid="announcements-widget"' in home.text
    assert "Maintenance tonight" in home.text and "Next month" not in home.text

    # once its time comes, the scheduled one shows up without anyone touching it
    await Announcement.update({Announcement.publish_at: datetime.now(UTC) - timedelta(minutes=1)}).where(
        Announcement.id == ids["Next month"]
    )
    assert (await client.get(f"/announcements/{ids['Next month']}")).status_code == 200


async def test_visitors_read_published_announcements_paged(client, authz, staff_login):
    now = datetime.now(UTC)
    for i in range(12):
        await Announcement.insert(
            Announcement(title=f"News {i:02d}", body="b", published=True, publish_at=now - timedelta(hours=i + 1))
        )
    draft = await Announcement.insert(Announcement(title="Secret", published=False, publish_at=now)).returning(
        Announcement.id
    )
    client.cookies.clear()
    first = await client.get("/announcements")
    assert first.status_code == 200
    shown = text_of(main_of(first.text))
    assert "News 00" in shown and "News 09" in shown and "News 10" not in shown
    assert 'rel="next"' in first.text
    second = text_of(main_of((await client.get("/announcements?page_no=2")).text))
    assert "News 10" in second and "News 11" in second and "News 00" not in second
    assert (await client.get(f"/announcements/{draft[0]['id']}")).status_code == 404
    assert (await client.get("/admin/announcements", follow_redirects=False)).status_code == 302  # log in first


async def test_billing_staff_and_clients_may_not_manage_announcements(client, authz, staff_login):
    await staff_login(client, authz, "billing")
    assert (await client.get("/admin/announcements")).status_code == 403
    assert (await f.post_form(client, "/admin/announcements", {"title": "x"})).status_code == 403

    await member_of_account(authz, "owner@example.com")
    await f.login_as(client, "owner@example.com")
    assert (await client.get("/admin/announcements")).status_code == 403
    assert (await client.get("/admin/announcements/new")).status_code == 403
    assert (await f.post_form(client, "/admin/announcements", {"title": "x"})).status_code == 403
    assert await Announcement.count() == 0
