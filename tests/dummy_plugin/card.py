"""`dummy.card`: a card gateway that fakes the card network "at the wire".

It implements the whole `panel.gateways.PaymentGateway` contract the way a real
card plugin would (stored tokens, charges honouring idempotency keys, refunds, a
hosted payment page, HMAC-signed webhooks), but the "network" is this module's
state: `LEDGER` holds every charge the card network made, so tests can prove that
billing charged once, refunded nothing by mistake, and so on. Billing never looks
in here; it only sees what the gateway returns.

Test cards: 4242 4242 4242 4242 (Visa) and 5555 5555 5555 4444 (Mastercard) always
work; 4000 0000 0000 0002 is declined.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from litestar import Request, Response, Router, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from panel.core.authz.guard import PUBLIC
from panel.gateways import ChargeRequest, ChargeResult, GatewayError, PaymentGateway, StoredMethod, WebhookEvent
from panel.gateways import Redirect as HostedPage

NAME = "dummy.card"
SIGNATURE_HEADER = "x-dummy-signature"
WEBHOOK_SECRET = b"dummy-card-webhook-secret"
DECLINED = "4000000000000002"


@dataclass
class Charge:
    """Money the fake card network moved: one charge and what was refunded of it."""

    reference: str
    amount: int
    currency: str
    invoice_id: int
    card: str
    refunds: list[int] = field(default_factory=list)


LEDGER: dict[str, Charge] = {}
"""Every charge made, by reference."""
BY_KEY: dict[str, str] = {}
"""Idempotency key -> reference of the charge it made."""
CARDS: dict[str, str] = {}
"""Token -> card number."""
SESSIONS: dict[str, ChargeRequest] = {}
"""Hosted-page session id -> what it charges."""
WEBHOOKS: list[tuple[dict[str, str], bytes]] = []
"""Webhooks sent (headers, body), oldest first, so a test can send one again."""


def reset() -> None:
    """Forget everything (between tests)."""
    for store in (LEDGER, BY_KEY, CARDS, SESSIONS):
        store.clear()
    WEBHOOKS.clear()


def refunded_total() -> int:
    """Everything the network gave back."""
    return sum(sum(c.refunds) for c in LEDGER.values())


def sign(body: bytes) -> str:
    """The webhook signature of a body."""
    return hmac.new(WEBHOOK_SECRET, body, hashlib.sha256).hexdigest()


def _brand(number: str) -> str:
    return {"4": "Visa", "5": "Mastercard", "3": "Amex"}.get(number[:1], "Card")


def _charge(request: ChargeRequest, card: str) -> ChargeResult:
    """Charge once per idempotency key, as a real card API does."""
    if request.idempotency_key in BY_KEY:
        done = LEDGER[BY_KEY[request.idempotency_key]]
        return ChargeResult("completed", done.reference, done.amount, details={"card_label": _label(done.card)})
    if card == DECLINED:
        return ChargeResult("failed", "", 0, message="The card was declined.")
    reference = "ch_" + secrets.token_hex(8)
    LEDGER[reference] = Charge(reference, request.amount, request.currency, request.invoice_id, card)
    BY_KEY[request.idempotency_key] = reference
    return ChargeResult("completed", reference, request.amount, details={"card_label": _label(card)})


def _label(card: str) -> str:
    return f"{_brand(card)} •••• {card[-4:]}"


class DummyCard(PaymentGateway):
    """A card gateway with every capability; see the module docstring."""

    name = NAME
    label = "Dummy card"
    supports_redirect = True
    supports_tokens = True
    supports_refunds = True
    supports_webhooks = True

    async def store_method(self, account_id: int, data: Mapping[str, Any]) -> StoredMethod:
        """Tokenise a card number from the form: 12 to 19 digits passing the Luhn check."""
        number = "".join(ch for ch in str(data.get("card_number", "")) if ch.isdigit())
        if not 12 <= len(number) <= 19 or not _luhn(number):
            raise GatewayError("That card number is not valid.", field="card_number")
        token = "tok_" + secrets.token_hex(8)
        CARDS[token] = number
        return StoredMethod(token, _label(number))

    async def charge_token(self, charge: ChargeRequest, token: str) -> ChargeResult:
        """Charge a stored card; the same idempotency key never charges twice."""
        if token not in CARDS:
            return ChargeResult("failed", "", 0, message="The card is unknown.")
        return _charge(charge, CARDS[token])

    async def refund(self, reference: str, amount: int, currency: str) -> ChargeResult:
        """Give back part or all of a charge, never more than it was."""
        done = LEDGER.get(reference)
        if done is None or sum(done.refunds) + amount > done.amount:
            raise GatewayError("The card network refused the refund.")
        done.refunds.append(amount)
        return ChargeResult("completed", "re_" + secrets.token_hex(8), amount)

    async def start_redirect(self, charge: ChargeRequest) -> HostedPage:
        """Open a session on the fake hosted page."""
        session = "cs_" + secrets.token_hex(8)
        SESSIONS[session] = charge
        return HostedPage(url=f"/dummy/card/pay/{session}", reference=session)

    async def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent | None:
        """Check the HMAC signature, then read the event."""
        given = headers.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(given, sign(body)):
            raise GatewayError("The webhook signature does not match.")
        event = json.loads(body)
        if event.get("type") not in {"payment.completed", "payment.failed"}:
            return None
        return WebhookEvent(
            kind=event["type"],
            reference=event["reference"],
            invoice_id=int(event["invoice_id"]),
            amount=int(event["amount"]),
            currency=event["currency"],
            details={"card_label": event.get("card_label", "")},
        )


def _luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def webhook_body(charge: Charge, kind: str = "payment.completed") -> bytes:
    """The body the network posts about a charge."""
    return json.dumps(
        {
            "type": kind,
            "reference": charge.reference,
            "invoice_id": charge.invoice_id,
            "amount": charge.amount,
            "currency": charge.currency,
            "card_label": _label(charge.card),
        }
    ).encode()


async def deliver(app: Any, body: bytes) -> httpx.Response:
    """Post a signed webhook to the panel, as the network's servers would (in-process here)."""
    headers = {SIGNATURE_HEADER: sign(body), "content-type": "application/json"}
    WEBHOOKS.append((headers, body))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.invalid") as client:
        return await client.post(f"/api/v1/billing/webhooks/{NAME}", content=body, headers=headers)


# -- the hosted payment page ---------------------------------------------------------------


@get("/pay/{session:str}", authz=PUBLIC)
async def hosted_page(session: FromPath[str]) -> Template:
    """The card form of a session (what a payer sees at the gateway)."""
    charge = SESSIONS.get(session)
    return Template("dummy/card_page.html", context={"session": session, "charge": charge, "error": ""})


@post("/pay/{session:str}", authz=PUBLIC)
async def hosted_pay(request: Request[Any, Any, Any], session: FromPath[str]) -> Response[Any]:
    """Charge the card typed in, post the signed webhook, send the payer back to the panel."""
    charge = SESSIONS.get(session)
    if charge is None:
        return Response({"detail": "unknown session"}, status_code=404)
    form = await request.form()
    number = "".join(ch for ch in str(form.get("card_number", "")) if ch.isdigit())
    result = _charge(charge, number)
    if result.status != "completed":
        context = {"session": session, "charge": charge, "error": result.message}
        return Template("dummy/card_page.html", context=context, status_code=402)
    await deliver(request.app, webhook_body(LEDGER[result.reference]))
    return Redirect(charge.return_url or "/", status_code=303)


def router() -> Router:
    """The hosted page under /dummy/card/."""
    return Router(path="/dummy/card", route_handlers=[hosted_page, hosted_pay], include_in_schema=False)
