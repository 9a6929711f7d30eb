"""The one guard: every route declares what it needs, and the rules engine decides.

Declare on the route decorator, e.g. `@get("/invoices", authz=requires("invoice:*", "list"))`,
`authz=requires("admin:accounts", "read", scope="platform")`, `authz=LOGGED_IN` (any
logged-in user, for pages about the user themself) or `authz=PUBLIC`. A route that
declares nothing is refused at start-up by `check_routes`, so no route is reachable
without a decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from panel.core.authz.engine import Authorizer, AuthzRequest
from panel.errors import Forbidden, PanelError, PluginError

OPT_KEY = "authz"


@dataclass(frozen=True)
class Requires:
    """The action a route needs on an object, in the current account or the platform.

    `obj` may name path parameters in braces (`"invoice:{invoice_id}"`). With
    `account_param`, the account comes from that path parameter instead of the
    session (API routes used with tokens).
    """

    obj: str
    action: str
    scope: Literal["account", "platform"] = "account"
    account_param: str | None = None


@dataclass(frozen=True)
class Marker:
    """A route open to everyone (`PUBLIC`) or to any logged-in user (`LOGGED_IN`)."""

    name: str


PUBLIC = Marker("public")
LOGGED_IN = Marker("logged-in")


def requires(
    obj: str,
    action: str,
    scope: Literal["account", "platform"] = "account",
    account_param: str | None = None,
) -> Requires:
    """Shorthand for `Requires(...)`."""
    return Requires(obj, action, scope, account_param)


class NoAccountChosen(PanelError):
    """A page needs a current account and the session has none."""

    status_code = 409


def build_request(connection: ASGIConnection[Any, Any, Any, Any], spec: Requires) -> AuthzRequest:
    """The rules-engine request for this connection and route declaration."""
    state = connection.scope["state"]
    params = connection.path_params
    if spec.scope == "platform":
        dom = "platform"
    else:
        account_id = params.get(spec.account_param) if spec.account_param else state["account_id"]
        if account_id is None:
            raise NoAccountChosen("Choose an account first.")
        dom = f"acct:{account_id}"
    try:
        obj = spec.obj.format(**params)
    except (KeyError, IndexError):
        obj = spec.obj
    return request_for(state, dom, obj, spec.action)


def request_for(state: dict[str, Any], dom: str, obj: str, action: str) -> AuthzRequest:
    """The rules-engine request for the caller in `state` (user, partner org, session mode) on `obj` in `dom`.

    Every question the panel asks about the current user goes through here, so a
    partner managing an account (`partner_org`) and staff impersonating a user
    (`mode:impersonation`) are seen the same way by guards, pages and services.
    """
    mode = "mode:impersonation" if state.get("impersonator_id") else "mode:normal"
    return AuthzRequest(f"user:{state['user_id']}", state.get("partner_org", ""), dom, obj, action, mode)


def denial_reason(authz: Authorizer, request: AuthzRequest) -> str:
    """Why `request` is refused, naming the deciding policy line (as `panel policy explain` does).

    '' for an account the caller has no part in (no grant of the user, or of the
    partner it acts for, there): the explanation would tell facts about a stranger's
    account (e.g. that it is suspended).
    """
    if request.dom.startswith("acct:"):
        ours = [g for g in authz.grants_for(request.sub, request.dom) if g[0] == "g"]
        if request.org and ("g", request.sub, "role:partner_admin", request.org) in authz.grants_for(
            request.sub, request.org
        ):  # a partner admin of the partner it acts for: that partner's standing there counts
            ours += [g for g in authz.grants_for(request.org, request.dom) if g[0] == "g"]
        if not ours:
            return ""
    return authz.explain(request).reason


def check(
    connection: ASGIConnection[Any, Any, Any, Any],
    obj: str,
    action: str,
    dom: str,
    message: str,
    field: str | None = None,
) -> None:
    """Raise `Forbidden(message)` with the rules engine's reason unless the caller may `action` `obj` in `dom`.

    `field` names the form field the refusal belongs beside (the API's `errors`).
    """
    authz: Authorizer = connection.app.state.authz
    request = request_for(connection.scope["state"], dom, obj, action)
    if not authz.allowed(request):
        raise Forbidden(message, field=field, reason=denial_reason(authz, request))


def _is_automatic_options(handler: BaseRouteHandler) -> bool:
    """Litestar's own OPTIONS answer (it lists allowed methods and runs no code of ours)."""
    methods: set[str] = set(getattr(handler, "http_methods", ()))
    return handler.handler_name == "options_handler" and methods == {"OPTIONS"}


async def authorize(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Litestar guard applied to the whole app.

    An API route naming its account (`account_param`) also refuses a user without
    two-factor authentication when that account requires it (the session's current
    account is checked when it is chosen instead).
    """
    spec = handler.opt.get(OPT_KEY)
    if spec == PUBLIC:
        return
    if spec is None:
        if _is_automatic_options(handler):
            return
        raise Forbidden("This route declares no permission and is closed.")
    if connection.scope["state"].get("user_id") is None:
        raise NotAuthorizedException("Log in to continue.")
    if spec == LOGGED_IN:
        return
    authz: Authorizer = connection.app.state.authz
    request = build_request(connection, spec)
    if not authz.allowed(request):
        raise Forbidden("You do not have permission to do that in this account.", reason=denial_reason(authz, request))
    if isinstance(spec, Requires) and spec.account_param and request.dom.startswith("acct:"):
        from panel.core.twofactor import gate  # two-factor: an account's requirement, for API calls

        await gate.check_api(int(connection.scope["state"]["user_id"]), int(request.dom.removeprefix("acct:")))


def check_routes(app: Litestar) -> None:
    """Refuse to start if any route handler lacks an authz declaration."""
    missing = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            spec = handler.opt.get(OPT_KEY)
            if not isinstance(spec, (Requires, Marker)) and not _is_automatic_options(handler):
                missing.append(f"{route.path} ({handler.handler_name})")
    if missing:
        raise PluginError("routes without an authz declaration: " + ", ".join(sorted(missing)))
