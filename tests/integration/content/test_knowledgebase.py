"""Knowledgebase: staff write categories and articles; readers browse, vote and search."""

from __future__ import annotations

import re

import factories as f
import pytest

from panel.core.audit.services import SYSTEM
from panel.core.knowledgebase import services
from panel.core.knowledgebase.search import fts5_query, search
from panel.core.knowledgebase.tables import KbArticle, KbVote

from .helpers import main_of, member_of_account, text_of


async def _category(name: str, slug: str, parent: int | None = None, sort: int = 0) -> int:
    return await services.save_category(
        None, {"name": name, "slug": slug, "parent": str(parent or ""), "sort": str(sort)}, by=SYSTEM
    )


async def _article(category: int, title: str, body: str, *, published: bool = True, tags: str = "") -> int:
    values = {"title": title, "body": body, "category": str(category), "tags": tags, "published": published}
    return await services.save_article(None, values, user_id=None, by=SYSTEM)


async def test_staff_write_articles_and_readers_browse_them(client, authz, staff_login):
    await staff_login(client, authz, "support")
    assert (await client.get("/admin/knowledgebase")).status_code == 200
    made = await f.post_form(client, "/admin/knowledgebase/categories", {"name": "Email", "slug": "", "sort": "1"})
    assert made.status_code == 303
    clash = await f.post_form(client, "/admin/knowledgebase/categories", {"name": "Mail", "slug": "email"})
    assert clash.status_code == 422 and "Another category has this address." in clash.text
    assert 'value="Mail"' in clash.text  # what was typed is kept
    reserved = await f.post_form(client, "/admin/knowledgebase/categories", {"name": "Search", "slug": ""})
    assert reserved.status_code == 422  # /knowledgebase/search is the search page
    email = (await services.category_by_slug("email"))[0].id
    spam = await f.post_form(
        client, "/admin/knowledgebase/categories", {"name": "Spam filters", "slug": "spam", "parent": str(email)}
    )
    assert spam.status_code == 303

    bad = await f.post_form(client, "/admin/knowledgebase/articles", {"title": "No category", "body": "x"})
    assert bad.status_code == 422 and "Choose a category." in bad.text and "No category" in bad.text
    body = "Open **Settings**.\n\n<script>alert('kb')</script>\n\n| Port | Use |\n|---|---|\n| 587 | SMTP |"
    for title, published, cat in (("Set up your mail client", "on", email), ("Internal draft", "", email)):
        answer = await f.post_form(
            client,
            "/admin/knowledgebase/articles",
            {"title": title, "category": str(cat), "body": body, "tags": "Mail, SMTP, mail", "published": published},
        )
        assert answer.status_code == 303, answer.text
    spam_id = (await services.category_by_slug("spam"))[0].id
    await f.post_form(
        client,
        "/admin/knowledgebase/articles",
        {"title": "Train the spam filter", "category": str(spam_id), "body": "Mark as junk.", "published": "on"},
    )
    article = await KbArticle.select().where(KbArticle.title == "Set up your mail client").first()
    assert article["slug"] == "set-up-your-mail-client" and article["tags"] == "mail,smtp"

    # a member reads in the client area; the draft is nowhere
    await member_of_account(authz, "reader@example.com", perms=[])
    await f.login_as(client, "reader@example.com")
    index = await client.get("/knowledgebase")
    assert index.status_code == 200
    assert re.search(r'data-testid="kb-count-email">\(2\)', index.text)  # its own article and the sub-category's
    assert re.search(r'data-testid="kb-count-spam">\(1\)', index.text)
    assert 'href="/knowledgebase"' in index.text  # the client-area navigation
    category = await client.get("/knowledgebase/email")
    words = text_of(main_of(category.text))
    assert "Set up your mail client" in words and "Internal draft" not in words and "Spam filters" in words
    page = await client.get("/knowledgebase/article/set-up-your-mail-client")
    assert page.status_code == 200
    body_html = main_of(page.text)
    assert "<strong>Settings</strong>" in body_html and "<table>" in body_html
    assert "<script>" not in body_html and "&lt;script&gt;" in body_html
    assert (await client.get("/knowledgebase/article/internal-draft")).status_code == 404
    assert (await client.get("/knowledgebase/no-such-category")).status_code == 404
    await client.get("/knowledgebase/article/set-up-your-mail-client")
    assert (await KbArticle.select(KbArticle.views).where(KbArticle.id == article["id"]).first())["views"] == 2

    # a category that holds articles cannot be deleted
    await staff_login(client, authz, "admin")
    refused = await f.post_form(client, f"/admin/knowledgebase/categories/{email}/delete")
    assert refused.status_code == 409 and "move or delete them first" in refused.text


async def test_helpful_votes_one_per_reader_with_and_without_js(client, authz):
    cat = await _category("Billing", "billing")
    await _article(cat, "Pay by card", "Use the **Pay** button.")
    url = "/knowledgebase/article/pay-by-card"

    # a visitor without JavaScript: the form posts, the page comes back with the thanks
    client.cookies.clear()
    page = await client.get(url)
    assert "Was this helpful?" in page.text
    token = f.form_token(page.text)
    answer = await client.post(f"{url}/vote", data={"helpful": "yes", "_csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303
    again = await client.get(url)
    assert 'data-testid="kb-thanks"' in again.text and "1 found this helpful, 0 did not" in again.text
    # answering again does not count twice; changing the answer moves the count (htmx swaps the fragment)
    await client.post(f"{url}/vote", data={"helpful": "yes", "_csrf_token": token})
    swapped = await client.post(
        f"{url}/vote", data={"helpful": "no"}, headers={"HX-Request": "true", "x-csrftoken": token}
    )
    assert swapped.status_code == 200
    assert (
        swapped.text.lstrip().startswith('<section id="helpful"') and "0 found this helpful, 1 did not" in swapped.text
    )
    assert "<html" not in swapped.text

    # a logged-in member is another reader
    await member_of_account(authz, "voter@example.com")
    await f.login_as(client, "voter@example.com")
    assert "Was this helpful?" in (await client.get(url)).text
    await f.post_form(client, f"{url}/vote", {"helpful": "yes"})
    await f.post_form(client, f"{url}/vote", {"helpful": "yes"})
    row = await KbArticle.select(KbArticle.helpful_yes, KbArticle.helpful_no).first()
    assert (row["helpful_yes"], row["helpful_no"]) == (1, 1)
    assert await KbVote.count() == 2
    bad = await f.post_form(client, f"{url}/vote", {"helpful": "maybe"})
    assert bad.status_code == 422


async def test_search_ranks_published_articles_and_survives_any_query(client, authz):
    howto = await _category("How-to", "how-to")
    mail = await _category("Mail", "mail")
    await _article(howto, "Reset your password", "Forgot the password? Use the reset link on the login page.")
    await _article(mail, "Email setup", "Your mail client asks for a password: use the mailbox password.", tags="imap")
    await _article(howto, "Installing WordPress", "The installer sets up <b>WordPress</b> & a database in a minute.")
    await _article(howto, "Password vault", "Unpublished notes about the password vault.", published=False)

    found = await search("password")
    titles = [h.title for h in found.rows]
    assert titles[0] == "Reset your password"  # the title counts most
    assert "Email setup" in titles and "Password vault" not in titles  # drafts are never found
    assert found.total == 2

    stemmed = await search("install wordpress")
    assert [h.title for h in stemmed.rows] == ["Installing WordPress"]
    snippet = str(stemmed.rows[0].snippet)
    # matches are marked; the writer's HTML is never markup (SQLite quotes it escaped, PostgreSQL drops it)
    assert "<mark>WordPress</mark>" in snippet and "<b>" not in snippet
    assert [h.title for h in (await search("password -mailbox")).rows] == ["Reset your password"]
    assert [h.title for h in (await search("imap")).rows] == ["Email setup"]  # tags are searched

    page = await client.get("/knowledgebase/search", params={"q": "reset password"})
    assert page.status_code == 200
    assert 'data-slug="reset-your-password"' in page.text and "<mark>" in page.text
    assert "password-vault" not in page.text

    for hostile in ['"foo', "a AND (", "*", "-x", "NEAR(", 'title:"x', "x OR", "^", "'; DROP TABLE x; --", '""', "("]:
        answer = await client.get("/knowledgebase/search", params={"q": hostile})
        assert answer.status_code == 200, hostile
        await search(hostile)  # and the service itself raises nothing
    assert [h.title for h in (await search('"reset your')).rows] == ["Reset your password"]
    assert (await search("*")).total == 0
    assert (await search("-password")).total == 0  # no word to look for: nothing, on either database


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("reset password", '("reset" AND "password")'),
        ('"mail server" -imap', '("mail server") NOT ("imap")'),
        ("a AND (", '("a" AND "AND")'),
        ('NEAR("x"', '("NEAR" AND "x")'),
        ("*", ""),
        ("-x", ""),
    ],
)
def test_fts5_query_is_only_quoted_words(text, query):
    assert fts5_query(text) == query


async def test_clients_and_billing_staff_may_not_edit_the_knowledgebase(client, authz, staff_login):
    await staff_login(client, authz, "billing")
    assert (await client.get("/admin/knowledgebase")).status_code == 403
    await member_of_account(authz, "owner@example.com")
    await f.login_as(client, "owner@example.com")
    assert (await client.get("/admin/knowledgebase")).status_code == 403
    assert (await client.get("/admin/knowledgebase/categories")).status_code == 403
    denied = await f.post_form(client, "/admin/knowledgebase/categories", {"name": "Hacked", "slug": "hacked"})
    assert denied.status_code == 403
    assert (await services.all_categories()) == []
