"""Knowledgebase articles in the client-area search box: published ones only, for every member, ten at most."""

from __future__ import annotations

import factories as f

from panel.core.accounts import services as accounts
from panel.core.audit.services import SYSTEM
from panel.core.knowledgebase import services as kb

# what a reader might type that means something to FTS5 or to tsquery: the word is still found
FINDS = ['zebra"', "zebra*", "^zebra", "'zebra'", "\\zebra", "(zebra)"]
# ... or nothing is, but there is no error either
HARMLESS = [
    "NEAR(zebra, 2)",
    '"zebra AND (',
    "zebra OR",
    "zebra:*",
    "*",
    "-zebra",
    '"',
    "(",
    "NOT",
    "a:b AND c* NEAR(",
    "'); --",
]


async def _article(category: int, title: str, body: str, *, published: bool = True) -> int:
    values = {"title": title, "body": body, "category": str(category), "tags": "", "published": published}
    return await kb.save_article(None, values, user_id=None, by=SYSTEM)


def _articles(body: dict) -> list[str]:
    return next(g for g in body["groups"] if g["name"] == "articles")["hits"]


async def test_a_member_finds_published_articles_never_drafts(client, authz):
    owner = await f.user(authz, "owner@example.com")
    account = await f.account(authz, "Zoo", owner)
    plain = await f.user(authz, "plain@example.com")
    await accounts.add_member(authz, account, plain, [])  # no permission on the account's own data
    category = await kb.save_category(None, {"name": "Mail", "slug": "mail"}, by=SYSTEM)
    await _article(category, "Striped mailboxes", "How the **zebra** filter sorts your mail.")
    draft = await _article(category, "Zebra draft", "An unfinished zebra text.", published=False)
    for n in range(12):
        await _article(category, f"Quagga note {n:02d}", "Quagga facts.")

    await f.login(client, "plain@example.com")
    page = await client.get("/search?q=ZEBRA")
    assert page.status_code == 200
    assert 'href="/knowledgebase/article/striped-mailboxes"' in page.text and "Striped mailboxes" in page.text
    assert "zebra-draft" not in page.text and "Zebra draft" not in page.text

    api = await client.get(f"/api/v1/accounts/{account}/search", params={"q": "zebra"})
    assert api.status_code == 200
    assert [g["name"] for g in api.json()["groups"]] == ["articles"]
    assert _articles(api.json()) == [
        {"title": "Striped mailboxes", "detail": "Mail", "url": "/knowledgebase/article/striped-mailboxes"}
    ]

    # limited like every kind; the text's FTS syntax is only words, never an error
    many = await client.get(f"/api/v1/accounts/{account}/search", params={"q": "quagga"})
    assert len(_articles(many.json())) == 10
    for typed in FINDS:
        answer = await client.get(f"/api/v1/accounts/{account}/search", params={"q": typed})
        assert answer.status_code == 200, (typed, answer.text)
        assert [h["title"] for h in _articles(answer.json())] == ["Striped mailboxes"], typed
    for typed in HARMLESS:
        answer = await client.get(f"/api/v1/accounts/{account}/search", params={"q": typed})
        assert answer.status_code == 200 and "Zebra draft" not in answer.text, (typed, answer.text)
        assert (await client.get("/search", params={"q": typed})).status_code == 200, typed

    # published later, found; unpublished again, gone
    await kb.save_article(
        draft, {"title": "Zebra draft", "body": "Now zebra-ready.", "category": str(category), "published": "on"},
        user_id=None, by=SYSTEM,
    )  # fmt: skip
    found = await client.get(f"/api/v1/accounts/{account}/search", params={"q": "zebra"})
    assert {h["title"] for h in _articles(found.json())} == {"Striped mailboxes", "Zebra draft"}
    await kb.save_article(
        draft, {"title": "Zebra draft", "body": "Now zebra-ready.", "category": str(category), "published": ""},
        user_id=None, by=SYSTEM,
    )  # fmt: skip
    gone = await client.get(f"/api/v1/accounts/{account}/search", params={"q": "zebra"})
    assert [h["title"] for h in _articles(gone.json())] == ["Striped mailboxes"]
