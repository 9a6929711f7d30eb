"""The user's two-factor page (`/me/two-factor`) and the account's requirement (`/accounts/{id}/two-factor`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Template

from panel.core.audit.context import audit_context
from panel.core.audit.services import record
from panel.core.auth import sessions
from panel.core.authz.guard import LOGGED_IN, check
from panel.core.twofactor import gate as twofactor_gate
from panel.core.twofactor import services
from panel.core.web.pages import allowed, page, redirect
from panel.errors import Forbidden, NotFound, ValidationFailed
from panel.settings import require_secret_key


@dataclass
class CodeForm:
    """A code from the authenticator app."""

    code: str = ""


@dataclass
class ProofForm:
    """The password, a current code or a recovery code."""

    proof: str = ""


@dataclass
class RequireForm:
    """The account's requirement ("on" when ticked)."""

    required: str = ""


def _key(request: Request[Any, Any, Any]) -> str:
    return require_secret_key(request.app.state.settings)


def _not_impersonating(request: Request[Any, Any, Any]) -> None:
    if request.state.get("impersonator_id"):
        raise Forbidden("Staff acting as a user cannot change the user's two-factor authentication.")


async def _me(
    request: Request[Any, Any, Any], errors: dict[str, str] | None = None, status_code: int = 200
) -> Template:
    user_id = request.state.user_id
    state = await services.status(user_id, _key(request))
    uri = services.otpauth_uri(state.pending_secret, request.state.session.email) if state.pending_secret else ""
    return await page(
        request,
        "twofactor/me.html",
        status_code=status_code,
        tab="two-factor",
        state=state,
        uri=uri,
        required_by=await services.requiring_accounts(user_id),
        errors=errors or {},
    )


async def _audit(request: Request[Any, Any, Any], action: str, summary: str, account_id: int | None = None) -> None:
    target = f"account:{account_id}" if account_id else f"user:{request.state.user_id}"
    await record(action, account_id=account_id, target=target, summary=summary, **audit_context(request))


@get("/me/two-factor", authz=LOGGED_IN)
async def me_page(request: Request[Any, Any, Any]) -> Template:
    """Two-factor state: set up (secret and URI until confirmed), recovery codes, turn off."""
    return await _me(request)


@post("/me/two-factor/start", authz=LOGGED_IN)
async def me_start(request: Request[Any, Any, Any]) -> Response[Any]:
    """Make a new secret and show it with a form for the first code."""
    _not_impersonating(request)
    try:
        await services.start(request.state.user_id, _key(request))
    except ValidationFailed as exc:
        return await _me(request, exc.errors, 422)
    return redirect(request, "/me/two-factor")


@post("/me/two-factor/confirm", authz=LOGGED_IN)
async def me_confirm(request: Request[Any, Any, Any], data: URLEncodedBody[CodeForm]) -> Response[Any]:
    """Turn two-factor on with the first code; shows the recovery codes once."""
    _not_impersonating(request)
    try:
        codes = await services.confirm(request.state.user_id, data.code, _key(request))
    except ValidationFailed as exc:
        return await _me(request, exc.errors, 422)
    await _audit(request, "twofactor.enable", "Turned two-factor authentication on.")
    return await page(request, "twofactor/codes.html", codes=codes, next="/me/two-factor")


@post("/me/two-factor/recovery", authz=LOGGED_IN)
async def me_recovery(request: Request[Any, Any, Any], data: URLEncodedBody[ProofForm]) -> Response[Any]:
    """New recovery codes (the old ones stop working); needs the password or a code."""
    _not_impersonating(request)
    user_id = request.state.user_id
    if not await services.is_enabled(user_id):
        return await _me(request, {"form": "Two-factor authentication is off."}, 422)
    if not await services.check_proof(user_id, data.proof, _key(request)):
        return await _me(request, {"proof": "Enter your password or a current code."}, 422)
    codes = await services.new_recovery_codes(user_id)
    await _audit(request, "twofactor.recovery_codes", "Made new two-factor recovery codes.")
    return await page(request, "twofactor/codes.html", codes=codes, next="/me/two-factor")


@post("/me/two-factor/disable", authz=LOGGED_IN)
async def me_disable(request: Request[Any, Any, Any], data: URLEncodedBody[ProofForm]) -> Response[Any]:
    """Turn two-factor off; needs the password or a current code."""
    _not_impersonating(request)
    user_id = request.state.user_id
    if not await services.check_proof(user_id, data.proof, _key(request)):
        return await _me(request, {"proof": "Enter your password or a current code."}, 422)
    try:
        await services.disable(user_id)
    except ValidationFailed as exc:
        return await _me(request, exc.errors, 422)
    await _audit(request, "twofactor.disable", "Turned two-factor authentication off.")
    return redirect(request, "/me/two-factor")


OWNER_ONLY = "Only the account's owner may change its two-factor requirement."


async def _may_change(request: Request[Any, Any, Any], account_id: int) -> bool:
    """404 for an account the user is not in; whether the rules let them change its security policy."""
    dom = f"acct:{account_id}"
    if not await services.is_member(request.state.user_id, account_id) and not allowed(
        request, "account:dashboard", "read", dom
    ):  # neither a member nor a partner managing it
        raise NotFound("No such account.")
    return allowed(request, "account:security_policy", "update", dom)


async def _account_page(
    request: Request[Any, Any, Any], account_id: int, may_change: bool, notice: str = "", status_code: int = 200
) -> Template:
    return await page(
        request,
        "twofactor/account.html",
        status_code=status_code,
        account_id=account_id,
        account_name=await services.account_name(account_id),
        required=await services.is_required(account_id),
        may_change=may_change,
        notice=notice,
    )


@get("/accounts/{account_id:int}/two-factor", authz=LOGGED_IN)
async def account_page(request: Request[Any, Any, Any], account_id: FromPath[int]) -> Template:
    """Whether the account requires two-factor; the owner gets the switch."""
    return await _account_page(request, account_id, await _may_change(request, account_id))


@post("/accounts/{account_id:int}/two-factor", authz=LOGGED_IN)
async def account_set(
    request: Request[Any, Any, Any], account_id: FromPath[int], data: URLEncodedBody[RequireForm]
) -> Response[Any]:
    """Owner only: require two-factor of the members; members without it are logged out everywhere."""
    if not await _may_change(request, account_id):
        check(request, "account:security_policy", "update", f"acct:{account_id}", OWNER_ONLY)
        raise Forbidden(OWNER_ONLY)
    required = data.required in ("on", "1", "true")
    if required and not await services.is_enabled(request.state.user_id):
        notice = "Turn on two-factor authentication for yourself first (Your profile, Two-factor)."
        return await _account_page(request, account_id, True, notice, 422)
    before = await services.is_required(account_id)
    missing = await services.set_required(account_id, required, request.state.user_id)
    twofactor_gate.forget_requiring()
    for member_id in missing:
        await sessions.end_all_for_user(member_id)
    if required:  # partners managing the account are held to it too: back to their own account
        await sessions.leave_managed_without_twofactor(account_id, services.is_enabled)
    if before != required:
        await record(
            "twofactor.account_requirement",
            account_id=account_id,
            target=f"account:{account_id}",
            summary=f"{'Required' if required else 'Stopped requiring'} two-factor authentication of members.",
            details={"required": {"before": before, "after": required}, "logged_out": missing},
            **audit_context(request),
        )
    return redirect(request, f"/accounts/{account_id}/two-factor")


ROUTES = [me_page, me_start, me_confirm, me_recovery, me_disable, account_page, account_set]
