"""Rendering pages: the shared context of every page, and full-page vs fragment."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.response import Redirect, Template

from panel.core.accounts import services as accounts
from panel.core.audit import services as audit
from panel.core.auth.services import staff_roles
from panel.core.authz.engine import Authorizer, AuthzRequest
from panel.plugin import NavItem


def _mode(request: Request[Any, Any, Any]) -> str:
    return "mode:impersonation" if request.state.get("impersonator_id") else "mode:normal"


def allowed(request: Request[Any, Any, Any], obj: str, action: str, dom: str) -> bool:
    """Ask the rules engine about the current user (used to hide what they cannot do)."""
    authz: Authorizer = request.app.state.authz
    user_id = request.state.get("user_id")
    if user_id is None:
        return False
    return authz.allowed(AuthzRequest(f"user:{user_id}", "", dom, obj, action, _mode(request)))


async def visible_nav(request: Request[Any, Any, Any], area: str) -> list[NavItem]:
    """Navigation items of an area that the current user may follow."""
    items: list[NavItem] = request.app.state.nav.get(area, [])
    if area == "admin":
        dom = "platform"
    else:
        account_id = request.state.get("account_id")
        if account_id is None:
            return []
        dom = f"acct:{account_id}"
    shown = [i for i in items if allowed(request, i.obj, i.action, dom)]
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


async def page(
    request: Request[Any, Any, Any],
    template: str,
    area: str = "client",
    status_code: int = 200,
    **context: Any,
) -> Template:
    """Render a page of the client or admin area with the shared context."""
    user_id = request.state.get("user_id")
    account_id = request.state.get("account_id")
    my_accounts = await accounts.accounts_of(user_id) if user_id is not None else []
    current = next((a for a in my_accounts if a.id == account_id), None)
    base = {
        "area": area,
        "layout": "layouts/fragment.html" if wants_fragment(request) else f"layouts/{area}.html",
        "user_email": request.state.session.email if request.state.get("session") else "",
        "user_name": request.state.session.name if request.state.get("session") else "",
        "accounts": my_accounts,
        "current_account": current,
        "nav": await visible_nav(request, area) if user_id is not None else [],
        "is_staff": bool(user_id is not None and staff_roles(request.app.state.authz, user_id)),
        "impersonating": bool(request.state.get("impersonator_id")),
        "impersonator_email": await audit.email_of(request.state.get("impersonator_id")),
        "slot": lambda name: _slot(request, name, context),
    }
    return Template(template_name=template, context={**base, **context}, status_code=status_code)


def _slot(request: Request[Any, Any, Any], name: str, context: dict[str, Any]) -> Any:
    from markupsafe import Markup

    # Plugins render their slot HTML from their own autoescaped templates (hook contract).
    return Markup(request.app.state.plugins.render_slot(name, request, context))  # noqa: S704
