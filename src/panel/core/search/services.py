"""Client-area search: one box over what the member may see of the current account.

Each kind of thing (services, invoices, orders, contacts, members, knowledgebase
articles) is a `SearchKind`:
the rules-engine object that lists it, a label, and an async query. A kind is searched
only when the rules engine lets the user list its object in this account (one check
per kind), with one query per kind of at most `LIMIT` rows. So a member with only the
`invoices` permission finds invoices and nothing else, whatever words other things
contain. A new kind (domains, when that plugin exists) is one more entry in `KINDS`.

Knowledgebase articles are not account data: every member may read them
(`knowledgebase:*`, see the knowledgebase's `plugin.py`), so every member finds the
published ones, through the knowledgebase's own full-text search (FTS5 on SQLite,
`tsvector` on PostgreSQL); drafts are never found.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from panel.core import db
from panel.core.accounts.tables import Account
from panel.core.clients.search import like_pattern
from panel.core.knowledgebase import search as kb_search
from panel.money import format_money

LIMIT = 10
MAX_QUERY = 100


@dataclass(frozen=True)
class SearchHit:
    """One thing found: what to call it, a line about it, and where its page is."""

    title: str
    detail: str
    url: str


Query = Callable[[int, str, int], Awaitable[list[SearchHit]]]
"""`query(account_id, text, limit)`: the account's matches for `text`, at most `limit`."""


@dataclass(frozen=True)
class SearchKind:
    """A kind of thing the search box finds, shown only to users who may `action` its `obj`."""

    name: str
    label: str
    obj: str
    query: Query
    action: str = "list"


@dataclass(frozen=True)
class SearchGroup:
    """The hits of one kind (empty when nothing matched)."""

    name: str
    label: str
    hits: list[SearchHit]


def _match(column: str, escape: str) -> str:
    like = "LIKE" if db.is_sqlite() else "ILIKE"  # SQLite's LIKE ignores ASCII case already
    return f"{column} {like} {{}}{escape}"


async def _rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    return list(await Account.raw(sql, *args))


async def _services(account_id: int, text: str, limit: int) -> list[SearchHit]:
    pattern, esc = like_pattern(text)
    sql = (
        "SELECT s.id, s.label, s.status, p.name AS product_name FROM panel_service s "  # noqa: S608 (fixed fragments)
        "JOIN panel_catalog_product p ON p.id = s.product "
        f"WHERE s.account = {{}} AND ({_match('s.label', esc)} OR {_match('p.name', esc)}) "
        "ORDER BY s.id DESC LIMIT {}"
    )
    rows = await _rows(sql, account_id, pattern, pattern, limit)
    return [
        SearchHit(r["label"] or r["product_name"], f"{r['product_name']} · {r['status']}", f"/services/{r['id']}")
        for r in rows
    ]


async def _numbered(table: str, path: str, account_id: int, text: str, limit: int) -> list[SearchHit]:
    pattern, esc = like_pattern(text)
    sql = (
        f"SELECT id, number, status, total, currency FROM {table} "  # noqa: S608 (fixed table names)
        f"WHERE account = {{}} AND number IS NOT NULL AND {_match('number', esc)} "
        "ORDER BY id DESC LIMIT {}"
    )
    rows = await _rows(sql, account_id, pattern, limit)
    return [
        SearchHit(r["number"], f"{r['status']} · {format_money(int(r['total']), r['currency'])}", f"{path}/{r['id']}")
        for r in rows
    ]


async def _invoices(account_id: int, text: str, limit: int) -> list[SearchHit]:
    return await _numbered("panel_billing_invoice", "/invoices", account_id, text, limit)


async def _orders(account_id: int, text: str, limit: int) -> list[SearchHit]:
    return await _numbered("panel_order", "/orders", account_id, text, limit)


async def _contacts(account_id: int, text: str, limit: int) -> list[SearchHit]:
    pattern, esc = like_pattern(text)
    sql = (
        "SELECT id, name, email, company, is_primary FROM panel_contacts_contact "  # noqa: S608 (fixed fragments)
        f"WHERE account = {{}} AND ({_match('name', esc)} OR {_match('email', esc)} OR {_match('company', esc)}) "
        "ORDER BY name, id LIMIT {}"
    )
    rows = await _rows(sql, account_id, pattern, pattern, pattern, limit)
    return [
        SearchHit(
            f"{r['name']} ({r['company']})" if r["company"] else r["name"],
            r["email"],
            "/account/details" if r["is_primary"] else f"/account/contacts/{r['id']}",
        )
        for r in rows
    ]


async def _members(account_id: int, text: str, limit: int) -> list[SearchHit]:
    pattern, esc = like_pattern(text)
    sql = (
        "SELECT u.id, u.name, u.email FROM panel_membership m JOIN panel_user u ON u.id = m.user "  # noqa: S608
        f"WHERE m.account = {{}} AND ({_match('u.name', esc)} OR {_match('u.email', esc)}) "
        "ORDER BY u.email LIMIT {}"
    )
    rows = await _rows(sql, account_id, pattern, pattern, limit)
    return [SearchHit(r["name"] or r["email"], r["email"], f"/account/users/{r['id']}") for r in rows]


async def _articles(account_id: int, text: str, limit: int) -> list[SearchHit]:
    # the same for every account: published articles, best match first (one query)
    found = await kb_search.search(text, limit, count=False)
    return [SearchHit(h.title, h.category_name, f"/knowledgebase/article/{h.slug}") for h in found.rows]


KINDS: tuple[SearchKind, ...] = (
    SearchKind("services", "Services", "service:*", _services),
    SearchKind("invoices", "Invoices", "invoice:*", _invoices),
    SearchKind("orders", "Orders", "order:*", _orders),
    SearchKind("contacts", "Contacts", "contact:*", _contacts),
    SearchKind("members", "Members", "user:*", _members),
    SearchKind("articles", "Knowledgebase", "knowledgebase:*", _articles),
)


def clean_query(text: str) -> str:
    """The search text as searched: surrounding space dropped, at most 100 characters."""
    return text.strip()[:MAX_QUERY]


async def search(
    account_id: int,
    text: str,
    may: Callable[[str, str], bool],
    kinds: Sequence[SearchKind] = KINDS,
    limit: int = LIMIT,
) -> list[SearchGroup]:
    """Search the account for `text` in every kind `may(obj, action)` allows; [] for an empty text.

    `may` asks the rules engine about the current user in this account. Kinds the user
    may not list are left out entirely (not even an empty group).
    """
    text = clean_query(text)
    if not text:
        return []
    groups = []
    for kind in kinds:
        if may(kind.obj, kind.action):
            groups.append(SearchGroup(kind.name, kind.label, await kind.query(account_id, text, limit)))
    return groups
