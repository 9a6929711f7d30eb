"""Admin-area pages for clients under /admin/clients (platform staff only).

Staff admins may do everything; support reads; billing reads and suspends (see
`policies/policy.csv` and docs/clients.md). Each page offers only what the rules
engine allows the viewer; each route declares what it needs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Template

from panel.core.audit.context import audit_context
from panel.core.clients import guards, services
from panel.core.clients.search import PAGE_SIZE, STATUSES, ClientFilters, search_clients
from panel.core.contacts.countries import sorted_by_name
from panel.core.contacts.routes import ContactForm, form_values
from panel.core.web.pages import page, redirect
from panel.errors import ValidationFailed

NOTICES = {
    "created": "The client was created.",
    "saved": "The client was saved.",
    "login": "The login email was changed.",
    "password": "The password was set; the owner's sessions were ended.",
    "details": "The client's own details were saved.",
    "contact": "The contact was saved.",
    "contact_deleted": "The contact was deleted.",
    "billing": "The billing contact was changed.",
    "suspended": "The client is suspended: members were logged out and cannot log in.",
    "unsuspended": "The client is active again.",
    "deleted": "The client was deleted.",
}

# -- the list -------------------------------------------------------------------------------


def _store_filter(value: str) -> int | None:
    return int(value) if value.isdigit() else None


@get("/admin/clients", authz=guards.LIST)
async def client_list(
    request: Request[Any, Any, Any],
    q: FromQuery[str] = "",
    status: FromQuery[str] = "",
    store: FromQuery[str] = "",
    unpaid: FromQuery[str] = "",
    page_no: FromQuery[int] = 1,
    done: FromQuery[str] = "",
) -> Template:
    """Clients by name, with search, status, store and has-unpaid-invoices filters and pages of 50."""
    filters = ClientFilters(q=q, status=status, store_id=_store_filter(store), unpaid=bool(unpaid))
    found = await search_clients(filters, PAGE_SIZE, (max(page_no, 1) - 1) * PAGE_SIZE)
    wanted = {"q": found.filters.q, "status": found.filters.status, "store": store, "unpaid": "1" if unpaid else ""}
    query = {k: v for k, v in wanted.items() if v}

    def page_url(number: int) -> str:
        return "/admin/clients?" + urlencode({**query, "page_no": number})

    return await page(
        request,
        "clients/list.html",
        area="admin",
        found=found,
        stores=await services.stores(),
        statuses=STATUSES,
        store_value=store,
        page_url=page_url,
        can=guards.abilities(request),
        notice=_notice(done),
    )


def _notice(done: str) -> str:
    """The fixed message for a `done=` code (never text from the address)."""
    return NOTICES.get(done, "")


# -- creating ------------------------------------------------------------------------------


@dataclass
class NewClientForm(ContactForm):
    """The create form: the login, the store and the client's own details."""

    login_email: str = ""
    password: str = ""
    link_existing: str = ""
    store_id: str = ""
    account_name: str = ""


async def _new_page(
    request: Request[Any, Any, Any], values: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Template:
    return await page(
        request,
        "clients/new.html",
        area="admin",
        status_code=status_code,
        values=values,
        errors=errors,
        stores=await services.stores(),
        countries=sorted_by_name(),
    )


@get("/admin/clients/new", authz=guards.CREATE)
async def new_client(request: Request[Any, Any, Any]) -> Template:
    """The form to create a client."""
    default = next((s.id for s in await services.stores() if s.is_default), None)
    return await _new_page(request, {"store_id": str(default or "")}, {})


@post("/admin/clients/new", authz=guards.CREATE)
async def create_client(request: Request[Any, Any, Any], data: URLEncodedBody[NewClientForm]) -> Response[Any]:
    """Create the user (or link one), the account and its own details in one go."""
    new = services.NewClient(
        login_email=data.login_email,
        password=data.password,
        link_existing=bool(data.link_existing),
        store_id=_store_filter(data.store_id),
        account_name=data.account_name,
    )
    contact = form_values(data)
    contact["email"] = contact["email"] or data.login_email
    try:
        account_id = await services.create_client(request.app.state.authz, new, contact, by=audit_context(request))
    except ValidationFailed as exc:
        values = {**asdict(data), "password": ""}  # never sent back
        return await _new_page(request, values, exc.errors, 422)
    return redirect(request, f"/admin/clients/{account_id}?done=created")


# -- one client ----------------------------------------------------------------------------


async def client_page_with(
    request: Request[Any, Any, Any],
    account_id: int,
    status_code: int = 200,
    form: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
    refusal: list[str] | None = None,
) -> Template:
    """The client page, with the state of a form that failed (`form`, `values`, `errors`) or a refusal."""
    client = await services.get_client(request.app.state.authz, account_id)
    primary = next((c for c in client.contacts if c.is_primary), None)
    return await page(
        request,
        "clients/detail.html",
        area="admin",
        status_code=status_code,
        client=client,
        primary=primary,
        primary_values=form_values(primary) if primary else {"email": client.owner_email},
        extras=[c for c in client.contacts if not c.is_primary],
        stores=await services.stores(),
        countries=sorted_by_name(),
        form=form,
        values=values or {},
        errors=errors or {},
        notice=_notice(notice),
        refusal=refusal or [],
        can=guards.abilities(request, account_id),
    )


@get("/admin/clients/{account_id:int}", authz=guards.READ)
async def client_page(
    request: Request[Any, Any, Any], account_id: FromPath[int], done: FromQuery[str] = ""
) -> Template:
    """The client: details, owner, members and permissions, contacts, store, status."""
    return await client_page_with(request, account_id, notice=done)


@dataclass
class ClientForm:
    """Name and store of the client's account."""

    name: str = ""
    store_id: str = ""


@post("/admin/clients/{account_id:int}", authz=guards.UPDATE)
async def save_client(
    request: Request[Any, Any, Any], account_id: FromPath[int], data: URLEncodedBody[ClientForm]
) -> Response[Any]:
    """Rename the account or move it to another store."""
    try:
        await services.update_client(account_id, data.name, _store_filter(data.store_id))
    except ValidationFailed as exc:
        return await client_page_with(request, account_id, 422, "client", asdict(data), exc.errors)
    return redirect(request, f"/admin/clients/{account_id}?done=saved")


@dataclass
class LoginForm:
    """The owner's new login email."""

    login_email: str = ""


@post("/admin/clients/{account_id:int}/login", authz=guards.UPDATE)
async def change_login(
    request: Request[Any, Any, Any], account_id: FromPath[int], data: URLEncodedBody[LoginForm]
) -> Response[Any]:
    """Change the owner's login email."""
    try:
        await services.change_login_email(account_id, data.login_email)
    except ValidationFailed as exc:
        return await client_page_with(request, account_id, 422, "login", asdict(data), exc.errors)
    return redirect(request, f"/admin/clients/{account_id}?done=login")


@dataclass
class PasswordForm:
    """The owner's new password."""

    password: str = ""


@post("/admin/clients/{account_id:int}/password", authz=guards.SET_PASSWORD)
async def set_password(
    request: Request[Any, Any, Any], account_id: FromPath[int], data: URLEncodedBody[PasswordForm]
) -> Response[Any]:
    """Give the owner a new password."""
    try:
        await services.set_owner_password(account_id, data.password)
    except ValidationFailed as exc:
        return await client_page_with(request, account_id, 422, "password", {}, exc.errors)
    return redirect(request, f"/admin/clients/{account_id}?done=password")


@post("/admin/clients/{account_id:int}/suspend", authz=guards.SUSPEND)
async def suspend(request: Request[Any, Any, Any], account_id: FromPath[int]) -> Response[Any]:
    """Suspend the client: its members are logged out and cannot log in or use tokens there."""
    await services.suspend_client(request.app.state.authz, account_id, by=audit_context(request))
    return redirect(request, f"/admin/clients/{account_id}?done=suspended")


@post("/admin/clients/{account_id:int}/unsuspend", authz=guards.UNSUSPEND)
async def unsuspend(request: Request[Any, Any, Any], account_id: FromPath[int]) -> Response[Any]:
    """Reactivate the client."""
    await services.unsuspend_client(request.app.state.authz, account_id, by=audit_context(request))
    return redirect(request, f"/admin/clients/{account_id}?done=unsuspended")


@post("/admin/clients/{account_id:int}/delete", authz=guards.DELETE)
async def delete(request: Request[Any, Any, Any], account_id: FromPath[int]) -> Response[Any]:
    """Delete the client, or show why it cannot be deleted yet (409)."""
    try:
        await services.delete_client(request.app.state.authz, account_id)
    except services.DeletionRefused as exc:
        return await client_page_with(request, account_id, 409, refusal=exc.reasons)
    return redirect(request, "/admin/clients?done=deleted")


PAGE_ROUTES = [
    client_list,
    new_client,
    create_client,
    client_page,
    save_client,
    change_login,
    set_password,
    suspend,
    unsuspend,
    delete,
]
