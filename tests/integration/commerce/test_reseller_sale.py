"""A reseller sells to its client, end to end, through the pages and API people use.

The provider's staff open two stores with different policies (the provider's own:
setup fees, 30-day money-back; reseller R's: no setup fees, 100-day money-back) and a
hosting plan. R sells the plan in its store at its own price. R's client orders
twice, pays one invoice from credit staff gave it and the other by a bank transfer
staff record; each order is paid and its service waits for staff. The admin area
shows the client's orders, invoices, payments and credit with the client's numbers.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from typing import Any

import factories as f
import pytest
from billing.helpers import login, post_form, staff
from orders.shop import SIGNUP, add, post

ADMIN = "admin-staff@example.com"
R_OWNER = "owner@rapid.example"
CLARA = "clara@client.example"
DORA = "dora@direct.example"
PLAN = "basic-hosting"


@dataclass(frozen=True)
class Market:
    """Ids of what the provider and the reseller set up."""

    provider_store: int
    reseller_store: int
    reseller: int
    product: int


# -- reading pages ----------------------------------------------------------------------------


def _text(fragment: str) -> str:
    """What a person reads in an HTML fragment."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _cells(row: str) -> list[str]:
    return [_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def _rows(page: str, kind: str) -> dict[int, list[str]]:
    """{id: cell texts} of a list's `<tr data-<kind>-id="...">` rows."""
    return {int(i): _cells(body) for i, body in re.findall(rf'<tr data-{kind}-id="(\d+)">(.*?)</tr>', page, re.S)}


def _table(page: str, testid: str) -> list[list[str]]:
    """The cell texts of each body row of the table with this `data-testid`."""
    found = re.search(rf'data-testid="{testid}">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert found, f"no table {testid}"
    return [_cells(r) for r in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)]


def _testid(page: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(?:span|td|ul|dl|p|strong|section|table)>', page, re.S)
    assert found, f"nothing marked {testid}"
    return _text(found.group(1))


def _terms(page: str) -> list[str]:
    found = re.search(r'<ul data-testid="store-terms">(.*?)</ul>', page, re.S)
    assert found, "the page shows no terms"
    return [_text(t) for t in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)]


def _payments(page: str) -> dict[int, tuple[str, str]]:
    """{payment id: (amount, who paid)} listed on an invoice page."""
    return {
        int(i): (amount, _text(who))
        for i, amount, who in re.findall(
            r'<li data-payment-id="(\d+)">[^:]*: ([^,]+), <span data-testid="who-paid">(.*?)</span>', page, re.S
        )
    }


def _id_after(location: str, prefix: str) -> int:
    assert location.startswith(prefix), location
    return int(location.removeprefix(prefix).split("?")[0].split("/")[0])


# -- what staff and the reseller do -----------------------------------------------------------


async def _api_store(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    made = await client.post("/api/v1/admin/stores", json=body, headers={"x-csrftoken": f.csrf(client)})
    assert made.status_code == 201, made.text
    out: dict[str, Any] = made.json()
    return out


async def _staff_open_the_stores_and_the_plan(client: Any, authz: Any) -> Market:
    await staff(client, authz, "admin")
    r_user = await f.user(authz, R_OWNER)
    reseller = await f.account(authz, "Rapid Sites Ltd", r_user)

    provider = await _api_store(
        client,
        {
            "name": "Provider Hosting",
            "slug": "provider",
            "currency": "USD",
            "invoice_prefix": "P-",
            "setup_fees_allowed": True,
            "money_back_days": 30,
            "contact_instructions": "Pay to IBAN NL00 PROV 0000 0000 01.",
        },
    )
    assert provider["store"]["is_default"] is True  # the first open provider store
    assert "30-day money-back guarantee" in provider["terms"]
    assert "Setup fees: as shown beside each price" in provider["terms"]
    resold = await _api_store(
        client,
        {
            "name": "Rapid Sites",
            "slug": "rapid",
            "currency": "USD",
            "kind": "reseller",
            "reseller_id": reseller,
            "brand_name": "Rapid Sites",
            "invoice_prefix": "R-",
            "setup_fees_allowed": False,
            "money_back_days": 100,
            "contact_instructions": "Pay to IBAN NL00 RAPI 0000 0000 02.",
        },
    )
    assert resold["store"]["reseller_id"] == reseller and resold["store"]["is_default"] is False
    assert "100-day money-back guarantee" in resold["terms"] and "Setup fees: none" in resold["terms"]
    provider_id, reseller_store = int(provider["store"]["id"]), int(resold["store"]["id"])

    # the hosting plan, through the catalogue pages: a group, the product, its store and price
    group = await post_form(
        client, "/admin/catalog/groups", {"name": "Web hosting", "slug": "web-hosting", "sort": "0"}
    )
    assert group.status_code == 303, group.text
    found = re.search(r'href="/admin/catalog/groups/(\d+)">Web hosting<', (await client.get("/admin/catalog")).text)
    assert found
    made = await post_form(
        client,
        "/admin/catalog/products/new",
        {
            "name": "Basic hosting",
            "slug": PLAN,
            "group_id": found.group(1),
            "kind": "product",
            "product_type": "core.hosting_plan",
            "description": "10 GB of disk for one site.",
            "config.disk_gb": "10",
            "config.bandwidth_gb": "0",
            "config.server_group": "default",
            "config.package": "basic",
            "sort": "0",
            "is_active": "on",
        },
    )
    assert made.status_code == 303, made.text
    product = _id_after(made.headers["location"], "/admin/catalog/products/")
    sold = await post_form(client, f"/admin/catalog/products/{product}/stores", {"store_id": str(provider_id)})
    assert sold.status_code == 303, sold.text
    priced = await post_form(
        client,
        f"/admin/catalog/products/{product}/prices",
        {"store_id": str(provider_id), "currency": "USD", "monthly.amount": "10.00", "monthly.setup_fee": "5.00"},
    )
    assert priced.status_code == 303, priced.text
    return Market(provider_id, reseller_store, reseller, product)


async def _reseller_sells_the_plan(client: Any, market: Market) -> None:
    await login(client, R_OWNER)
    url = f"/reseller/stores/{market.reseller_store}"
    before = await client.get(url)
    assert before.status_code == 200
    assert f'name="product_id" value="{market.product}"' in before.text  # offered from the provider's catalogue
    assert f'name="product_id" value="{market.product}" checked' not in before.text
    enabled = await post_form(client, f"{url}/products", {"product_id": str(market.product)})
    assert enabled.status_code == 303 and enabled.headers["location"] == f"{url}?done=products"
    # R types a setup fee too: its store's policy (no setup fees) still wins
    priced = await post_form(
        client, f"{url}/prices/{market.product}", {"monthly.amount": "12.00", "monthly.setup_fee": "3.00"}
    )
    assert priced.status_code == 303, priced.text
    after = await client.get(url)
    assert f'name="product_id" value="{market.product}" checked' in after.text
    assert 'name="monthly.amount" value="12.00"' in after.text
    assert "Setup fees: none" in _terms(after.text) and "100-day money-back guarantee" in _terms(after.text)


async def _visitor_orders_from_the_provider(client: Any, market: Market) -> int:
    """Dora signs up in the provider's store and orders the plan there; returns her invoice."""
    client.cookies.clear()
    store = await client.get("/store")  # visitors see the default store
    assert store.status_code == 200
    assert '<span data-cycle="monthly">$10.00</span>' in store.text and "+ $5.00 setup" in store.text
    assert "30-day money-back guarantee" in _terms(store.text)
    added = await add(client, market.product, "monthly", store="provider", domain="dora.example")
    assert added.status_code == 303, added.text
    placed = await post(
        client,
        "/checkout",
        **{**SIGNUP, "email": DORA, "name": "Dora Direct", "company": "Direct Ltd"},
        account_name="",
    )
    assert placed.status_code == 303, placed.text
    invoice_id = _id_after(placed.headers["location"], "/invoices/")
    page = await client.get(f"/invoices/{invoice_id}")
    assert _testid(page.text, "invoice-number") == "P-000001"
    assert _testid(page.text, "invoice-total-amount") == "$15.00" and "Setup fee: " in page.text
    return invoice_id


async def _staff_create_a_client_of_the_reseller(client: Any, market: Market) -> int:
    await login(client, ADMIN)
    form = await client.get("/admin/clients/new")
    assert form.status_code == 200 and f'<option value="{market.reseller_store}"' in form.text
    created = await post_form(
        client,
        "/admin/clients/new",
        {
            "login_email": CLARA,
            "password": f.PASSWORD,
            "store_id": str(market.reseller_store),
            "name": "Clara Client",
            "company": "Clara Bakery",
            "address1": "Bakkerstraat 1",
            "city": "Utrecht",
            "postcode": "3511 AA",
            "country": "NL",
        },
    )
    assert created.status_code == 303, created.text
    return _id_after(created.headers["location"], "/admin/clients/")


async def _order(client: Any, market: Market, account_id: int, domain: str) -> int:
    """The logged-in client orders the plan from its store's product page; returns the invoice."""
    product_page = await client.get(f"/store/rapid/{PLAN}")
    assert product_page.status_code == 200
    assert (
        '<strong data-cycle="monthly">$12.00</strong>' in product_page.text and "data-setup=" not in product_page.text
    )
    added = await add(client, market.product, "monthly", store="rapid", domain=domain)
    assert added.status_code == 303, added.text
    cart = await client.get("/cart")
    assert "$12.00" in cart.text and "$10.00" not in cart.text
    checkout = await client.get("/checkout")
    assert checkout.status_code == 200 and f'value="{account_id}"' in checkout.text
    placed = await post(client, "/checkout", account_id=str(account_id))
    assert placed.status_code == 303, placed.text
    assert placed.headers["location"].endswith("?done=ordered")
    return _id_after(placed.headers["location"], "/invoices/")


@pytest.fixture
async def market(client: Any, authz: Any) -> Market:
    """Both stores, the plan at the provider's price and at R's."""
    market = await _staff_open_the_stores_and_the_plan(client, authz)
    await _reseller_sells_the_plan(client, market)
    return market


# -- the sale ---------------------------------------------------------------------------------


async def test_a_reseller_client_orders_pays_by_credit_and_transfer_and_admin_shows_the_same(
    client: Any, authz: Any, market: Market
) -> None:
    dora_invoice = await _visitor_orders_from_the_provider(client, market)
    clara = await _staff_create_a_client_of_the_reseller(client, market)

    # Clara, logged in, sees R's store, price and terms, not the provider's
    await login(client, CLARA)
    store = await client.get("/store")
    assert store.status_code == 200 and "<h1>Rapid Sites</h1>" in store.text
    assert '<span data-cycle="monthly">$12.00</span>' in store.text
    assert "$10.00" not in store.text and not re.search(r"\+ \$[\d.]+ setup", store.text)
    terms = _terms(store.text)
    assert "Setup fees: none" in terms and "100-day money-back guarantee" in terms
    assert not any("30-day" in t for t in terms)

    # first order: an invoice at R's price, no setup fee, numbered in R's store
    first = await _order(client, market, clara, "clara-bakery.example")
    page = await client.get(f"/invoices/{first}?done=ordered")
    assert page.status_code == 200 and "Thank you for your order" in page.text
    assert _testid(page.text, "invoice-number") == "R-000001"  # R's sequence, though P-000001 came first
    assert _testid(page.text, "invoice-brand") == "Rapid Sites"
    assert _testid(page.text, "invoice-total-amount") == "$12.00"
    assert _testid(page.text, "invoice-status") == "unpaid"
    lines = _table(page.text, "invoice-lines")
    assert [row[0] for row in lines] == ["clara-bakery.example – Basic hosting (Monthly)"]
    assert [row[-1] for row in lines] == ["$12.00"]
    assert "Setup fee" not in page.text
    assert "IBAN NL00 RAPI" in page.text and "IBAN NL00 PROV" not in page.text  # R's bank instructions
    assert 'data-testid="pay-credit"' not in page.text  # no credit yet

    # staff add credit on the admin credit page
    await login(client, ADMIN)
    credit_page = await client.get(f"/admin/accounts/{clara}/credit")
    assert credit_page.status_code == 200 and "Credit of Clara Bakery" in credit_page.text
    added = await post_form(
        client,
        f"/admin/accounts/{clara}/credit",
        {"currency": "USD", "amount": "12.00", "direction": "add", "reason": "Paid in advance at the counter"},
    )
    assert added.status_code == 303 and added.headers["location"].endswith("?done=adjusted")

    # Clara pays the first invoice from credit
    await login(client, CLARA)
    page = await client.get(f"/invoices/{first}")
    assert 'data-testid="pay-credit"' in page.text and "From account credit ($12.00 available)" in page.text
    key = re.search(r'name="key" value="([^"]+)"', page.text)
    assert key
    paid = await post_form(client, f"/invoices/{first}/pay", {"how": "credit", "key": key.group(1), "amount": "12.00"})
    assert paid.status_code == 303 and paid.headers["location"] == f"/invoices/{first}?done=paid"
    page = await client.get(paid.headers["location"])
    assert _testid(page.text, "invoice-status") == "paid" and _testid(page.text, "invoice-balance") == "$0.00"
    assert list(_payments(page.text).values()) == [("$12.00", "Paid from account credit")]
    orders = await client.get("/orders")
    assert [row[2] for row in _rows(orders.text, "order").values()] == ["paid"]
    services = await client.get("/services")
    assert [(row[0], row[2], row[4]) for row in _rows(services.text, "service").values()] == [
        ("clara-bakery.example", "$12.00 monthly", "Pending")
    ]

    # second order, paid by a bank transfer staff record
    second = await _order(client, market, clara, "clara-shop.example")
    page = await client.get(f"/invoices/{second}")
    assert _testid(page.text, "invoice-number") == "R-000002"
    assert _testid(page.text, "invoice-total-amount") == "$12.00"
    assert "Quote <strong>R-000002</strong> as the reference" in page.text
    await login(client, ADMIN)
    today = dt.date.today().isoformat()
    recorded = await post_form(
        client,
        f"/admin/invoices/{second}/bank-transfer",
        {"amount": "12.00", "reference": "RAPID-TRX-7781", "received_on": today},
    )
    assert recorded.status_code == 303 and recorded.headers["location"] == f"/admin/invoices/{second}?done=recorded"

    # each paid order's provisioning job left its hosting plan pending with a task for staff
    assert await f.run_jobs(client.app) == 2
    tasks = await client.get("/admin/tasks")
    task_rows = [row for row in _rows(tasks.text, "task").values() if row[3] == "Clara Bakery"]
    assert sorted(row[2] for row in task_rows) == ["clara-bakery.example (pending)", "clara-shop.example (pending)"]
    assert all("Set up the hosting account by hand" in row[1] for row in task_rows)

    # what the client sees ...
    await login(client, CLARA)
    page = await client.get(f"/invoices/{second}")
    assert _testid(page.text, "invoice-status") == "paid"
    assert list(_payments(page.text).values()) == [
        ("$12.00", f"Bank transfer, reference RAPID-TRX-7781, received {today}")
    ]
    services = await client.get("/services")
    assert sorted((row[0], row[4]) for row in _rows(services.text, "service").values()) == [
        ("clara-bakery.example", "Pending"),
        ("clara-shop.example", "Pending"),
    ]
    mine_orders = _rows((await client.get("/orders")).text, "order")
    mine_invoices = _rows((await client.get("/invoices")).text, "invoice")
    mine_payments = {
        **_payments((await client.get(f"/invoices/{first}")).text),
        **_payments((await client.get(f"/invoices/{second}")).text),
    }
    mine_credit = await client.get("/credit")
    assert _testid(mine_credit.text, "credit-balances") == "Balance (USD) $0.00"
    assert [row[1:] for row in _table(mine_credit.text, "credit-entries")] == [
        ["Invoice payment: Payment of invoice R-000001", "R-000001", "-$12.00", "$0.00"],
        ["Adjustment by staff: Paid in advance at the counter", "", "$12.00", "$12.00"],
    ]
    assert [(row[0], row[3], row[5]) for row in mine_invoices.values()] == [
        ("R-000002", "$12.00", "paid"),
        ("R-000001", "$12.00", "paid"),
    ]
    assert [(row[2], row[3]) for row in mine_orders.values()] == [("paid", "$12.00"), ("paid", "$12.00")]

    # ... is what the admin area shows, pages and API alike
    await login(client, ADMIN)
    staff_orders = _rows((await client.get(f"/admin/orders?account={clara}")).text, "order")
    assert list(staff_orders) == list(mine_orders)
    for order_id, row in staff_orders.items():
        number, _, status, total, _ = mine_orders[order_id]
        assert row == [number, row[1], "Clara Bakery", "Rapid Sites", status, total, "Invoice"]
    staff_invoices = _rows((await client.get(f"/admin/invoices?account={clara}")).text, "invoice")
    assert list(staff_invoices) == list(mine_invoices) == [second, first]
    for invoice_id, row in staff_invoices.items():
        number, issued, due, total, balance, status = mine_invoices[invoice_id]
        assert row == [number, "Clara Bakery", "Rapid Sites", issued, due, total, total, balance, status]
    staff_payments = _rows((await client.get(f"/admin/payments?account={clara}")).text, "payment")
    assert sorted(staff_payments) == sorted(mine_payments)
    for payment_id, row in staff_payments.items():
        assert (row[5], row[3]) == mine_payments[payment_id] and row[2] == "Clara Bakery" and row[4] == "completed"
    assert sorted(row[1] for row in staff_payments.values()) == ["R-000001", "R-000002"]
    staff_credit = await client.get(f"/admin/accounts/{clara}/credit")
    assert _testid(staff_credit.text, "credit-balances") == _testid(mine_credit.text, "credit-balances")
    assert _table(staff_credit.text, "credit-entries") == _table(mine_credit.text, "credit-entries")

    api_invoices = (await client.get(f"/api/v1/admin/invoices?account={clara}")).json()
    assert [
        (i["id"], i["number"], i["store_id"], i["status"], i["total"], i["amount_paid"]) for i in api_invoices["items"]
    ] == [
        (second, "R-000002", market.reseller_store, "paid", 1200, 1200),
        (first, "R-000001", market.reseller_store, "paid", 1200, 1200),
    ]
    api_orders = (await client.get(f"/api/v1/admin/orders?account={clara}")).json()
    assert [(o["id"], o["status"], o["total"], o["invoice_id"]) for o in api_orders["items"]] == [
        (order_id, "paid", 1200, invoice_id) for order_id, invoice_id in zip(staff_orders, [second, first], strict=True)
    ]
    api_payments = (await client.get(f"/api/v1/admin/payments?account={clara}")).json()
    assert sorted((p["invoice_number"], p["gateway"], p["amount"]) for p in api_payments["items"]) == [
        ("R-000001", "credit", 1200),
        ("R-000002", "bank_transfer", 1200),
    ]

    # the provider's own sale kept its own number, price and setup fee
    everyone = _rows((await client.get("/admin/invoices")).text, "invoice")
    assert everyone[dora_invoice][0:3] == ["P-000001", "Direct Ltd", "Provider Hosting"]
    assert everyone[dora_invoice][5] == "$15.00" and everyone[dora_invoice][8] == "unpaid"


# -- each actor is refused what is not theirs -------------------------------------------------


async def test_the_client_is_refused_the_admin_area_and_the_reseller_other_clients_invoices(
    client: Any, authz: Any, market: Market
) -> None:
    dora_invoice = await _visitor_orders_from_the_provider(client, market)
    dora = int((await client.get("/api/v1/me")).json()["account_id"])
    clara = await _staff_create_a_client_of_the_reseller(client, market)

    await login(client, CLARA)
    for path in (
        "/admin/orders",
        "/admin/invoices",
        f"/admin/invoices/{dora_invoice}",
        "/admin/payments",
        f"/admin/accounts/{clara}/credit",
        "/admin/stores",
        "/api/v1/admin/invoices",
        "/api/v1/admin/stores",
    ):
        assert (await client.get(path)).status_code == 403, path
    refused = await post_form(
        client,
        f"/admin/accounts/{clara}/credit",
        {"currency": "USD", "amount": "100.00", "direction": "add", "reason": "free money"},
    )
    assert refused.status_code == 403
    assert "Balance (USD) $0.00" in _testid((await client.get("/credit")).text, "credit-balances")

    # R runs the store Clara buys from, not the provider's: Dora's invoice stays hidden
    await login(client, R_OWNER)
    assert (await client.get(f"/reseller/stores/{market.reseller_store}")).status_code == 200
    mine = await client.get(f"/invoices/{dora_invoice}")
    assert mine.status_code == 404 and "P-000001" not in mine.text and "Dora" not in mine.text
    api = await client.get(f"/api/v1/accounts/{dora}/invoices/{dora_invoice}")
    assert api.status_code == 403 and "P-000001" not in api.text
    assert (await client.get(f"/api/v1/accounts/{dora}/invoices")).status_code == 403
    assert (await client.get(f"/admin/invoices/{dora_invoice}")).status_code == 403
    listed = await client.get("/reseller/clients")
    assert "Clara Bakery" in listed.text and "Direct Ltd" not in listed.text
