"""JSON API of the referral programme: an account's link, counts and referrals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Request, Router, get
from litestar.params import FromPath

from panel.core.authz.guard import LOGGED_IN
from panel.core.referrals import services
from panel.core.web.pages import allowed
from panel.errors import Forbidden, NotFound


@dataclass(frozen=True)
class ReferralOut:
    """A referred account, its name masked for privacy."""

    account: str
    signed_up_at: datetime
    status: str
    reward: str


@dataclass(frozen=True)
class ReferralsOut:
    """The referral link, what it brought, and the referrals (newest first)."""

    code: str
    link: str
    signed_up: int
    paying: int
    rewarded: int
    earned: dict[str, int]
    referrals: list[ReferralOut]


@get("/accounts/{account_id:int}/referrals", authz=LOGGED_IN)
async def api_referrals(request: Request[Any, Any, Any], account_id: FromPath[int]) -> ReferralsOut:
    """The account's referral link and referrals; 404 for an account the caller is not in, 403 without the right.

    `earned` maps currencies to minor units of credit earned (reversed rewards excluded).
    """
    dom = f"acct:{account_id}"
    user_id = int(request.state.user_id)
    if not await services.is_member(user_id, account_id) and not allowed(request, "account:dashboard", "read", dom):
        raise NotFound("No such account.")
    if not allowed(request, services.PROGRAMME_OBJECT, "read", dom):
        raise Forbidden("You may not see this account's referral programme.")
    view = await services.overview(account_id, request.app.state.settings.base_url)
    return ReferralsOut(
        code=view.code,
        link=view.link,
        signed_up=view.signed_up,
        paying=view.paying,
        rewarded=view.rewarded,
        earned=view.earned,
        referrals=[ReferralOut(r.account, r.signed_up_at, r.status, r.reward) for r in view.referrals],
    )


def api_router() -> Router:
    """The referral programme's API under /api/v1."""
    return Router(path="/api/v1", route_handlers=[api_referrals], tags=["referrals"])
