"""Rendering pages: the shared context of every page, and full-page vs fragment."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.response import Redirect, Template

from panel.core.accounts import services as accounts
from panel.core.audit import services as audit
from panel.core.auth.services import staff_roles
from panel.core.authz.engine import Authorizer
from panel.core.authz.guard import request_for
from panel.errors import NotFound
from panel.plugin import NavItem

_ACCOUNTS_KEY = "panel_my_accounts"


def _state(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The request's state as the plain dict behind `request.state` (which builds a wrapper on every access)."""
    state: dict[str, Any] = request.scope.setdefault("state", {})
    return state


def allowed(request: Request[Any, Any, Any], obj: str, action: str, dom: str) -> bool:
    """Ask the rules engine about the current user (used to hide what they cannot do)."""
    state = _state(request)
    user_id = state.get("user_id")
    if user_id is None:
        return False
    authz: Authorizer = request.app.state.authz
    return authz.allowed(request_for(state, dom, obj, action))


async def visible_nav(request: Request[Any, Any, Any], area: str) -> list[NavItem]:
    """Navigation items of an area that the current user may follow."""
    state = _state(request)
    user_id = state.get("user_id")
    if user_id is None:
        return []
    if area == "admin":
        dom = "platform"
    else:
        account_id = state.get("account_id")
        if account_id is None:
            return []
        dom = f"acct:{account_id}"
    items: list[NavItem] = request.app.state.nav.get(area, [])
    authz: Authorizer = request.app.state.authz
    shown = [i for i in items if authz.allowed(request_for(state, dom, i.obj, i.action))]
    return [i for i in shown if i.visible is None or await i.visible(request)]


def redirect(request: Request[Any, Any, Any], target: str) -> Response[Any]:
    """Go to `target`: a 303 for browsers, `HX-Redirect` for htmx (a full page load)."""
    if request.headers.get("hx-request") == "true":
        return Response(content=b"", status_code=204, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


def wants_fragment(request: Request[Any, Any, Any]) -> bool:
    """Htmx asked to swap only the main content (not a full page load)."""
    headers = request.headers
    return headers.get("hx-request") == "true" and headers.get("hx-target") == "main"


async def my_accounts(request: Request[Any, Any, Any]) -> list[accounts.AccountSummary]:
    """The current user's accounts, by name: as the session lookup read them on a page load, else one query.

    Kept for the rest of the request, so the account menu and a handler asking again
    cost nothing more.
    """
    state = _state(request)
    known: list[accounts.AccountSummary] | None = state.get(_ACCOUNTS_KEY)
    if known is not None:
        return known
    user_id = state.get("user_id")
    session = state.get("session")
    if user_id is None:
        known = []
    elif session is not None and session.accounts is not None and session.user_id == user_id:
        known = accounts.summaries(session.accounts, user_id)
    else:
        known = await accounts.accounts_of(user_id)
    state[_ACCOUNTS_KEY] = known
    return known


async def page(
    request: Request[Any, Any, Any],
    template: str,
    area: str = "client",
    status_code: int = 200,
    **context: Any,
) -> Template:
    """Render a page of the client or admin area with the shared context."""
    state = _state(request)
    user_id = state.get("user_id")
    account_id = state.get("account_id")
    session = state.get("session")
    found = await my_accounts(request)
    impersonator_id = state.get("impersonator_id")
    if impersonator_id is None:
        impersonator_email = ""
    elif session is not None and session.impersonator_id == impersonator_id:
        impersonator_email = session.impersonator_email  # read with the session
    else:
        impersonator_email = await audit.email_of(impersonator_id)
    base = {
        "area": area,
        "layout": "layouts/fragment.html" if wants_fragment(request) else f"layouts/{area}.html",
        "user_email": session.email if session else "",
        "user_name": session.name if session else "",
        "accounts": found,
        "current_account": await _current_account(state, found, account_id),
        "managing": bool(state.get("partner_org")),
        "nav": await visible_nav(request, area) if user_id is not None else [],
        "is_staff": bool(user_id is not None and staff_roles(request.app.state.authz, user_id)),
        "impersonating": bool(impersonator_id),
        "impersonator_email": impersonator_email,
    }
    merged = {**base, **context}
    merged["slot"] = lambda name: _slot(request, name, merged)  # slots see the whole page context
    return Template(template_name=template, context=merged, status_code=status_code)


async def _current_account(
    state: dict[str, Any], found: list[accounts.AccountSummary], account_id: int | None
) -> accounts.AccountSummary | None:
    """The current account as the switcher shows it: one of the user's, or the child a partner manages."""
    mine = next((a for a in found if a.id == account_id), None)
    if mine is not None or account_id is None or not state.get("partner_org"):
        return mine
    try:
        return await accounts.get_account(account_id)  # a partner's child: not among the user's own accounts
    except NotFound:
        return None


def _slot(request: Request[Any, Any, Any], name: str, context: dict[str, Any]) -> Any:
    from markupsafe import Markup

    # Plugins render their slot HTML from their own autoescaped templates (hook contract).
    return Markup(request.app.state.plugins.render_slot(name, request, context))  # noqa: S704
