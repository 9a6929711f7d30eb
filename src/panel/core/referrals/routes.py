"""The referral link (`/r/{code}`) and an account's referral page (`/account/referrals`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from panel.core.audit.context import audit_context
from panel.core.authz.guard import PUBLIC, requires
from panel.core.referrals import services
from panel.core.web.pages import allowed, page, redirect
from panel.errors import ValidationFailed

STOREFRONT = "/store"
NOTICES = {"claimed": "Thank you: the account that referred you is recorded."}


@get("/r/{code:str}", authz=PUBLIC)
async def follow_link(request: Request[Any, Any, Any], code: FromPath[str]) -> Response[Any]:
    """Remember the referral for 30 days (the first link followed wins) and go to the storefront.

    An unknown code, or the programme switched off, leads to the storefront all the same.
    """
    response: Response[Any] = Redirect(STOREFRONT, status_code=302)
    earlier = services.code_from_cookie(request.cookies.get(services.COOKIE, ""))
    if earlier and await services.account_by_code(earlier) is not None:
        return response  # first click wins while it is younger than 30 days
    terms = await services.programme()
    found = await services.account_by_code(code)
    if terms.enabled and found is not None:
        response.set_cookie(
            services.COOKIE,
            services.cookie_value(services.normalise_code(code)),
            max_age=services.COOKIE_DAYS * 86400,
            httponly=True,
            samesite="lax",
            secure=request.app.state.settings.secure_cookies,
        )
    return response


@dataclass
class ClaimForm:
    """The referral code a new account's owner enters (or confirms, from the cookie)."""

    code: str = ""


async def _page(
    request: Request[Any, Any, Any],
    notice: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    account_id = int(request.state.account_id)
    dom = f"acct:{account_id}"
    own = await services.overview(account_id, request.app.state.settings.base_url)
    cookie_code = services.code_from_cookie(request.cookies.get(services.COOKIE, ""))
    if cookie_code == own.code:  # the account's own link, followed to try it
        cookie_code = ""
    may_claim = allowed(request, services.PROGRAMME_OBJECT, "claim", dom) and await services.may_be_referred(account_id)
    return await page(
        request,
        "referrals/account.html",
        status_code=status_code,
        view=own,
        terms=await services.programme(),
        may_claim=may_claim,
        values=values if values is not None else {"code": cookie_code},
        errors=errors or {},
        notice=notice,
    )


@get("/account/referrals", authz=requires(services.PROGRAMME_OBJECT, "read"))
async def referrals_page(request: Request[Any, Any, Any], done: FromQuery[str] = "") -> Template:
    """The account's referral link, what it brought, and (a new account) the code that referred it."""
    return await _page(request, NOTICES.get(done, ""))


@post("/account/referrals/claim", authz=requires(services.PROGRAMME_OBJECT, "claim"))
async def claim(request: Request[Any, Any, Any], data: URLEncodedBody[ClaimForm]) -> Response[Any]:
    """Record the account that referred this new account (before its first paid invoice)."""
    try:
        await services.attach_referrer(int(request.state.account_id), data.code, by=audit_context(request))
    except ValidationFailed as exc:
        return await _page(request, values={"code": data.code}, errors=exc.errors, status_code=422)
    return redirect(request, "/account/referrals?done=claimed")


ROUTES = [follow_link, referrals_page, claim]
