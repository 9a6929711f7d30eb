"""Who is asking: resolves the session cookie or API token before guards run."""

from __future__ import annotations

import hmac
import json
import re
import time
from datetime import UTC, datetime
from ipaddress import ip_address
from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from panel.core.auth import sessions
from panel.core.auth.tables import ApiToken
from panel.settings import Settings

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PAGE_METHODS = {"GET", "HEAD"}  # a page load: its session lookup also reads the user's accounts (the account menu)
STATIC_PREFIX = "/static/"
CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "x-csrftoken"
PARTNER_HEADER = "x-partner-account"
API_ACCOUNT = re.compile(r"^/api/v1/accounts/(\d+)(?:/|$)")
"""API calls with a token name the partner account they act for here (docs/partners.md)."""


def client_address(scope: Scope, trusted: list[str]) -> str:
    """The client's address; X-Forwarded-For is believed only from trusted proxies."""
    peer = (scope.get("client") or ("", 0))[0]
    if peer not in trusted:
        return peer
    headers = dict(scope.get("headers", []))
    forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        try:
            ip_address(hop)
        except ValueError:
            break
        if hop not in trusted:
            return hop
    return peer


class RequestState:
    """Authentication facts that guards and handlers read from `request.state`."""

    @staticmethod
    def reset(state: dict[str, Any]) -> None:
        """Start every request as anonymous."""
        state["session"] = None
        state["user_id"] = None
        state["account_id"] = None
        state["impersonator_id"] = None
        state["partner_org"] = ""  # the rules engine's r.org: `acct:<partner>` while a partner manages the account
        state["via_token"] = False


class AuthMiddleware(ASGIMiddleware):
    """Loads the session (cookie) or API token (bearer) of each HTTP request."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Resolve the caller, refuse a bad token or a cookie-authenticated API write without CSRF header.

        Requests for static files are left anonymous (no session lookup). Before passing
        the request on, applies grant changes other processes made, at
        most once per `authz_sync_seconds`.
        """
        state = scope.setdefault("state", {})
        RequestState.reset(state)
        state["client_address"] = client_address(scope, self.settings.trusted_proxies)
        conn: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        auth = conn.headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and scope["path"].startswith("/api/"):
            user_id = await _user_for_token(auth[7:].strip())
            if user_id is None:
                await _deny(scope, receive, send, 401, "The API token is unknown or was revoked.")
                return
            state["user_id"] = user_id
            state["via_token"] = True
            partner = conn.headers.get(PARTNER_HEADER, "")
            if partner.isdigit():  # acting for a partner account; the rules engine checks the user may
                state["partner_org"] = f"acct:{partner}"
        elif scope["path"].startswith(STATIC_PREFIX):
            pass  # public files: nobody needs to know who asks
        elif token := conn.cookies.get(sessions.COOKIE_NAME):
            page_load = scope.get("method") in PAGE_METHODS and not scope["path"].startswith("/api/")
            current = await sessions.load(token, self.settings.session_days, with_accounts=page_load)
            if current is not None:
                state["session"] = current
                state["user_id"] = current.user_id
                state["account_id"] = current.account_id
                state["impersonator_id"] = current.impersonator_id
                if current.partner_account_id is not None:
                    state["partner_org"] = f"acct:{current.partner_account_id}"
            if scope["path"].startswith("/api/") and scope.get("method") in UNSAFE and not _csrf_header_ok(conn):
                await _deny(scope, receive, send, 403, "CSRF token missing or wrong: send the x-csrftoken header.")
                return
        authz = scope["app"].state.get("authz")  # set by the app's lifespan
        if authz is not None:
            await authz.sync_if_due(time.monotonic())  # grant changes other processes made
        if state["partner_org"] and scope.get("method") in UNSAFE:
            await _audited_for_partner(scope, receive, send, next_app)
            return
        await next_app(scope, receive, send)


async def _audited_for_partner(scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
    """Run a change a partner makes in a customer's account, then record it in that account's audit log.

    Services audit their own changes in detail; this line makes sure that every
    change a partner makes is in the customer's log, whatever feature (or plugin)
    handled it. Refused and failed requests change nothing and are not recorded.
    """
    from panel.core.audit.services import record

    status: list[int] = []

    async def watch(message: Any) -> None:
        if message["type"] == "http.response.start":
            status.append(int(message["status"]))
        await send(message)

    await next_app(scope, receive, watch)
    state = scope["state"]
    in_path = API_ACCOUNT.match(scope["path"])
    account_id = int(in_path.group(1)) if in_path else state.get("account_id")
    if not status or status[0] >= 400 or account_id is None:
        return
    partner = int(state["partner_org"].removeprefix("acct:"))
    await record(
        "partner.request",
        actor=state.get("user_id"),
        account_id=int(account_id),
        summary=f"{scope.get('method', '')} {scope['path']}",
        ip=str(state.get("client_address") or ""),
        partner=partner,
    )


def _csrf_header_ok(conn: ASGIConnection[Any, Any, Any, Any]) -> bool:
    cookie = conn.cookies.get(CSRF_COOKIE, "")
    header = conn.headers.get(CSRF_HEADER, "")
    return bool(cookie) and hmac.compare_digest(cookie, header)


async def _user_for_token(token: str) -> int | None:
    row = (
        await ApiToken.select(ApiToken.id, ApiToken.user.id, ApiToken.user.is_active)
        .where(ApiToken.token_hash == sessions.token_hash(token))
        .first()
    )
    if row is None or not row["user.is_active"]:
        return None
    await ApiToken.update({ApiToken.last_used_at: datetime.now(UTC)}).where(ApiToken.id == row["id"])
    return int(row["user.id"])


async def _deny(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
    """Answer before routing, in the API's error shape."""
    body = json.dumps({"status_code": status, "detail": detail}).encode()
    start: Any = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    }
    await send(start)
    end: Any = {"type": "http.response.body", "body": body}
    await send(end)
