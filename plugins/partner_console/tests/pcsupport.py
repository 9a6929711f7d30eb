"""The partner tests' world: a partner account with two customers, and helpers to act in it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import factories as f
from panel.core.audit.services import SYSTEM
from panel.core.auth.sessions import token_hash
from panel.core.auth.tables import ApiToken

from panel_partner_console import services

PARTNER_OWNER = "pa@agency.test"
PARTNER_MEMBER = "pm@agency.test"  # a member of the partner account, not a partner admin
ALICE = "alice@acme.test"  # owner of child A
CAROL = "carol@acme.test"  # a member of child A
BOB = "bob@beta.test"  # owner of child B
OTHER_PARTNER = "op@other.test"


@dataclass(frozen=True)
class World:
    """Ids of the partner, its two customers, and a customer of another partner."""

    partner: int
    acme: int
    beta: int
    other_partner: int
    stranger: int  # a customer of the other partner
    partner_owner: int
    alice: int
    carol: int
    bob: int


async def world(client: Any) -> World:
    """Agency (a partner) manages Acme and Beta; Other Partner manages Stranger. All approved."""
    authz = client.app.state.authz
    pa = await f.user(authz, PARTNER_OWNER)
    pm = await f.user(authz, PARTNER_MEMBER)
    alice, carol, bob = [await f.user(authz, e) for e in (ALICE, CAROL, BOB)]
    op = await f.user(authz, OTHER_PARTNER)
    stranger_owner = await f.user(authz, "sam@stranger.test")
    partner = await f.account(authz, "Agency", pa, {pm: ["all"]})
    acme = await f.account(authz, "Acme", alice, {carol: ["services"]})
    beta = await f.account(authz, "Beta", bob)
    other = await f.account(authz, "Other Partner", op)
    stranger = await f.account(authz, "Stranger", stranger_owner)
    for p in (partner, other):
        await services.enable_partner(authz, p, by=SYSTEM)
    for p, child, owner, email in (
        (partner, acme, alice, ALICE),
        (partner, beta, bob, BOB),
        (other, stranger, stranger_owner, "sam@stranger.test"),
    ):
        link = await services.request_existing(p, email, by=SYSTEM)
        await services.approve(authz, link, owner, child, by=SYSTEM)
    return World(partner, acme, beta, other, stranger, pa, alice, carol, bob)


async def manage(client: Any, child: int) -> Any:
    """Open a customer's screens from the console (the partner owner must be logged in)."""
    await client.get("/partner")
    answer = await f.post_form(client, f"/partner/children/{child}/manage")
    assert answer.status_code in (302, 303), answer.text
    return answer


async def api_token(user_id: int) -> str:
    """An API token of the user (stored hashed, as the panel does)."""
    secret = f"test-token-{user_id}-0123456789abcdef"
    await ApiToken.insert(ApiToken(user=user_id, name="test", prefix=secret[:8], token_hash=token_hash(secret)))
    return secret


def reason(answer: Any) -> str:
    """The deny reason of a 403: the JSON `reason`, or the page's "Why:" line."""
    if answer.headers.get("content-type", "").startswith("application/json"):
        return str(answer.json().get("reason", ""))
    found = re.search(r'data-testid="deny-reason">(?:Why: )?([^<]*)<', answer.text)
    return found.group(1) if found else ""
