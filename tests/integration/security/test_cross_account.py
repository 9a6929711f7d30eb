"""No cross-account leaks: a user of account A tries every route that takes an id with account B's ids.

The walk is generic: it reads the app's routes, so a route added later is tried too, and a
route whose path parameter this test does not know fails the test until it is mapped here.
Every answer must be 403 or 404, none may show B's data, and B's rows must be unchanged.
"""

from __future__ import annotations

import json
import re
from typing import Any

import dummy_plugin
import factories as f
import pytest
from litestar.testing import AsyncTestClient
from services import commerce  # tests/integration/services (its folder is on the path)
from support import empty_tables, shared_app

from panel.core import db
from panel.core.announcements.tables import Announcement
from panel.core.auth.tables import Session
from panel.core.billing.tables import PaymentMethod
from panel.core.downloads.tables import DownloadCategory, DownloadFile, DownloadProduct
from panel.core.jobs.services import enqueue
from panel.core.mail import services as mail
from panel.core.orders.tables import Cart, CartItem
from panel.core.quotes.tables import ClientQuote
from panel.core.support import demo as support_demo
from panel.core.support.tables import SupportAttachment, SupportTicket

SECRET = "bravo-secret"
"""Written into B's names and labels: no answer to A may contain it."""

# Path parameters that are unguessable tokens or public names, not ids of account data:
# routes that take them are public by design (links from emails, storefront, webhooks).
NOT_IDS = {"secret", "slug", "product_slug", "category_slug", "gateway", "session", "path", "file_path", "code"}
# Parameters that name something inside an id-addressed object, and ids of platform objects
# (catalogue, promotions, taxes, staff tasks, reseller tiers) that only staff pages take:
# a client is refused those pages whatever the id (403, checked below).
NAMES = {"name": "restart"}
STAFF_ONLY = {
    "choice_id",
    "group_id",
    "option_id",
    "promo_id",
    "rule_id",
    "task_id",
    "tier_id",
    "category_id",
    "article_id",
    "canned_id",
    "department_id",
    "referral_id",
}


@pytest.fixture
async def client(settings: Any) -> Any:
    application = shared_app(settings, dummy_plugin)
    await db.migrate()
    await empty_tables()
    async with AsyncTestClient(app=application, base_url="http://testserver.local") as c:
        yield c
    await empty_tables()


async def _bravo(client: Any, app: Any) -> dict[str, int]:
    """Account B with one of everything, made through its own owner's requests where a route exists."""
    authz = app.state.authz
    store = await commerce.store(default=True, name=f"{SECRET} store")
    product = await commerce.product("dummy.thing", f"{SECRET} product")
    owner, account = await f.client_of(authz, "bravo@example.com", store, name=f"{SECRET} Co")
    member = await f.user(authz, "bravo-member@example.com")
    from panel.core.accounts import services as accounts

    await accounts.add_member(authz, account, member, ["services"])
    order_id, [service_id] = await commerce.order(
        account, store, [{"product": product, "type": "dummy.thing", "label": f"{SECRET}.example"}]
    )
    invoice_id = await commerce.invoice(account, store, "INV-BRAVO-1")

    await f.login_as(client, "bravo@example.com")
    contact = await f.post_form(
        client, "/account/contacts", {"name": f"{SECRET} contact", "email": "bc@example.com", "country": "DE"}
    )
    assert contact.status_code in (200, 303), contact.text
    card = await f.post_form(
        client, "/payment-methods", {"gateway": dummy_plugin.card.NAME, "card_number": "4242 4242 4242 4242"}
    )
    assert card.status_code == 303, card.text
    invited = await client.post(
        f"/api/v1/accounts/{account}/invitations",
        json={"email": "bravo-invitee@example.com", "permissions": ["tickets"]},
        headers={"x-csrftoken": f.csrf(client)},
    )
    assert invited.status_code == 201, invited.text
    department = await support_demo.seed(staff_emails=())
    opened = await client.post(
        "/tickets/new",
        data={
            "department": str(department["Technical support"]),
            "subject": f"{SECRET} ticket",
            "body": SECRET,
            "priority": "medium",
            "_csrf_token": f.csrf(client),
        },
        files={"attachments": ("bravo.txt", f"{SECRET} attachment".encode(), "text/plain")},
        follow_redirects=False,
    )
    assert opened.status_code == 303, opened.text
    token = await client.post("/api/v1/tokens", json={"name": SECRET}, headers={"x-csrftoken": f.csrf(client)})
    assert token.status_code == 201, token.text

    email_id = await mail.send("test", "bravo@example.com", {"requested_by": SECRET}, account_id=account)
    session = await Session.select(Session.id).where(Session.user == owner).first()
    method = await PaymentMethod.select(PaymentMethod.id).where(PaymentMethod.account == account).first()
    cart = await Cart.insert(Cart(token_hash="b" * 64, user=owner, store=store, currency="USD")).returning(Cart.id)
    item = await CartItem.insert(CartItem(cart=cart[0]["id"], product=product, cycle="monthly")).returning(CartItem.id)
    job = await enqueue(app.state.settings, "services.provision", {"service_id": service_id}, key=SECRET)
    from panel.core.members.tables import Invitation

    invitation = await Invitation.select(Invitation.id).where(Invitation.account == account).first()
    ticket = await SupportTicket.select(SupportTicket.id).where(SupportTicket.account == account).first()
    attachment = await SupportAttachment.select(SupportAttachment.id).first()
    ids = {
        "ticket_id": ticket["id"],
        "attachment_id": attachment["id"],
        "quote_id": await _quote(account, store),
        "file_id": await _download_for(product),
        "announcement_id": await _draft_announcement(),
        "account_id": account,
        "service_id": service_id,
        "invoice_id": invoice_id,
        "order_id": order_id,
        "contact_id": await _contact_id(account),
        "user_id": member,
        "invitation_id": invitation["id"],
        "email_id": email_id,
        "method_id": method["id"],
        "item_id": item[0]["id"],
        "session_id": session["id"],
        "job_id": int(job),
        "store_id": store,
        "product_id": product,
        "token_id": token.json()["id"],
    }
    from panel.core.privacy import services as privacy

    ids["export_id"] = await privacy.request_own(
        app.state.settings, owner, {"actor": owner, "impersonator": None, "ip": ""}
    )
    client.cookies.clear()
    return ids


async def _quote(account: int, store: int) -> int:
    """A quote sent to B (as staff would send it)."""
    import datetime as dt

    row = await ClientQuote.insert(
        ClientQuote(
            store=store,
            account=account,
            number="Q-BRAVO-1",
            status="sent",
            currency="USD",
            total=1000,
            subtotal=1000,
            valid_until=dt.date.today() + dt.timedelta(days=30),
            notes=SECRET,
        )
    ).returning(ClientQuote.id)
    return int(row[0]["id"])


async def _download_for(product: int) -> int:
    """A download only for accounts with B's product (A has none)."""
    category = await DownloadCategory.insert(DownloadCategory(name=f"{SECRET} files")).returning(DownloadCategory.id)
    row = await DownloadFile.insert(
        DownloadFile(
            category=category[0]["id"],
            title=f"{SECRET} installer",
            storage_key="missing",
            filename="bravo.zip",
            restricted=True,
        )
    ).returning(DownloadFile.id)
    await DownloadProduct.insert(DownloadProduct(file=row[0]["id"], product=product))
    return int(row[0]["id"])


async def _draft_announcement() -> int:
    """An unpublished announcement: no client sees it."""
    row = await Announcement.insert(Announcement(title=f"{SECRET} news", published=False)).returning(Announcement.id)
    return int(row[0]["id"])


async def _contact_id(account: int) -> int:
    from panel.core.contacts.tables import Contact

    row = (
        await Contact.select(Contact.id).where(Contact.account == account).order_by(Contact.id, ascending=False).first()
    )
    return int(row["id"])


async def _snapshot(account: int) -> str:
    """Every row that belongs to account B (tables with an `account` column), in a stable form."""
    rows: dict[str, Any] = {}
    registry = db.state.registry
    assert registry is not None
    for app_config in registry.app_configs.values():
        for table in app_config.table_classes:
            names = {c._meta.name for c in table._meta.columns}
            if "account" in names:
                found = await table.select().where(table._meta.get_column_by_name("account") == account)
                rows[table._meta.tablename] = sorted(found, key=lambda r: r["id"])
    return json.dumps(rows, default=str, sort_keys=True)


def _routes(app: Any) -> list[tuple[str, str, list[str]]]:
    """(method, path template, parameter names) of every route with a path parameter."""
    out = []
    for route in app.routes:
        params = [p.split(":")[0] for p in re.findall(r"{([^}]+)}", route.path)]
        if not params or set(params) & NOT_IDS:
            continue
        for method in sorted(getattr(route, "methods", ())):
            if method not in {"OPTIONS", "HEAD"}:
                out.append((method, route.path, params))
    return out


def _fill(path: str, ids: dict[str, int]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        return NAMES.get(name) or str(ids.get(name, 1))

    return re.sub(r"{([^}]+)}", value, path)


async def test_account_a_gets_nothing_of_account_b_by_id(client: Any) -> None:
    app = client.app
    ids = await _bravo(client, app)
    before = await _snapshot(ids["account_id"])

    await f.user(app.state.authz, "alpha@example.com")
    alpha = await f.user(app.state.authz, "alpha-owner@example.com")
    await f.account(app.state.authz, "Alpha", alpha)
    await f.login_as(client, "alpha-owner@example.com")
    await client.get("/")  # a page of A's own, so the CSRF cookie is fresh

    routes = _routes(app)
    unknown = sorted(
        {p for _, _, params in routes for p in params if p not in ids and p not in NAMES and p not in STAFF_ONLY}
    )
    assert not unknown, f"map these path parameters to B's ids in this test: {unknown}"

    failures = []
    for method, template, _ in routes:
        path = _fill(template, ids)
        headers = {"x-csrftoken": f.csrf(client)}
        if method == "GET":
            answer = await client.get(path, headers=headers, follow_redirects=False)
        elif path.startswith("/api/"):
            answer = await client.request(method, path, json={}, headers=headers, follow_redirects=False)
        else:
            answer = await client.request(
                method, path, data={"_csrf_token": f.csrf(client)}, headers=headers, follow_redirects=False
            )
        staff_page = path.startswith(("/admin", "/api/v1/admin"))
        refused = answer.status_code == 403 if staff_page else answer.status_code in (403, 404)
        if not refused or SECRET in answer.text:
            failures.append(f"{method} {path} -> {answer.status_code} {answer.text[:120]!r}")
    assert not failures, "answers to account A that were not 403/404:\n" + "\n".join(failures)
    assert len(routes) > 100  # the walk really covered the app

    # Ids in forms: switching into B, and B's rows unchanged by everything A tried.
    switched = await f.post_form(client, "/accounts/switch", {"account_id": str(ids["account_id"])})
    assert switched.status_code in (403, 404)
    home = await client.get("/")
    assert SECRET not in home.text
    assert await _snapshot(ids["account_id"]) == before
    still = await Session.count().where(Session.id == ids["session_id"])
    assert still == 1, "A ended B's session"


async def test_a_refusal_in_a_strangers_account_says_nothing_about_it(client: Any) -> None:
    """The 403 reason names the deciding line only where the caller has a part; elsewhere it is empty."""
    from panel.core.accounts import services as accounts

    authz = client.app.state.authz
    owner = await f.user(authz, "stranger-owner@example.com")
    stranger = await f.account(authz, "Stranger Co", owner)
    await accounts.suspend(authz, stranger)
    me = await f.user(authz, "me@example.com")
    mine = await f.account(authz, "Mine", me)
    await f.login_as(client, "me@example.com")
    made = await client.post("/api/v1/tokens", json={"name": "t"}, headers={"x-csrftoken": f.csrf(client)})
    bearer = {"authorization": f"Bearer {made.json()['token']}"}
    client.cookies.clear()
    theirs = await client.get(f"/api/v1/accounts/{stranger}/invoices", headers=bearer)
    assert theirs.status_code == 403 and "reason" not in theirs.json()
    assert "suspended" not in theirs.text
    await accounts.suspend(authz, mine)
    own = await client.get(f"/api/v1/accounts/{mine}/invoices", headers=bearer)
    assert own.status_code == 403 and "class:suspended" in own.json()["reason"]
