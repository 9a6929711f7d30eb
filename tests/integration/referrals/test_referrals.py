"""The referral programme through real HTTP, real payments and real email."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import factories as f
import pytest
from litestar import Request
from orders.shop import SIGNUP, add, place, post  # tests/integration/orders

from panel.core.accounts import services as accounts
from panel.core.accounts.tables import Account
from panel.core.audit.services import SYSTEM
from panel.core.audit.tables import AuditEvent
from panel.core.authz.engine import AuthzRequest
from panel.core.billing import credit, payments
from panel.core.billing.tables import CreditEntry, Invoice, InvoiceStatus
from panel.core.referrals import services
from panel.core.referrals.tables import Referral, ReferralStatus, RewardKind
from panel.errors import ValidationFailed

NAV_LINK = 'href="/account/referrals"'


def _code(html: str) -> str:
    match = re.search(r'data-testid="referral-code">([A-Z0-9]+)<', html)
    assert match, html
    return match.group(1)


def _stat(html: str, name: str) -> str:
    match = re.search(rf'data-stat="{name}">([^<]*)<', html)
    assert match, html
    return match.group(1)


async def _mail_to(smtp: Any, address: str, timeout: float = 5) -> Any:  # noqa: ASYNC109 (a deadline)
    """The first message that reached `address`; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in smtp.messages:
            if address in str(message["To"]):
                return message
        await asyncio.sleep(0.02)
    raise AssertionError(f"no email to {address}; got {[str(m['To']) for m in smtp.messages]}")


async def _pay(client: Any, invoice_id: int, reference: str) -> None:
    """Staff record the whole balance as a bank transfer (settles the invoice, runs `panel_on_invoice_paid`)."""
    inv = await Invoice.select(Invoice.total, Invoice.amount_paid).where(Invoice.id == invoice_id).first()
    due = int(inv["total"]) - int(inv["amount_paid"])
    done = await payments.record_bank_transfer(client.app.state, invoice_id, due, reference, None, by=SYSTEM)
    assert done.settled


async def _order(client: Any, shop: Any, account_id: int) -> int:
    """An order of Starter (monthly, 10.00 + 5.00 setup) for the account; returns its unpaid invoice."""
    placed = await place(client.app.state.product_types, account_id, [(shop.starter, "monthly")], store_id=shop.main)
    return int(placed.invoice_id)


async def _referral_entries(account_id: int) -> list[dict[str, Any]]:
    return list(
        await CreditEntry.select()
        .where((CreditEntry.account == account_id) & (CreditEntry.kind == services.CREDIT_KIND))
        .order_by(CreditEntry.id)
    )


async def _terms(**changes: Any) -> None:
    base = {"enabled": True, "currency": "USD", "reward_kind": RewardKind.FIXED, "fixed_amount": 2000}
    await services.save_programme(services.Programme(**{**base, **changes}), by=SYSTEM)


async def test_link_signup_first_invoice_pays_the_referrer_once(client, authz, shop, smtp, staff_login):
    # staff set the terms: 10 % of the first invoice, at most 1.00, for invoices of 5.00 or more
    await staff_login(client, authz, "admin")
    assert "The programme is <strong>off</strong>" in (await client.get("/admin/referrals")).text
    bad = {"enabled": "on", "currency": "USD", "reward_kind": "percent", "percent": "ten", "cap": "1.00"}
    refused = await f.post_form(client, "/admin/referrals/programme", bad)
    assert refused.status_code == 422
    assert 'id="terms-percent-error" class="field-error">Enter a percentage' in refused.text
    assert 'value="ten"' in refused.text  # what was typed stays
    good = {**bad, "percent": "10", "min_invoice": "5.00"}
    assert (await f.post_form(client, "/admin/referrals/programme", good)).status_code == 303
    assert "10 % of the first invoice, at most $1.00" in (await client.get("/admin/referrals")).text

    # the referrer finds her link
    rita = await f.user(authz, "rita@example.com")
    rita_account = await f.account(authz, "Rita Hosting", rita)
    await f.login_as(client, "rita@example.com")
    mine = await client.get("/account/referrals")
    assert mine.status_code == 200 and NAV_LINK in mine.text
    code = _code(mine.text)
    assert f"http://testserver.local/r/{code}" in mine.text
    otto = await f.account(authz, "Otto", await f.user(authz, "otto@example.com"))
    otto_code = await services.code_of(otto)

    # a visitor follows it: a 30-day cookie, then the storefront; a later link does not replace it
    client.cookies.clear()
    followed = await client.get(f"/r/{code}", follow_redirects=False)
    assert followed.status_code == 302 and followed.headers["location"] == "/store"
    assert "max-age=2592000" in followed.headers["set-cookie"].lower()
    assert client.cookies.get(services.COOKIE, "").startswith(f"{code}.")
    await client.get(f"/r/{otto_code}", follow_redirects=False)
    assert client.cookies.get(services.COOKIE, "").startswith(f"{code}.")

    # ... signs up and orders at checkout, and (a new account) confirms who sent them
    await add(client, shop.starter, "monthly")
    placed = await post(client, "/checkout", **SIGNUP)
    assert placed.status_code == 303, placed.text
    invoice_id = int(placed.headers["location"].split("/")[2].split("?")[0])
    nina_account = int((await Invoice.select(Invoice.account).where(Invoice.id == invoice_id).first())["account"])
    page = await client.get("/account/referrals")
    if not await Referral.exists():  # the checkout did not record it by itself
        assert f'name="code" required value="{code}"' in page.text
    assert (await f.post_form(client, "/account/referrals/claim", {"code": code})).status_code == 303
    referral = await Referral.select().where(Referral.referred == nina_account).first()
    assert referral["referrer"] == rita_account and referral["status"] == ReferralStatus.SIGNED_UP

    # the first invoice (10.00 + 5.00 setup) is paid: 10 % is 1.50, capped at 1.00
    await _pay(client, invoice_id, "BANK-1")
    assert await credit.balance(rita_account, "USD") == 100
    message = await _mail_to(smtp, "rita@example.com")
    assert message["Subject"] == "You earned $1.00 of account credit"
    body = message.get_body(("plain",)).get_content()
    assert "N*** s***, an account that signed up through your referral link" in body and "Novak" not in body
    # the hook again, and a second paid invoice: still one reward
    await client.app.state.plugins.on_invoice_paid(invoice_id=invoice_id, account_id=nina_account, order_id=None)
    second = await place(client.app.state.product_types, nina_account, [(shop.starter, "annual")], store_id=shop.main)
    await _pay(client, second.invoice_id, "BANK-2")
    entries = await _referral_entries(rita_account)
    assert [e["amount"] for e in entries] == [100]
    assert entries[0]["note"] == "Referral reward: N*** s*** paid its first invoice"
    assert await credit.balance(rita_account, "USD") == 100
    reward_events = await AuditEvent.select().where(AuditEvent.action == "referral.reward")
    assert [e["account_id"] for e in reward_events] == [rita_account]

    # the referrer's page and API: counts, credit, the referral with its name masked
    await f.login_as(client, "rita@example.com")
    mine = (await client.get("/account/referrals")).text
    assert (_stat(mine, "signed_up"), _stat(mine, "paying"), _stat(mine, "earned")) == ("1", "1", "$1.00")
    assert '<tr data-status="rewarded"><td>N*** s***</td>' in mine and "Novak" not in mine
    api = (await client.get(f"/api/v1/accounts/{rita_account}/referrals")).json()
    assert (api["code"], api["signed_up"], api["paying"], api["earned"]) == (code, 1, 1, {"USD": 100})
    assert [(r["account"], r["status"], r["reward"]) for r in api["referrals"]] == [("N*** s***", "rewarded", "$1.00")]

    # staff reverse the reward: a reason is required; the credit goes back out, audited
    await f.login_as(client, "admin-staff@example.com")
    admin = (await client.get("/admin/referrals")).text
    assert "Rita Hosting" in admin and "Novak s.r.o." in admin
    path = f"/admin/referrals/{referral['id']}/reverse"
    no_reason = await f.post_form(client, path, {"reason": " "})
    assert no_reason.status_code == 422 and f'id="reverse-{referral["id"]}-error"' in no_reason.text
    assert (await f.post_form(client, path, {"reason": "The order was refunded"})).status_code == 303
    assert await credit.balance(rita_account, "USD") == 0
    assert [e["amount"] for e in await _referral_entries(rita_account)] == [100, -100]
    event = await AuditEvent.select().where(AuditEvent.action == "referral.reverse").first()
    assert event["account_id"] == rita_account and "The order was refunded" in event["summary"]
    assert (await f.post_form(client, path, {"reason": "again"})).status_code == 422  # once only


async def test_self_referral_suspended_referrer_and_racing_hooks(client, authz, shop, smtp):
    await _terms(min_invoice=500)
    rita = await f.user(authz, "rita@example.com")
    rita_account = await f.account(authz, "Rita Hosting", rita)
    rita_code = await services.code_of(rita_account)

    # her own code in her own account is refused beside the field; her own link is not offered back to her
    await f.login_as(client, "rita@example.com")
    await client.get(f"/r/{rita_code}", follow_redirects=False)
    page = await client.get("/account/referrals")
    assert 'name="code" required value=""' in page.text
    refused = await f.post_form(client, "/account/referrals/claim", {"code": rita_code.lower()})
    assert refused.status_code == 422
    assert 'id="claim-code-error" class="field-error">Your own accounts cannot refer each other.' in refused.text
    with pytest.raises(ValidationFailed):  # another account of hers
        await services.attach_referrer(await f.account(authz, "Rita Shop", rita), rita_code)

    # an account referred by Rita that she owns by the time it pays: no reward
    bob = await f.user(authz, "bob@example.com")
    handed = await f.account(authz, "Bob Ltd", bob)
    await services.attach_referrer(handed, rita_code)
    await Account.update({Account.owner: rita}).where(Account.id == handed)
    await _pay(client, await _order(client, shop, handed), "B-1")
    # a referrer suspended when the referred account pays: no reward
    carl = await f.account(authz, "Carl", await f.user(authz, "carl@example.com"))
    await services.attach_referrer(carl, rita_code)
    await accounts.suspend(authz, rita_account)
    await _pay(client, await _order(client, shop, carl), "C-1")
    decided = {r["referred"]: r for r in await Referral.select()}
    assert decided[handed]["status"] == ReferralStatus.NO_REWARD and "Self-referral" in decided[handed]["reason"]
    assert decided[carl]["status"] == ReferralStatus.NO_REWARD and "suspended" in decided[carl]["reason"]
    assert await _referral_entries(rita_account) == []
    assert not [m for m in smtp.messages if "rita@" in str(m["To"])]

    # three hooks racing for one first invoice pay one reward
    otto = await f.account(authz, "Otto", await f.user(authz, "otto@example.com"))
    dana = await f.account(authz, "Dana", await f.user(authz, "dana@example.com"))
    await services.attach_referrer(dana, await services.code_of(otto))
    placed = await place(client.app.state.product_types, dana, [(shop.starter, "monthly")], store_id=shop.main)
    await Invoice.update(
        {Invoice.status: InvoiceStatus.PAID, Invoice.amount_paid: Invoice.total, Invoice.paid_at: datetime.now(UTC)}
    ).where(Invoice.id == placed.invoice_id)
    outcomes = await asyncio.gather(*(services.reward_first_invoice(placed.invoice_id, dana) for _ in range(3)))
    assert set(outcomes) == {ReferralStatus.REWARDED}
    assert [e["amount"] for e in await _referral_entries(otto)] == [2000]
    await _mail_to(smtp, "otto@example.com")

    # a cookie older than 30 days no longer counts: the next link followed wins
    client.cookies.clear()
    old = services.cookie_value(rita_code, time.time() - 31 * 86400)
    client.cookies.set(services.COOKIE, old, domain="testserver.local")
    await client.get(f"/r/{await services.code_of(otto)}", follow_redirects=False)
    assert client.cookies.get(services.COOKIE, "").startswith(await services.code_of(otto))

    # what checkout calls once it opened an account: the browser's cookie names the referrer
    eve = await f.user(authz, "eve@example.com")
    opened = await f.account(authz, "Eve", eve)
    assert not await services.attach_from_request(_request(old, eve), opened)  # expired
    fresh = services.cookie_value(await services.code_of(otto))
    assert await services.attach_from_request(_request(fresh, None), opened, actor=eve)
    assert (await Referral.select().where(Referral.referred == opened).first())["referrer"] == otto
    signup = (
        await AuditEvent.select()
        .where(AuditEvent.action == "referral.signup")
        .order_by(AuditEvent.id, ascending=False)
        .first()
    )
    assert (signup["account_id"], signup["actor_user_id"]) == (opened, eve)


def _request(cookie: str, user_id: int | None) -> Request[Any, Any, Any]:
    """A request of a browser holding the referral cookie, as the checkout route receives it."""
    header = f"{services.COOKIE}={cookie}".encode()
    scope = {"type": "http", "method": "POST", "path": "/checkout", "headers": [(b"cookie", header)]}
    return Request({**scope, "state": {"user_id": user_id}})  # type: ignore[arg-type]


async def test_who_sees_the_referral_programme(client, authz):
    await _terms()
    olga = await f.user(authz, "olga@example.com")
    tim = await f.user(authz, "tim@example.com")
    ivy = await f.user(authz, "ivy@example.com")
    account = await f.account(authz, "Olga's", olga, {tim: ["tickets"], ivy: ["invoices"]})
    stranger = await f.user(authz, "sam@example.com")
    await f.account(authz, "Sam's", stranger)
    api = f"/api/v1/accounts/{account}/referrals"

    # a member without the right: no menu item, 403 on the page and the API
    await f.login_as(client, "tim@example.com")
    assert NAV_LINK not in (await client.get("/")).text
    assert (await client.get("/account/referrals")).status_code == 403
    assert (await client.get(api)).status_code == 403
    # perm:invoices reads it, but may not name the account's referrer
    await f.login_as(client, "ivy@example.com")
    page = await client.get("/account/referrals")
    assert page.status_code == 200 and NAV_LINK in page.text and 'data-testid="claim-referral"' not in page.text
    assert (await f.post_form(client, "/account/referrals/claim", {"code": "ABCDEFGH"})).status_code == 403
    assert (await client.get(api)).status_code == 200
    # another account's referrals are not found
    await f.login_as(client, "sam@example.com")
    answer = await client.get(api)
    assert answer.status_code == 404 and "code" not in answer.json()
    # the owner of a new account may name who referred it
    await f.login_as(client, "olga@example.com")
    assert 'data-testid="claim-referral"' in (await client.get("/account/referrals")).text


async def test_a_partner_is_denied_the_childs_referral_programme(client, authz):
    partner_user = await f.user(authz, "pat@example.com")
    partner = await f.account(authz, "Partner", partner_user)
    child = await f.account(authz, "Child", await f.user(authz, "cleo@example.com"))
    await authz.add_grant("g", f"acct:{partner}", "role:partner_delegate", f"acct:{child}")
    await authz.add_grant("g", f"user:{partner_user}", "role:partner_admin", f"acct:{partner}")
    ask = AuthzRequest(f"user:{partner_user}", f"acct:{partner}", f"acct:{child}", "referral:*", "read", "mode:normal")
    decision = authz.explain(ask)
    assert decision.allowed is False
    assert decision.rule == ("p", "role:partner_delegate", "*", "referral:*", ".*", "deny")
    # the same partner may read the child's invoices: the deny is the referral programme's
    assert authz.allowed(replace(ask, obj="invoice:*", act="list")) is True
    assert authz.allowed(replace(ask, obj=services.PROGRAMME_OBJECT, act="claim")) is False
