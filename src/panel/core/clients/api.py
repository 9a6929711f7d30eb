"""The clients API for staff: /api/v1/admin/clients[...]. Same services and rules as the pages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from litestar import Request, Response, Router, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from panel.core.audit.context import audit_context
from panel.core.clients import guards, services
from panel.core.clients.search import PAGE_SIZE, ClientFilters, ClientRow, search_clients
from panel.core.contacts.routes import ContactFields
from panel.core.web.pages import allowed
from panel.errors import Forbidden


@dataclass
class ClientListOut:
    """A page of clients and the number of matches."""

    total: int
    limit: int
    offset: int
    items: list[ClientRow]


@dataclass
class ClientCreateBody:
    """A new client: its login (a new user, or `link_existing`), store and own details."""

    login_email: str
    password: str = ""
    link_existing: bool = False
    store_id: int | None = None
    account_name: str = ""
    contact: ContactFields = field(default_factory=ContactFields)


@dataclass
class ClientPatchBody:
    """What to change; fields left out (or null) stay as they are."""

    name: str | None = None
    store_id: int | None = None
    login_email: str | None = None
    password: str | None = None


@get("/admin/clients", authz=guards.LIST)
async def api_list(
    q: FromQuery[str] = "",
    status: FromQuery[str] = "",
    store: FromQuery[int | None] = None,
    unpaid: FromQuery[bool] = False,
    limit: FromQuery[int] = PAGE_SIZE,
    offset: FromQuery[int] = 0,
) -> ClientListOut:
    """Clients by name: search (name, owner email, contact name or company), status, store, has-unpaid filters."""
    found = await search_clients(ClientFilters(q=q, status=status, store_id=store, unpaid=unpaid), limit, offset)
    return ClientListOut(found.total, found.limit, found.offset, found.rows)


@post("/admin/clients", authz=guards.CREATE)
async def api_create(request: Request[Any, Any, Any], data: JSONBody[ClientCreateBody]) -> services.ClientDetail:
    """Create a client (user or linked user, account, own details) in one transaction; 422 with field errors."""
    new = services.NewClient(data.login_email, data.password, data.link_existing, data.store_id, data.account_name)
    contact = asdict(data.contact)
    contact["email"] = contact["email"] or data.login_email
    authz = request.app.state.authz
    account_id = await services.create_client(authz, new, contact, by=audit_context(request))
    return await services.get_client(authz, account_id)


@get("/admin/clients/{account_id:int}", authz=guards.READ)
async def api_get(request: Request[Any, Any, Any], account_id: FromPath[int]) -> services.ClientDetail:
    """One client with owner, members and their permissions, contacts and store."""
    return await services.get_client(request.app.state.authz, account_id)


@patch("/admin/clients/{account_id:int}", authz=guards.UPDATE)
async def api_update(
    request: Request[Any, Any, Any], account_id: FromPath[int], data: JSONBody[ClientPatchBody]
) -> services.ClientDetail:
    """Change the name, store, the owner's login email or password (the last needs `set_password`)."""
    authz = request.app.state.authz
    if data.password is not None and not allowed(request, f"account:{account_id}", "set_password", "platform"):
        raise Forbidden("You may not set passwords.")
    await services.patch_client(
        account_id, name=data.name, store_id=data.store_id, login_email=data.login_email, password=data.password
    )
    return await services.get_client(authz, account_id)


@delete("/admin/clients/{account_id:int}", authz=guards.DELETE, status_code=200)
async def api_delete(request: Request[Any, Any, Any], account_id: FromPath[int]) -> Response[dict[str, Any]]:
    """Delete the client; 409 with `reasons` while something blocks it."""
    try:
        owner_deleted = await services.delete_client(request.app.state.authz, account_id)
    except services.DeletionRefused as exc:
        body = {"status_code": 409, "detail": exc.message, "reasons": exc.reasons}
        return Response(body, status_code=409)
    return Response({"deleted": account_id, "owner_deleted": owner_deleted})


@post("/admin/clients/{account_id:int}/suspend", authz=guards.SUSPEND, status_code=200)
async def api_suspend(request: Request[Any, Any, Any], account_id: FromPath[int]) -> dict[str, Any]:
    """Suspend the client; returns how many sessions ended."""
    ended = await services.suspend_client(request.app.state.authz, account_id, by=audit_context(request))
    return {"id": account_id, "status": "suspended", "sessions_ended": ended}


@post("/admin/clients/{account_id:int}/unsuspend", authz=guards.UNSUSPEND, status_code=200)
async def api_unsuspend(request: Request[Any, Any, Any], account_id: FromPath[int]) -> dict[str, Any]:
    """Reactivate the client."""
    await services.unsuspend_client(request.app.state.authz, account_id, by=audit_context(request))
    return {"id": account_id, "status": "active"}


def api_router() -> Router:
    """The clients API under /api/v1."""
    return Router(
        path="/api/v1",
        route_handlers=[api_list, api_create, api_get, api_update, api_delete, api_suspend, api_unsuspend],
        tags=["clients"],
    )
